"""Conversation use cases against in-memory fakes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from parley.application.conversations.access import ConversationAccess
from parley.application.conversations.conversations import (
    ConversationChanges,
    CreateConversation,
    DeleteConversation,
    GetConversation,
    ListConversations,
    NewConversation,
    UpdateConversation,
)
from parley.application.conversations.messages import NewUserMessage, PostMessage
from parley.domain.errors import NotFound, ValidationFailed
from parley.domain.identity import Principal
from tests.unit.fakes import FakeClock, FakeDatabase, FakeUnitOfWorkFactory, principal


@dataclass
class World:
    database: FakeDatabase
    clock: FakeClock
    uow: FakeUnitOfWorkFactory

    async def create(self, who: Principal, title: str | None = None) -> uuid.UUID:
        self.clock.advance()
        created = await CreateConversation(self.uow, self.clock)(who, NewConversation(title))
        return created.id

    async def post(self, who: Principal, conversation_id: uuid.UUID, content: str) -> None:
        self.clock.advance()
        await PostMessage(self.uow, self.clock)(who, conversation_id, NewUserMessage(content))

    async def listing(self, who: Principal, **options: object) -> list[uuid.UUID]:
        page = await ListConversations(self.uow)(who, **options)  # type: ignore[arg-type]
        return [c.id for c in page.items]


@pytest.fixture
def world() -> World:
    database = FakeDatabase()
    return World(database, FakeClock(), FakeUnitOfWorkFactory(database))


async def test_create_is_owned_by_the_caller_and_committed(world: World) -> None:
    alice = principal()
    created = await CreateConversation(world.uow, world.clock)(
        alice, NewConversation(title="  Trip plans  ", model="echo", system_prompt="Be brief.")
    )
    stored = world.database.conversations[created.id]
    assert stored.user_id == alice.user_id
    assert (stored.title, stored.model, stored.system_prompt) == ("Trip plans", "echo", "Be brief.")
    assert stored.archived is False
    assert stored.created_at == stored.updated_at == world.clock.now()


async def test_a_blank_or_missing_title_is_null(world: World) -> None:
    create = CreateConversation(world.uow, world.clock)
    assert (await create(principal(), NewConversation())).title is None
    assert (await create(principal(), NewConversation(title="   "))).title is None


async def test_list_shows_only_the_callers_own_newest_activity_first(world: World) -> None:
    alice, bob = principal(), principal()
    first = await world.create(alice, "first")
    second = await world.create(alice, "second")
    await world.create(bob, "bob's")
    assert await world.listing(alice) == [second, first]
    await world.post(alice, first, "bumps it")
    assert await world.listing(alice) == [first, second]


async def test_list_pages_with_cursors_until_exhausted(world: World) -> None:
    alice = principal()
    created = [await world.create(alice, f"c{index}") for index in range(5)]
    listing = ListConversations(world.uow)
    seen: list[uuid.UUID] = []
    cursor = None
    pages = 0
    while True:
        page = await listing(alice, limit=2, cursor=cursor)
        seen += [c.id for c in page.items]
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == list(reversed(created))
    assert pages == 3


async def test_a_full_last_page_has_no_next_cursor(world: World) -> None:
    alice = principal()
    for index in range(2):
        await world.create(alice, f"c{index}")
    page = await ListConversations(world.uow)(alice, limit=2)
    assert len(page.items) == 2
    assert page.next_cursor is None


@pytest.mark.parametrize("cursor", ["nonsense", "e30", "!!!", "eyJhdCI6IDF9"])
async def test_a_foreign_cursor_is_invalid_input(world: World, cursor: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await ListConversations(world.uow)(principal(), cursor=cursor)
    assert caught.value.errors[0].loc == ("query", "cursor")


async def test_archived_filter(world: World) -> None:
    alice = principal()
    kept = await world.create(alice, "kept")
    shelved = await world.create(alice, "shelved")
    await UpdateConversation(world.uow, world.clock)(
        alice, shelved, ConversationChanges(archived=True)
    )
    assert await world.listing(alice, archived=True) == [shelved]
    assert await world.listing(alice, archived=False) == [kept]
    assert set(await world.listing(alice)) == {kept, shelved}


async def test_q_searches_titles_and_message_text_of_own_conversations(world: World) -> None:
    alice, bob = principal(), principal()
    by_title = await world.create(alice, "Holiday in Lisbon")
    by_message = await world.create(alice, "untitled")
    await world.post(alice, by_message, "What about Porto, then Lisbon?")
    await world.create(alice, "groceries")
    foreign = await world.create(bob, "Lisbon too")
    assert set(await world.listing(alice, q="lisbon")) == {by_title, by_message}
    assert await world.listing(alice, q="porto lis") == [by_message]
    assert foreign not in await world.listing(alice, q="lisbon")


@pytest.mark.parametrize("q", ['"', "*", "()", "::", " - "])
async def test_q_without_words_matches_nothing(world: World, q: str) -> None:
    alice = principal()
    await world.create(alice, "anything")
    assert await world.listing(alice, q=q) == []


async def test_blank_q_is_no_filter(world: World) -> None:
    alice = principal()
    created = await world.create(alice, "anything")
    assert await world.listing(alice, q="   ") == [created]


async def test_get_update_delete_of_someone_elses_conversation_are_not_found(
    world: World,
) -> None:
    alice, bob = principal(), principal()
    conversation_id = await world.create(alice, "mine")
    with pytest.raises(NotFound):
        await GetConversation(world.uow)(bob, conversation_id)
    with pytest.raises(NotFound):
        await UpdateConversation(world.uow, world.clock)(
            bob, conversation_id, ConversationChanges(title="pwned")
        )
    with pytest.raises(NotFound):
        await DeleteConversation(world.uow)(bob, conversation_id)
    with pytest.raises(NotFound):
        await GetConversation(world.uow)(alice, uuid.uuid4())
    assert world.database.conversations[conversation_id].title == "mine"


async def test_update_applies_only_the_given_fields_and_marks_activity(world: World) -> None:
    alice = principal()
    created = await CreateConversation(world.uow, world.clock)(
        alice, NewConversation(title="t", model="echo", system_prompt="s")
    )
    world.clock.advance()
    updated = await UpdateConversation(world.uow, world.clock)(
        alice, created.id, ConversationChanges(title="new", system_prompt=None)
    )
    assert (updated.title, updated.model, updated.system_prompt) == ("new", "echo", None)
    assert updated.archived is False
    assert updated.updated_at == world.clock.now() > created.updated_at
    assert world.database.conversations[created.id] == updated


async def test_delete_removes_the_conversation_and_its_messages(world: World) -> None:
    alice = principal()
    doomed = await world.create(alice, "doomed")
    kept = await world.create(alice, "kept")
    await world.post(alice, doomed, "bye")
    await world.post(alice, kept, "stay")
    await DeleteConversation(world.uow)(alice, doomed)
    assert set(world.database.conversations) == {kept}
    assert [m.content for m in world.database.messages.values()] == ["stay"]


async def test_access_helper_raises_not_found_for_missing_or_foreign(world: World) -> None:
    alice, bob = principal(), principal()
    conversation_id = await world.create(alice, "mine")
    async with world.uow() as uow:
        found = await ConversationAccess.owned(uow, alice.user_id, conversation_id)
        assert found.id == conversation_id
        with pytest.raises(NotFound):
            await ConversationAccess.owned(uow, bob.user_id, conversation_id)
        with pytest.raises(NotFound):
            await ConversationAccess.owned(uow, alice.user_id, uuid.uuid4())
