"""Everything the inbound adapters (HTTP, CLI) may call: the wired use cases.

The composition root (`parley.container`) builds one `Services`; the HTTP layer only sees
this type, never a concrete adapter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from parley.application.admin.user_changes import DeleteUser, RevokeUserSessions, UpdateUser
from parley.application.admin.users import CreateUser, GetUser, ListUsers
from parley.application.audit.queries import ExportAudit, ListAuditEvents
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
class AdminServices:
    list_users: ListUsers
    get_user: GetUser
    create_user: CreateUser
    update_user: UpdateUser
    delete_user: DeleteUser
    revoke_user_sessions: RevokeUserSessions


@dataclass(frozen=True, slots=True)
class AuditServices:
    list_events: ListAuditEvents
    export: ExportAudit


@dataclass(frozen=True, slots=True)
class Services:
    identity: IdentityServices
    admin: AdminServices
    audit: AuditServices
    readiness: ReadinessProbe
