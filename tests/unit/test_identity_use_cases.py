"""Identity use cases against in-memory fakes."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from parley.application.identity.accounts import NewAccount
from parley.application.identity.context import ClientInfo
from parley.domain.errors import (
    AuthenticationRequired,
    EmailTaken,
    InvalidCredentials,
    NotFound,
    RateLimited,
    RefreshTokenReused,
    RegistrationClosed,
    UsernameTaken,
    ValidationFailed,
)
from parley.domain.identity import CredentialKind
from parley.domain.users import Role, UserStatus
from tests.unit.identity_fakes import IdentityKit

CLIENT = ClientInfo("198.51.100.1", "pytest")
PASSWORD = "long enough password"


def account(name: str, password: str = PASSWORD) -> NewAccount:
    return NewAccount(f"{name}@Example.com", name, password)


async def test_first_account_is_admin_and_later_ones_are_users() -> None:
    kit = IdentityKit()
    first = await kit.register(account("ada"), CLIENT)
    second = await kit.register(account("bob"), CLIENT)
    assert (first.role, second.role) == (Role.ADMIN, Role.USER)
    assert first.email == "ada@example.com"
    assert [e.action for e in kit.store.audit] == ["auth.user.registered"] * 2


async def test_registration_refuses_clashes_weak_passwords_and_closed_registration() -> None:
    kit = IdentityKit()
    await kit.register(account("ada"), CLIENT)
    with pytest.raises(EmailTaken):
        await kit.register(NewAccount("ADA@example.com", "other", PASSWORD), CLIENT)
    with pytest.raises(UsernameTaken):
        await kit.register(NewAccount("x@example.com", "ADA", PASSWORD), CLIENT)
    for weak in ("short", "password123", "x" * 129):
        with pytest.raises(ValidationFailed):
            await kit.register(account("weak", weak), CLIENT)
    with pytest.raises(RegistrationClosed):
        await IdentityKit(allow_registration=False).register(account("ada"), CLIENT)


async def test_login_failure_is_the_same_for_unknown_user_and_wrong_password() -> None:
    kit = IdentityKit()
    await kit.register(account("ada"), CLIENT)
    with pytest.raises(InvalidCredentials) as unknown:
        await kit.login("nobody", PASSWORD, CLIENT)
    with pytest.raises(InvalidCredentials) as wrong:
        await kit.login("ada", "wrong password!", CLIENT)
    assert unknown.value.detail == wrong.value.detail
    assert kit.hasher.dummy_calls == 1  # the unknown account still paid for a verification
    assert [e.action for e in kit.store.audit[-2:]] == ["auth.login.failed"] * 2


async def test_login_by_email_or_username_upgrades_legacy_hashes() -> None:
    kit = IdentityKit()
    user = await kit.register(account("ada"), CLIENT)
    kit.store.users[user.id].password_hash = "legacy$" + PASSWORD
    pair = await kit.login("ADA@example.com", PASSWORD, CLIENT)
    assert pair.user.id == user.id
    assert kit.store.users[user.id].password_hash == "fake$" + PASSWORD
    assert (await kit.login("ada", PASSWORD, CLIENT)).refresh_token != pair.refresh_token


async def test_failed_logins_are_throttled_per_account_without_permanent_lockout() -> None:
    kit = IdentityKit(per_account=3)
    await kit.register(account("ada"), CLIENT)
    for _ in range(3):
        with pytest.raises(InvalidCredentials):
            await kit.login("ada", "wrong password!", CLIENT)
    with pytest.raises(RateLimited) as limited:
        await kit.login("ada", PASSWORD, CLIENT)
    assert 0 < limited.value.retry_after <= 300


async def test_suspended_user_cannot_log_in_or_use_tokens() -> None:
    kit = IdentityKit()
    user = await kit.register(account("ada"), CLIENT)
    pair = await kit.login("ada", PASSWORD, CLIENT)
    assert (await kit.authenticate(pair.access_token)).user_id == user.id
    stored = kit.store.users[user.id]
    stored.status = UserStatus.SUSPENDED
    await kit.state.store_user(stored)
    with pytest.raises(AuthenticationRequired):
        await kit.authenticate(pair.access_token)
    with pytest.raises(InvalidCredentials):
        await kit.login("ada", PASSWORD, CLIENT)


async def test_refresh_rotates_and_reuse_revokes_the_session() -> None:
    kit = IdentityKit()
    await kit.register(account("ada"), CLIENT)
    first = await kit.login("ada", PASSWORD, CLIENT)
    second = await kit.refresh(first.refresh_token, CLIENT)
    assert second.refresh_token != first.refresh_token
    await kit.authenticate(second.access_token)
    with pytest.raises(RefreshTokenReused):
        await kit.refresh(first.refresh_token, CLIENT)
    with pytest.raises(AuthenticationRequired):  # the newest token died with the session
        await kit.refresh(second.refresh_token, CLIENT)
    with pytest.raises(AuthenticationRequired):
        await kit.authenticate(second.access_token)
    assert kit.store.audit[-1].action == "auth.refresh.reuse_detected"


async def test_expired_refresh_token_is_refused() -> None:
    kit = IdentityKit()
    await kit.register(account("ada"), CLIENT)
    pair = await kit.login("ada", PASSWORD, CLIENT)
    kit.clock.advance(timedelta(days=31).total_seconds())
    with pytest.raises(AuthenticationRequired):
        await kit.refresh(pair.refresh_token, CLIENT)


async def test_revoking_another_users_session_is_not_found() -> None:
    kit = IdentityKit()
    ada = await kit.register(account("ada"), CLIENT)
    await kit.register(account("bob"), CLIENT)
    bob_pair = await kit.login("bob", PASSWORD, CLIENT)
    bob = await kit.authenticate(bob_pair.access_token)
    with pytest.raises(NotFound):
        await kit.revoker.revoke_where(
            ada.id, CLIENT, actor_id=ada.id, action="x", only=bob.session_id
        )
    with pytest.raises(NotFound):
        await kit.revoker.revoke_where(
            ada.id, CLIENT, actor_id=ada.id, action="x", only=uuid.uuid4()
        )
    assert (await kit.authenticate(bob_pair.access_token)).session_id == bob.session_id


async def test_api_keys_authenticate_until_revoked_and_record_use_in_memory() -> None:
    kit = IdentityKit()
    await kit.register(account("ada"), CLIENT)
    principal = await kit.authenticate((await kit.login("ada", PASSWORD, CLIENT)).access_token)
    created = await kit.create_api_key(principal, "ci", None, CLIENT)
    assert created.secret.startswith("pk-") and created.key.prefix == created.secret[:11]
    assert created.secret not in str(kit.store.api_keys)  # only the hash is stored
    by_key = await kit.authenticate(created.secret)
    assert by_key.kind is CredentialKind.API_KEY and by_key.api_key_id == created.key.id
    assert kit.key_uses.drain() == {created.key.id: kit.clock.now()}
    await kit.revoke_api_key(principal, created.key.id, CLIENT)
    with pytest.raises(AuthenticationRequired):
        await kit.authenticate(created.secret)


async def test_expired_api_key_is_refused() -> None:
    kit = IdentityKit()
    await kit.register(account("ada"), CLIENT)
    principal = await kit.authenticate((await kit.login("ada", PASSWORD, CLIENT)).access_token)
    expires = kit.clock.now() + timedelta(hours=1)
    created = await kit.create_api_key(principal, "short", expires, CLIENT)
    await kit.authenticate(created.secret)
    kit.clock.advance(3601)
    with pytest.raises(AuthenticationRequired):
        await kit.authenticate(created.secret)
    with pytest.raises(ValidationFailed):
        await kit.create_api_key(principal, "past", kit.clock.now(), CLIENT)
