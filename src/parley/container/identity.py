"""Identity: tokens, accounts, sessions, API keys, and the user administration and audit
views built on them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from parley.adapters.security.passwords import load_common_passwords
from parley.adapters.security.tokens import JwtAccessTokenIssuer
from parley.application.admin.user_changes import (
    DeleteUser,
    RevokeUserSessions,
    UpdateUser,
    UserChanger,
)
from parley.application.admin.users import CreateUser, GetUser, ListUsers
from parley.application.audit.queries import ExportAudit, ListAuditEvents
from parley.application.identity.accounts import AccountFactory, Register
from parley.application.identity.api_keys import CreateApiKey, ListApiKeys, RevokeApiKey
from parley.application.identity.auth_state import AuthStateCache
from parley.application.identity.authenticate import Authenticate
from parley.application.identity.key_usage import ApiKeyUseRecorder, FlushApiKeyUse
from parley.application.identity.login import Login, LoginThrottle
from parley.application.identity.me import GetMe, UpdateMe
from parley.application.identity.password_change import ChangePassword
from parley.application.identity.password_policy import PasswordPolicy
from parley.application.identity.refresh import RefreshSession
from parley.application.identity.sessions import (
    ListSessions,
    Logout,
    LogoutAll,
    RevokeSession,
    SessionRevoker,
)
from parley.application.ports.security import PasswordHasher
from parley.application.services import AdminServices, AuditServices, IdentityServices
from parley.container.infrastructure import Infrastructure
from parley.settings import Settings


@dataclass(frozen=True)
class Identity:
    """The identity services, and the pieces user administration shares with them."""

    services: IdentityServices
    state: AuthStateCache
    revoker: SessionRevoker
    flush_api_key_use: FlushApiKeyUse


def wire_identity(infra: Infrastructure, hasher: PasswordHasher) -> Identity:
    settings, uow_factory, clock = infra.settings, infra.uow_factory, infra.clock
    issuer = access_token_issuer(settings, infra.secret)
    refresh_ttl = timedelta(seconds=settings.refresh_token_ttl_seconds)
    state = AuthStateCache(infra.cache, uow_factory, settings.auth_cache_ttl_seconds)
    policy = PasswordPolicy(load_common_passwords())
    key_uses = ApiKeyUseRecorder()
    revoker = SessionRevoker(uow_factory, state, clock)
    accounts = AccountFactory(uow_factory, hasher, policy, clock, state)
    throttle = LoginThrottle(
        settings.login_failures_per_account,
        settings.login_failures_per_address,
        settings.login_window_seconds,
    )
    services = IdentityServices(
        authenticate=Authenticate(issuer, state, key_uses, clock),
        accounts=accounts,
        register=Register(accounts, settings.allow_registration),
        login=Login(uow_factory, hasher, issuer, infra.counter, throttle, clock, refresh_ttl),
        refresh=RefreshSession(uow_factory, issuer, state, clock),
        logout=Logout(revoker),
        logout_all=LogoutAll(revoker),
        list_sessions=ListSessions(uow_factory, clock),
        revoke_session=RevokeSession(revoker),
        change_password=ChangePassword(uow_factory, hasher, policy, revoker, state, clock),
        get_me=GetMe(uow_factory),
        update_me=UpdateMe(uow_factory, clock),
        create_api_key=CreateApiKey(uow_factory, clock),
        list_api_keys=ListApiKeys(uow_factory),
        revoke_api_key=RevokeApiKey(uow_factory, state, clock),
    )
    return Identity(services, state, revoker, FlushApiKeyUse(key_uses, uow_factory))


def access_token_issuer(settings: Settings, secret: str) -> JwtAccessTokenIssuer:
    return JwtAccessTokenIssuer(
        secret,
        timedelta(seconds=settings.access_token_ttl_seconds),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        algorithm=settings.jwt_algorithm,
    )


def admin_services(infra: Infrastructure, identity: Identity) -> AdminServices:
    uow_factory, clock = infra.uow_factory, infra.clock
    changer = UserChanger(uow_factory, identity.state, identity.revoker, clock)
    return AdminServices(
        list_users=ListUsers(uow_factory, clock),
        get_user=GetUser(uow_factory, clock),
        create_user=CreateUser(identity.services.accounts),
        update_user=UpdateUser(changer),
        delete_user=DeleteUser(changer),
        revoke_user_sessions=RevokeUserSessions(uow_factory, identity.revoker),
    )


def audit_services(infra: Infrastructure) -> AuditServices:
    return AuditServices(
        list_events=ListAuditEvents(infra.uow_factory),
        export=ExportAudit(infra.uow_factory, infra.clock),
    )
