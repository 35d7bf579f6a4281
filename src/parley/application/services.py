"""Everything the inbound adapters (HTTP, CLI) may call: the wired use cases.

The composition root (`parley.container`) builds one `Services`; the HTTP layer only sees
this type, never a concrete adapter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from parley.application.conversations.conversations import (
    CreateConversation,
    DeleteConversation,
    GetConversation,
    ListConversations,
    UpdateConversation,
)
from parley.application.conversations.messages import (
    DeleteMessage,
    GetMessage,
    ListMessages,
    PostMessage,
    UpdateMessage,
)
from parley.application.identity.accounts import AccountFactory, Register
from parley.application.identity.api_keys import CreateApiKey, ListApiKeys, RevokeApiKey
from parley.application.identity.authenticate import Authenticate
from parley.application.identity.login import Login
from parley.application.identity.me import GetMe, UpdateMe
from parley.application.identity.password_change import ChangePassword
from parley.application.identity.refresh import RefreshSession
from parley.application.identity.sessions import ListSessions, Logout, LogoutAll, RevokeSession


class ReadinessProbe(Protocol):
    async def check(self) -> dict[str, str]:
        """Each dependency's state: "ok", "degraded" or "down"."""
        ...


@dataclass(frozen=True, slots=True)
class IdentityServices:
    authenticate: Authenticate
    accounts: AccountFactory
    register: Register
    login: Login
    refresh: RefreshSession
    logout: Logout
    logout_all: LogoutAll
    list_sessions: ListSessions
    revoke_session: RevokeSession
    change_password: ChangePassword
    get_me: GetMe
    update_me: UpdateMe
    create_api_key: CreateApiKey
    list_api_keys: ListApiKeys
    revoke_api_key: RevokeApiKey


@dataclass(frozen=True, slots=True)
class ConversationServices:
    create: CreateConversation
    list: ListConversations
    get: GetConversation
    update: UpdateConversation
    delete: DeleteConversation
    list_messages: ListMessages
    post_message: PostMessage
    get_message: GetMessage
    update_message: UpdateMessage
    delete_message: DeleteMessage


@dataclass(frozen=True, slots=True)
class Services:
    identity: IdentityServices
    conversations: ConversationServices
    readiness: ReadinessProbe
