"""Creating, listing, searching, reading, changing and deleting one's conversations."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import Enum
from typing import Final

from parley.application.conversations.access import ConversationAccess
from parley.application.conversations.search_terms import search_terms
from parley.application.pagination import Keyset, Page, decode_cursor, page_of
from parley.application.ports.clock import Clock
from parley.application.ports.conversations import ConversationQuery
from parley.application.ports.unit_of_work import UnitOfWorkFactory
from parley.domain.conversations import Conversation
from parley.domain.identity import Principal

DEFAULT_PAGE_SIZE: Final = 50
MAX_PAGE_SIZE: Final = 200


class Unset(Enum):
    UNSET = "unset"


UNSET: Final = Unset.UNSET


def _text_or_none(value: str | None) -> str | None:
    """Blank means "none": a title of spaces is no title."""
    if value is None or not value.strip():
        return None
    return value.strip()


def clamp_limit(limit: int) -> int:
    return max(1, min(limit, MAX_PAGE_SIZE))


def conversation_keyset(conversation: Conversation) -> Keyset:
    return Keyset(conversation.updated_at, conversation.id)


@dataclass(frozen=True, slots=True)
class NewConversation:
    title: str | None = None
    model: str | None = None
    system_prompt: str | None = None


class CreateConversation:
    """Starts an empty conversation owned by the caller. Without a (non-blank) title the
    title is null: clients show their own placeholder. `model` is not checked here; the
    chat path checks it against the caller's tier when it is used."""

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow_factory = uow_factory
        self._clock = clock

    async def __call__(self, principal: Principal, new: NewConversation) -> Conversation:
        now = self._clock.now()
        conversation = Conversation(
            id=uuid.uuid4(),
            user_id=principal.user_id,
            title=_text_or_none(new.title),
            model=_text_or_none(new.model),
            system_prompt=new.system_prompt or None,
            archived=False,
            created_at=now,
            updated_at=now,
        )
        async with self._uow_factory() as uow:
            await uow.conversations.add(conversation)
            await uow.commit()
        return conversation


class ListConversations:
    """The caller's conversations, most recently active first, a page at a time.

    `q` keeps those whose title or any message contains every word of `q` (as a word
    prefix); a `q` without letters or digits matches nothing. `archived` keeps only archived
    (True) or only active (False) ones; None keeps both. Raises `ValidationFailed` for a
    cursor that is not one of ours. A conversation that becomes active while a client is
    paging moves to the front, so it may be skipped or seen twice by that walk."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def __call__(
        self,
        principal: Principal,
        *,
        q: str | None = None,
        archived: bool | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        cursor: str | None = None,
    ) -> Page[Conversation]:
        after = decode_cursor(cursor)
        limit = clamp_limit(limit)
        terms: tuple[str, ...] = ()
        if q is not None and q.strip():
            terms = search_terms(q)
            if not terms:
                return Page([], None)
        query = ConversationQuery(principal.user_id, limit + 1, after, archived, terms)
        async with self._uow_factory() as uow:
            rows = await uow.conversations.find(query)
        return page_of(rows, limit, conversation_keyset)


class GetConversation:
    """Raises `NotFound` unless the caller owns it."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def __call__(self, principal: Principal, conversation_id: uuid.UUID) -> Conversation:
        async with self._uow_factory() as uow:
            return await ConversationAccess.owned(uow, principal.user_id, conversation_id)


@dataclass(frozen=True, slots=True)
class ConversationChanges:
    """The fields a PATCH may set; `UNSET` leaves one alone, None clears it."""

    title: str | Unset | None = UNSET
    model: str | Unset | None = UNSET
    system_prompt: str | Unset | None = UNSET
    archived: bool | Unset = UNSET


class UpdateConversation:
    """Applies exactly the given changes (nothing else can be changed this way) and marks the
    conversation active now. Raises `NotFound` unless the caller owns it."""

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow_factory = uow_factory
        self._clock = clock

    async def __call__(
        self, principal: Principal, conversation_id: uuid.UUID, changes: ConversationChanges
    ) -> Conversation:
        async with self._uow_factory() as uow:
            conversation = await ConversationAccess.owned(uow, principal.user_id, conversation_id)
            if not isinstance(changes.title, Unset):
                conversation.title = _text_or_none(changes.title)
            if not isinstance(changes.model, Unset):
                conversation.model = _text_or_none(changes.model)
            if not isinstance(changes.system_prompt, Unset):
                conversation.system_prompt = changes.system_prompt or None
            if not isinstance(changes.archived, Unset):
                conversation.archived = changes.archived
            conversation.touch(self._clock.now())
            await uow.conversations.update(conversation)
            await uow.commit()
        return conversation


class DeleteConversation:
    """Deletes the conversation and all its messages. Raises `NotFound` unless the caller
    owns it."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def __call__(self, principal: Principal, conversation_id: uuid.UUID) -> None:
        async with self._uow_factory() as uow:
            conversation = await ConversationAccess.owned(uow, principal.user_id, conversation_id)
            await uow.conversations.delete(conversation.id)
            await uow.commit()
