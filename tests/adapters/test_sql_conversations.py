"""The SQL conversation and message repositories, and full-text search, on SQLite and
PostgreSQL."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from parley.adapters.sql.engine import create_engine
from parley.adapters.sql.uow import SqlUnitOfWork
from parley.application.pagination import Keyset
from parley.application.ports.conversations import ConversationQuery
from parley.domain.chat import ToolCall, Usage
from parley.domain.conversations import Conversation, Message, MessageRole, MessageStatus
from parley.domain.users import Role, Tier, User, UserStatus

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def uow(engine: AsyncEngine) -> Callable[[], SqlUnitOfWork]:
    return lambda: SqlUnitOfWork(engine)


async def add_user(uow: Callable[[], SqlUnitOfWork]) -> uuid.UUID:
    user_id = uuid.uuid4()
    name = f"u{user_id.hex[:8]}"
    user = User(
        user_id, f"{name}@example.com", name, "x", Role.USER, Tier.FREE, UserStatus.ACTIVE, T0, T0
    )
    async with uow() as unit:
        await unit.users.add(user)
        await unit.commit()
    return user_id


async def add_conversation(
    uow: Callable[[], SqlUnitOfWork],
    user_id: uuid.UUID,
    title: str | None,
    at: datetime = T0,
    archived: bool = False,
) -> Conversation:
    conversation = Conversation(uuid.uuid4(), user_id, title, None, None, archived, at, at)
    async with uow() as unit:
        await unit.conversations.add(conversation)
        await unit.commit()
    return conversation


async def add_message(
    uow: Callable[[], SqlUnitOfWork],
    conversation_id: uuid.UUID,
    content: str,
    at: datetime = T0,
    **fields: object,
) -> Message:
    message = Message(
        uuid.uuid4(),
        conversation_id,
        MessageRole.USER,
        content,
        MessageStatus.COMPLETE,
        at,
        **fields,  # type: ignore[arg-type]
    )
    async with uow() as unit:
        await unit.messages.add(message)
        await unit.commit()
    return message


async def search(
    uow: Callable[[], SqlUnitOfWork], user_id: uuid.UUID, *terms: str
) -> set[uuid.UUID]:
    async with uow() as unit:
        found = await unit.conversations.find(ConversationQuery(user_id, 50, terms=terms))
    return {c.id for c in found}


async def test_message_round_trip_and_update(uow: Callable[[], SqlUnitOfWork]) -> None:
    user_id = await add_user(uow)
    conversation = await add_conversation(uow, user_id, "t")
    files = (uuid.uuid4(), uuid.uuid4())
    message = await add_message(uow, conversation.id, "hi", file_ids=files, tool_call_id="c1")
    async with uow() as unit:
        assert await unit.messages.get(message.id) == message
    message.content = "partial"
    message.status = MessageStatus.INCOMPLETE
    message.model = "echo"
    message.tool_calls = (ToolCall("call_1", "clock", '{"tz": "UTC"}'),)
    message.usage = Usage(12, 34)
    async with uow() as unit:
        await unit.messages.update(message)
        await unit.commit()
    async with uow() as unit:
        assert await unit.messages.get(message.id) == message


async def test_messages_oldest_first_with_keyset_and_recent_newest_first(
    uow: Callable[[], SqlUnitOfWork],
) -> None:
    user_id = await add_user(uow)
    conversation = await add_conversation(uow, user_id, "t")
    stored = [
        await add_message(uow, conversation.id, f"m{index}", T0 + timedelta(seconds=index))
        for index in range(5)
    ]
    async with uow() as unit:
        first = await unit.messages.oldest_first(conversation.id, 2)
        rest = await unit.messages.oldest_first(
            conversation.id, 10, Keyset(first[-1].created_at, first[-1].id)
        )
        recent = await unit.messages.recent(conversation.id, 3)
    assert [m.content for m in first] == ["m0", "m1"]
    assert [m.content for m in rest] == ["m2", "m3", "m4"]
    assert [m.id for m in recent] == [m.id for m in reversed(stored)][:3]


async def test_find_pages_by_updated_at_then_id_and_filters_owner_and_archive(
    uow: Callable[[], SqlUnitOfWork],
) -> None:
    alice, bob = await add_user(uow), await add_user(uow)
    same_time = [await add_conversation(uow, alice, f"tie{index}") for index in range(3)]
    newest = await add_conversation(uow, alice, "new", T0 + timedelta(hours=1), archived=True)
    await add_conversation(uow, bob, "bob's")
    expected = [newest.id, *sorted((c.id for c in same_time), reverse=True)]
    async with uow() as unit:
        first = await unit.conversations.find(ConversationQuery(alice, 2))
        last = first[-1]
        rest = await unit.conversations.find(
            ConversationQuery(alice, 10, after=Keyset(last.updated_at, last.id))
        )
        active = await unit.conversations.find(ConversationQuery(alice, 10, archived=False))
        archived = await unit.conversations.find(ConversationQuery(alice, 10, archived=True))
    assert [c.id for c in first + list(rest)] == expected
    assert {c.id for c in active} == {c.id for c in same_time}
    assert [c.id for c in archived] == [newest.id]


async def test_search_matches_title_or_one_message_by_word_prefix(
    uow: Callable[[], SqlUnitOfWork],
) -> None:
    alice, bob = await add_user(uow), await add_user(uow)
    by_title = await add_conversation(uow, alice, "Holiday in Lisbon")
    by_message = await add_conversation(uow, alice, None)
    await add_message(uow, by_message.id, "Shall we take the TRAIN to Porto?")
    split = await add_conversation(uow, alice, "train")
    await add_message(uow, split.id, "porto")
    theirs = await add_conversation(uow, bob, "Lisbon")
    await add_message(uow, theirs.id, "train to Porto")

    assert await search(uow, alice, "lisbon") == {by_title.id}
    assert await search(uow, alice, "lis") == {by_title.id}
    assert await search(uow, alice, "train", "porto") == {by_message.id}
    assert await search(uow, alice, "train") == {by_message.id, split.id}
    assert await search(uow, alice, "isbon") == set()
    assert await search(uow, bob, "lisbon") == {theirs.id}


@pytest.mark.parametrize(
    "term",
    ['"', "'", 'a"b', "a'b", "*", ":*", "&", "|", "!", "NEAR(", "OR", "AND", "-", "\\", "(x)"],
)
async def test_search_quotes_whatever_terms_it_is_given(
    uow: Callable[[], SqlUnitOfWork], term: str
) -> None:
    # Terms normally come from `search_terms` (words only); the repository must be safe even
    # when they do not.
    alice = await add_user(uow)
    await add_conversation(uow, alice, "nothing to see")
    assert await search(uow, alice, term) == set()


async def test_search_follows_edits_and_deletions(uow: Callable[[], SqlUnitOfWork]) -> None:
    alice = await add_user(uow)
    conversation = await add_conversation(uow, alice, "alpha")
    message = await add_message(uow, conversation.id, "bravo")
    message.content = "charlie"
    message.status = MessageStatus.FAILED
    conversation.title = "delta"
    async with uow() as unit:
        await unit.messages.update(message)
        await unit.conversations.update(conversation)
        await unit.commit()
    assert await search(uow, alice, "bravo") == set()
    assert await search(uow, alice, "alpha") == set()
    assert await search(uow, alice, "charlie") == {conversation.id}
    assert await search(uow, alice, "delta") == {conversation.id}

    conversation.title = None
    async with uow() as unit:
        await unit.conversations.update(conversation)
        await unit.messages.delete(message.id)
        await unit.commit()
    assert await search(uow, alice, "delta") == set()
    assert await search(uow, alice, "charlie") == set()


async def test_deleting_a_conversation_deletes_its_messages_and_index_entries(
    uow: Callable[[], SqlUnitOfWork], engine: AsyncEngine
) -> None:
    alice = await add_user(uow)
    doomed = await add_conversation(uow, alice, "echo")
    message = await add_message(uow, doomed.id, "foxtrot")
    kept = await add_conversation(uow, alice, "golf")
    async with uow() as unit:
        await unit.conversations.delete(doomed.id)
        await unit.commit()
    async with uow() as unit:
        assert await unit.conversations.get(doomed.id) is None
        assert await unit.messages.get(message.id) is None
        assert await unit.conversations.get(kept.id) is not None
    assert await search(uow, alice, "foxtrot") == set()
    if engine.dialect.name == "sqlite":
        async with engine.connect() as connection:
            docs = await connection.scalar(text("SELECT count(*) FROM conversation_search_docs"))
        assert docs == 1  # only "golf" is left


async def test_sqlite_index_is_cleaned_up_by_cascading_deletes(
    sqlite_url: str,
) -> None:
    engine = create_engine(sqlite_url)

    def uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(engine)

    try:
        alice = await add_user(uow)
        conversation = await add_conversation(uow, alice, "hotel")
        await add_message(uow, conversation.id, "india")
        async with engine.begin() as connection:
            await connection.execute(text("DELETE FROM users WHERE id = :id"), {"id": alice.hex})
        async with engine.connect() as connection:
            docs = await connection.scalar(text("SELECT count(*) FROM conversation_search_docs"))
            hits = await connection.scalar(
                text(
                    "SELECT count(*) FROM conversation_search WHERE conversation_search MATCH 'india'"
                )
            )
        assert (docs, hits) == (0, 0)
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_postgres_search_can_use_the_gin_indexes(postgres_url: str) -> None:
    from sqlalchemy import select
    from sqlalchemy.dialects import postgresql

    from parley.adapters.sql.repositories.search import matches_terms
    from parley.adapters.sql.tables import conversations

    statement = select(conversations.c.id).where(matches_terms("postgresql", ["lisbon"]))
    compiled = statement.compile(
        dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
    )
    engine = create_engine(postgres_url)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SET enable_seqscan = off"))
            plan = "\n".join(
                row[0] for row in await connection.execute(text(f"EXPLAIN {compiled}"))
            )
    finally:
        await engine.dispose()
    assert "ix_conversations_title_fts" in plan, plan
    assert "ix_messages_content_fts" in plan, plan


async def test_touch_sets_only_updated_at(uow: Callable[[], SqlUnitOfWork]) -> None:
    alice = await add_user(uow)
    conversation = await add_conversation(uow, alice, "before")
    edited = dataclasses.replace(conversation)
    edited.title = "edited meanwhile"
    edited.archived = True
    async with uow() as unit:
        await unit.conversations.update(edited)
        await unit.commit()
    later = T0 + timedelta(minutes=5)
    async with uow() as unit:
        await unit.conversations.touch(conversation.id, later)
        await unit.commit()
    async with uow() as unit:
        stored = await unit.conversations.get(conversation.id)
    assert stored is not None
    assert (stored.title, stored.archived, stored.updated_at) == ("edited meanwhile", True, later)
