"""In-memory fakes of the ports, for use-case tests.

`FakeDatabase` holds committed state; each `FakeUnitOfWork` works on copies and publishes
them only on `commit()`, so a use case that forgets to commit (or fails half-way) leaves
nothing behind — as with the real database. Reuse and extend these for other areas."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Self

from parley.application.conversations.search_terms import words_of
from parley.application.pagination import Keyset
from parley.application.ports.conversations import ConversationQuery
from parley.domain.audit import AuditEvent
from parley.domain.conversations import Conversation, Message
from parley.domain.files import FileText, StoredFile
from parley.domain.identity import CredentialKind, Principal
from parley.domain.users import Role, Tier, UserStatus

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


class FakeClock:
    """A clock that stands still until told to move."""

    def __init__(self, now: datetime = T0) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float = 1.0) -> datetime:
        self.current += timedelta(seconds=seconds)
        return self.current


def principal(user_id: uuid.UUID | None = None, role: Role = Role.USER) -> Principal:
    return Principal(
        user_id=user_id or uuid.uuid4(),
        role=role,
        tier=Tier.FREE,
        status=UserStatus.ACTIVE,
        kind=CredentialKind.SESSION,
        session_id=uuid.uuid4(),
    )


@dataclass
class FakeDatabase:
    conversations: dict[uuid.UUID, Conversation] = field(default_factory=dict)
    messages: dict[uuid.UUID, Message] = field(default_factory=dict)
    audit: list[AuditEvent] = field(default_factory=list)
    files: dict[uuid.UUID, StoredFile] = field(default_factory=dict)
    file_texts: dict[uuid.UUID, FileText] = field(default_factory=dict)
    commits: int = 0

    def add_file(self, user_id: uuid.UUID, **fields: object) -> StoredFile:
        """A committed file row (its bytes are the test's business)."""
        values: dict[str, object] = {
            "id": uuid.uuid4(),
            "user_id": user_id,
            "filename": "notes.txt",
            "content_type": "text/plain",
            "size": 1,
            "sha256": "0" * 64,
            "created_at": T0,
        }
        values.update(fields)
        file = StoredFile(**values)  # type: ignore[arg-type]
        self.files[file.id] = file
        return file


def _contains_terms(text: str | None, terms: Sequence[str]) -> bool:
    if text is None:
        return False
    words = words_of(text)
    return all(any(word.startswith(term) for word in words) for term in terms)


class FakeConversationRepository:
    def __init__(self, state: FakeDatabase) -> None:
        self._state = state

    async def add(self, conversation: Conversation) -> None:
        self._state.conversations[conversation.id] = copy.copy(conversation)

    async def get(self, conversation_id: uuid.UUID) -> Conversation | None:
        found = self._state.conversations.get(conversation_id)
        return copy.copy(found) if found else None

    async def update(self, conversation: Conversation) -> None:
        if conversation.id in self._state.conversations:
            self._state.conversations[conversation.id] = copy.copy(conversation)

    async def touch(self, conversation_id: uuid.UUID, at: datetime) -> None:
        if conversation_id in self._state.conversations:
            self._state.conversations[conversation_id].updated_at = at

    async def delete(self, conversation_id: uuid.UUID) -> None:
        self._state.conversations.pop(conversation_id, None)
        for message_id, message in list(self._state.messages.items()):
            if message.conversation_id == conversation_id:
                del self._state.messages[message_id]

    async def find(self, query: ConversationQuery) -> Sequence[Conversation]:
        def matches(conversation: Conversation) -> bool:
            if conversation.user_id != query.user_id:
                return False
            if query.archived is not None and conversation.archived != query.archived:
                return False
            if query.after is not None and (conversation.updated_at, conversation.id) >= (
                query.after.at,
                query.after.id,
            ):
                return False
            if not query.terms:
                return True
            return _contains_terms(conversation.title, query.terms) or any(
                message.conversation_id == conversation.id
                and _contains_terms(message.content, query.terms)
                for message in self._state.messages.values()
            )

        found = [c for c in self._state.conversations.values() if matches(c)]
        found.sort(key=lambda c: (c.updated_at, c.id), reverse=True)
        return [copy.copy(c) for c in found[: query.limit]]


class FakeMessageRepository:
    def __init__(self, state: FakeDatabase) -> None:
        self._state = state

    async def add(self, message: Message) -> None:
        self._state.messages[message.id] = copy.copy(message)

    async def get(self, message_id: uuid.UUID) -> Message | None:
        found = self._state.messages.get(message_id)
        return copy.copy(found) if found else None

    async def update(self, message: Message) -> None:
        if message.id in self._state.messages:
            self._state.messages[message.id] = copy.copy(message)

    async def delete(self, message_id: uuid.UUID) -> None:
        self._state.messages.pop(message_id, None)

    def _of(self, conversation_id: uuid.UUID) -> list[Message]:
        found = [m for m in self._state.messages.values() if m.conversation_id == conversation_id]
        return sorted(found, key=lambda m: (m.created_at, m.id))

    async def oldest_first(
        self, conversation_id: uuid.UUID, limit: int, after: Keyset | None = None
    ) -> Sequence[Message]:
        found = [
            m
            for m in self._of(conversation_id)
            if after is None or (m.created_at, m.id) > (after.at, after.id)
        ]
        return [copy.copy(m) for m in found[:limit]]

    async def recent(self, conversation_id: uuid.UUID, limit: int) -> Sequence[Message]:
        return [copy.copy(m) for m in reversed(self._of(conversation_id))][:limit]


class FakeFileRepository:
    def __init__(self, state: FakeDatabase) -> None:
        self._state = state

    async def add(self, file: StoredFile, text: FileText | None) -> None:
        self._state.files[file.id] = file
        if text is not None:
            self._state.file_texts[file.id] = text

    async def get(self, file_id: uuid.UUID) -> StoredFile | None:
        return self._state.files.get(file_id)

    async def many(self, file_ids: Collection[uuid.UUID]) -> Sequence[StoredFile]:
        return [self._state.files[i] for i in set(file_ids) if i in self._state.files]

    async def texts(self, file_ids: Collection[uuid.UUID]) -> Mapping[uuid.UUID, FileText]:
        return {i: self._state.file_texts[i] for i in file_ids if i in self._state.file_texts}

    async def newest_first(
        self, user_id: uuid.UUID, limit: int, after: Keyset | None = None
    ) -> Sequence[StoredFile]:
        found = [
            f
            for f in self._state.files.values()
            if f.user_id == user_id
            and (after is None or (f.created_at, f.id) < (after.at, after.id))
        ]
        found.sort(key=lambda f: (f.created_at, f.id), reverse=True)
        return found[:limit]

    async def bytes_used(self, user_id: uuid.UUID) -> int:
        return sum(f.size for f in self._state.files.values() if f.user_id == user_id)

    async def delete(self, file_id: uuid.UUID) -> None:
        self._state.files.pop(file_id, None)
        self._state.file_texts.pop(file_id, None)


class FakeAuditLog:
    def __init__(self, state: FakeDatabase) -> None:
        self._state = state

    async def append(self, event: AuditEvent) -> None:
        self._state.audit.append(event)


class FakeUnitOfWork:
    """Repositories over a private copy of the database, published on commit."""

    def __init__(self, database: FakeDatabase) -> None:
        self._database = database

    async def __aenter__(self) -> Self:
        self._working = copy.deepcopy(self._database)
        self.conversations = FakeConversationRepository(self._working)
        self.messages = FakeMessageRepository(self._working)
        self.audit = FakeAuditLog(self._working)
        self.files = FakeFileRepository(self._working)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def commit(self) -> None:
        self._database.conversations = copy.deepcopy(self._working.conversations)
        self._database.messages = copy.deepcopy(self._working.messages)
        self._database.audit = list(self._working.audit)
        self._database.files = dict(self._working.files)
        self._database.file_texts = dict(self._working.file_texts)
        self._database.commits += 1


class FakeUnitOfWorkFactory:
    def __init__(self, database: FakeDatabase) -> None:
        self.database = database

    def __call__(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.database)
