"""Message use cases against in-memory fakes."""

from __future__ import annotations

import uuid

import pytest

from parley.application.conversations.conversations import CreateConversation, NewConversation
from parley.application.conversations.messages import (
    DeleteMessage,
    GetMessage,
    ListMessages,
    NewUserMessage,
    PostMessage,
    UpdateMessage,
)
from parley.domain.conversations import MessageRole, MessageStatus
from parley.domain.errors import NotFound, ValidationFailed
from parley.domain.identity import Principal
from tests.unit.fakes import FakeClock, FakeDatabase, FakeUnitOfWorkFactory, principal


@pytest.fixture
def database() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def uow(database: FakeDatabase) -> FakeUnitOfWorkFactory:
    return FakeUnitOfWorkFactory(database)


@pytest.fixture
def alice() -> Principal:
    return principal()


@pytest.fixture
async def conversation_id(
    uow: FakeUnitOfWorkFactory, clock: FakeClock, alice: Principal
) -> uuid.UUID:
    return (await CreateConversation(uow, clock)(alice, NewConversation("chat"))).id


async def test_post_stores_a_complete_user_message_and_marks_activity(
    uow: FakeUnitOfWorkFactory,
    clock: FakeClock,
    database: FakeDatabase,
    alice: Principal,
    conversation_id: uuid.UUID,
) -> None:
    clock.advance(60)
    files = [database.add_file(alice.user_id).id, database.add_file(alice.user_id).id]
    message = await PostMessage(uow, clock)(
        alice, conversation_id, NewUserMessage("hello", [files[0], files[1], files[0]])
    )
    assert database.messages[message.id] == message
    assert message.role is MessageRole.USER
    assert message.status is MessageStatus.COMPLETE
    assert message.file_ids == tuple(files)
    assert message.created_at == clock.now()
    assert database.conversations[conversation_id].updated_at == clock.now()


async def test_messages_posted_in_the_same_instant_keep_their_order(
    uow: FakeUnitOfWorkFactory, clock: FakeClock, alice: Principal, conversation_id: uuid.UUID
) -> None:
    post = PostMessage(uow, clock)
    for index in range(5):
        await post(alice, conversation_id, NewUserMessage(f"m{index}"))
    page = await ListMessages(uow)(alice, conversation_id)
    assert [m.content for m in page.items] == [f"m{index}" for index in range(5)]
    async with uow() as unit:
        recent = await unit.messages.recent(conversation_id, 2)
    assert [m.content for m in recent] == ["m4", "m3"]


async def test_empty_content_needs_files(
    uow: FakeUnitOfWorkFactory,
    clock: FakeClock,
    database: FakeDatabase,
    alice: Principal,
    conversation_id: uuid.UUID,
) -> None:
    with pytest.raises(ValidationFailed):
        await PostMessage(uow, clock)(alice, conversation_id, NewUserMessage("  "))
    assert database.messages == {}
    attached = await PostMessage(uow, clock)(
        alice, conversation_id, NewUserMessage("", [database.add_file(alice.user_id).id])
    )
    assert attached.content == ""


async def test_files_named_must_be_the_callers(
    uow: FakeUnitOfWorkFactory,
    clock: FakeClock,
    database: FakeDatabase,
    alice: Principal,
    conversation_id: uuid.UUID,
) -> None:
    own = database.add_file(alice.user_id).id
    foreign = database.add_file(uuid.uuid4()).id
    for file_ids in ([foreign], [own, foreign], [uuid.uuid4()]):
        with pytest.raises(NotFound):
            await PostMessage(uow, clock)(alice, conversation_id, NewUserMessage("x", file_ids))
    assert database.messages == {}


async def test_list_is_oldest_first_in_pages(
    uow: FakeUnitOfWorkFactory, clock: FakeClock, alice: Principal, conversation_id: uuid.UUID
) -> None:
    post = PostMessage(uow, clock)
    for index in range(5):
        clock.advance()
        await post(alice, conversation_id, NewUserMessage(f"m{index}"))
    listing = ListMessages(uow)
    first = await listing(alice, conversation_id, limit=3)
    assert [m.content for m in first.items] == ["m0", "m1", "m2"]
    assert first.next_cursor is not None
    second = await listing(alice, conversation_id, limit=3, cursor=first.next_cursor)
    assert [m.content for m in second.items] == ["m3", "m4"]
    assert second.next_cursor is None


async def test_someone_elses_conversation_is_not_found_for_every_message_verb(
    uow: FakeUnitOfWorkFactory,
    clock: FakeClock,
    database: FakeDatabase,
    alice: Principal,
    conversation_id: uuid.UUID,
) -> None:
    bob = principal()
    message = await PostMessage(uow, clock)(alice, conversation_id, NewUserMessage("secret"))
    with pytest.raises(NotFound):
        await PostMessage(uow, clock)(bob, conversation_id, NewUserMessage("intrusion"))
    with pytest.raises(NotFound):
        await ListMessages(uow)(bob, conversation_id)
    with pytest.raises(NotFound):
        await GetMessage(uow)(bob, conversation_id, message.id)
    with pytest.raises(NotFound):
        await UpdateMessage(uow, clock)(bob, conversation_id, message.id, "changed")
    with pytest.raises(NotFound):
        await DeleteMessage(uow)(bob, conversation_id, message.id)
    assert [m.content for m in database.messages.values()] == ["secret"]


async def test_a_message_is_only_found_through_its_own_conversation(
    uow: FakeUnitOfWorkFactory, clock: FakeClock, alice: Principal, conversation_id: uuid.UUID
) -> None:
    other = (await CreateConversation(uow, clock)(alice, NewConversation("other"))).id
    message = await PostMessage(uow, clock)(alice, conversation_id, NewUserMessage("hi"))
    assert (await GetMessage(uow)(alice, conversation_id, message.id)).content == "hi"
    with pytest.raises(NotFound):
        await GetMessage(uow)(alice, other, message.id)
    with pytest.raises(NotFound):
        await DeleteMessage(uow)(alice, other, message.id)
    with pytest.raises(NotFound):
        await GetMessage(uow)(alice, conversation_id, uuid.uuid4())


async def test_update_changes_content_only_and_delete_removes(
    uow: FakeUnitOfWorkFactory,
    clock: FakeClock,
    database: FakeDatabase,
    alice: Principal,
    conversation_id: uuid.UUID,
) -> None:
    message = await PostMessage(uow, clock)(alice, conversation_id, NewUserMessage("draft"))
    clock.advance()
    edited = await UpdateMessage(uow, clock)(alice, conversation_id, message.id, "final")
    assert edited.content == "final"
    assert (edited.role, edited.created_at, edited.status) == (
        message.role,
        message.created_at,
        message.status,
    )
    assert database.messages[message.id].content == "final"
    assert database.conversations[conversation_id].updated_at == clock.now()
    with pytest.raises(ValidationFailed):
        await UpdateMessage(uow, clock)(alice, conversation_id, message.id, "")
    await DeleteMessage(uow)(alice, conversation_id, message.id)
    assert database.messages == {}
