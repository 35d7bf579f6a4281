"""Attached files as model context: a message's files become part of its content (their
extracted text, cut to what fits the window, with a note) and, for providers that accept
images, image parts."""

from __future__ import annotations

import dataclasses
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from parley.application.chat.context_window import as_chat_message
from parley.application.ports.files import BlobStore
from parley.application.ports.unit_of_work import UnitOfWorkFactory
from parley.application.tokens import estimate_message_tokens, estimate_tokens
from parley.domain.chat import ChatMessage, ImagePart
from parley.domain.conversations import Message
from parley.domain.errors import NotFound
from parley.domain.files import FileText, StoredFile
from parley.domain.models import ModelConfig

#: Provider kinds whose adapters send `ImagePart`s.
IMAGE_PROVIDERS = frozenset({"openai", "anthropic"})
#: Larger images are described, not sent: providers refuse them (Anthropic's limit is 5 MB).
MAX_IMAGE_BYTES = 5 * 1024 * 1024
#: Images sent per request, newest first; older ones are described.
MAX_IMAGES = 8
#: Below this many tokens a document is left out rather than cut to a useless stub.
MIN_EXCERPT_TOKENS = 32


def accepts_images(model: ModelConfig) -> bool:
    return model.provider in IMAGE_PROVIDERS


def truncate_to_tokens(text: str, tokens: int) -> tuple[str, bool]:
    """The longest prefix of `text` (found by shrinking) whose estimate is within `tokens`."""
    if estimate_tokens(text) <= tokens:
        return text, False
    cut = min(len(text), tokens * 4)
    while cut > 0:
        estimate = estimate_tokens(text[:cut])
        if estimate <= tokens:
            break
        cut = min(cut - 1, math.floor(cut * tokens / estimate))
    return text[: max(cut, 0)], True


@dataclass(frozen=True, slots=True)
class Attachments:
    """What the files named in a history hold, ready to render into messages."""

    files: Mapping[uuid.UUID, StoredFile] = field(default_factory=dict)
    texts: Mapping[uuid.UUID, FileText] = field(default_factory=dict)
    images: Mapping[uuid.UUID, ImagePart] = field(default_factory=dict)

    def render(self, message: Message, tokens_left: int) -> ChatMessage:
        """The message as the model sees it, its files' text spending at most what is left
        of `tokens_left` after the message itself."""
        base = as_chat_message(message)
        if not message.file_ids:
            return base
        notes: dict[uuid.UUID, str] = {}
        documents: list[tuple[uuid.UUID, str, FileText]] = []
        images: list[ImagePart] = []
        for file_id in message.file_ids:
            file = self.files.get(file_id)
            if file is None:
                notes[file_id] = "[An attached file is no longer available.]"
            elif file_id in self.images:
                images.append(self.images[file_id])
                notes[file_id] = f"[Attached image {file.filename}]"
            elif file.is_image:
                notes[file_id] = f"[Attached image {file.filename}: not shown to this model.]"
            elif (text := self.texts.get(file_id)) is None or not text.text.strip():
                notes[file_id] = f"[Attached file {file.filename}: no text could be extracted.]"
            else:
                documents.append((file_id, file.filename, text))
        skeleton = dataclasses.replace(
            base, content=_join([*notes.values(), base.content]), images=tuple(images)
        )
        room = tokens_left - estimate_message_tokens(skeleton) - 8 * len(documents)
        for position, (file_id, name, text) in enumerate(documents):
            share = room // (len(documents) - position)
            notes[file_id] = _document(name, text, share)
            room -= estimate_tokens(notes[file_id])
        sections = [notes[file_id] for file_id in message.file_ids if file_id in notes]
        return dataclasses.replace(skeleton, content=_join([*sections, base.content]))


def _document(name: str, text: FileText, tokens: int) -> str:
    header = f"Attached file {name}:\n"
    note = f"\n[… {name} was cut here to fit the model's context window.]"
    available = tokens - estimate_tokens(header) - estimate_tokens(note)
    if available < MIN_EXCERPT_TOKENS:
        return f"[Attached file {name}: left out, it does not fit the model's context window.]"
    excerpt, cut = truncate_to_tokens(text.text, available)
    if cut:
        return header + excerpt + note
    if text.truncated:
        return header + excerpt + f"\n[… {name} is longer; only its beginning was kept.]"
    return header + excerpt


def _join(sections: Sequence[str]) -> str:
    return "\n\n".join(section for section in sections if section)


class LoadAttachments:
    """Loads what the files named in `messages` (newest first) hold, for `model`. Only the
    caller's files count; deleted or foreign ones render as a note."""

    def __init__(self, uow_factory: UnitOfWorkFactory, blobs: BlobStore) -> None:
        self._uow_factory = uow_factory
        self._blobs = blobs

    async def __call__(
        self, user_id: uuid.UUID, messages: Sequence[Message], model: ModelConfig
    ) -> Attachments:
        named = list(dict.fromkeys(fid for message in messages for fid in message.file_ids))
        if not named:
            return Attachments()
        async with self._uow_factory() as uow:
            files = {f.id: f for f in await uow.files.many(named) if f.user_id == user_id}
            texts = await uow.files.texts([fid for fid in files if not files[fid].is_image])
        images: dict[uuid.UUID, ImagePart] = {}
        if accepts_images(model):
            for file_id in named:
                file = files.get(file_id)
                if file is None or not file.is_image or file.size > MAX_IMAGE_BYTES:
                    continue
                if len(images) >= MAX_IMAGES:
                    break
                try:
                    data = bytearray()
                    async for chunk in await self._blobs.open(file.storage_key):
                        data += chunk
                except NotFound:
                    continue
                images[file_id] = ImagePart(file.content_type, bytes(data))
        return Attachments(files, texts, images)
