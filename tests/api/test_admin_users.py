"""User administration through the HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from parley.application.identity.accounts import NewAccount
from parley.application.identity.context import ClientInfo
from parley.domain.users import Role
from tests.conftest import make_settings, serve_app
from tests.support.admin import audit_events, create_api_key
from tests.support.users import DEFAULT_PASSWORD, login, sign_up


async def test_admin_creates_a_user_while_registration_is_closed(
    tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(tmp_path, database_url, allow_registration=False)
    async with serve_app(settings) as (client, container):
        await container.services.identity.accounts.create(
            NewAccount("root@example.com", "root", DEFAULT_PASSWORD),
            ClientInfo(),
            actor_id=None,
            role=Role.ADMIN,
            action="cli.admin.created",
        )
        admin = await login(client, "root")
        closed = await client.post(
            "/v1/auth/register",
            json={"email": "bob@example.com", "username": "bob", "password": DEFAULT_PASSWORD},
        )
        assert closed.status_code == 403

        response = await client.post(
            "/v1/admin/users",
            json={
                "email": "Bob@Example.com",
                "username": "bob",
                "password": DEFAULT_PASSWORD,
                "tier": "pro",
                "status": "suspended",  # not a create field: ignored
            },
            headers=admin.headers,
        )
        assert response.status_code == 201, response.text
        created = response.json()
        assert created["email"] == "bob@example.com"
        assert (created["role"], created["tier"], created["status"]) == ("user", "pro", "active")
        assert "password_hash" not in created
        bob = await login(client, "bob")
        assert (await client.get("/v1/me", headers=bob.headers)).status_code == 200

        events = await audit_events(client, admin, action="admin.user.created")
        assert [e["target_id"] for e in events] == [created["id"]]
        assert events[0]["actor_id"] == admin.user["id"]
        assert DEFAULT_PASSWORD not in str(events) and "argon2" not in str(events)


async def test_create_user_rejects_clashes_and_weak_passwords(client: httpx.AsyncClient) -> None:
    admin = await sign_up(client, "root")
    await sign_up(client, "bob")
    clash = await client.post(
        "/v1/admin/users",
        json={"email": "bob@example.com", "username": "bobby", "password": DEFAULT_PASSWORD},
        headers=admin.headers,
    )
    assert clash.status_code == 409
    weak = await client.post(
        "/v1/admin/users",
        json={"email": "c@example.com", "username": "carol", "password": "password"},
        headers=admin.headers,
    )
    assert weak.status_code == 422
    admin_made = await client.post(
        "/v1/admin/users",
        json={
            "email": "d@example.com",
            "username": "dave",
            "password": DEFAULT_PASSWORD,
            "role": "admin",
        },
        headers=admin.headers,
    )
    assert admin_made.status_code == 201
    assert admin_made.json()["role"] == "admin"


async def test_list_users_filters_and_pages(client: httpx.AsyncClient) -> None:
    admin = await sign_up(client, "root")
    for name in ("alice", "alfred", "bob", "carol", "al_x"):
        await sign_up(client, name)
    bob_id = (
        await client.get("/v1/admin/users", params={"q": "bob"}, headers=admin.headers)
    ).json()["items"][0]["id"]
    await client.patch(f"/v1/admin/users/{bob_id}", json={"tier": "pro"}, headers=admin.headers)

    async def names(**params: object) -> list[str]:
        response = await client.get("/v1/admin/users", params=params, headers=admin.headers)
        assert response.status_code == 200, response.text
        return [user["username"] for user in response.json()["items"]]

    assert await names(q="AL") == ["al_x", "alfred", "alice"]  # newest first
    assert await names(q="al_") == ["al_x"]  # `_` is literal, not a wildcard
    assert await names(q="bob@example") == ["bob"]
    assert await names(role="admin") == ["root"]
    assert await names(tier="pro") == ["bob"]
    assert await names(status="suspended") == []

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, object] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/v1/admin/users", params=params, headers=admin.headers)).json()
        assert len(page["items"]) <= 2
        seen += [user["username"] for user in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["al_x", "carol", "bob", "alfred", "alice", "root"]

    bad = await client.get("/v1/admin/users", params={"cursor": "nope"}, headers=admin.headers)
    assert bad.status_code == 422
    too_many = await client.get("/v1/admin/users", params={"limit": 201}, headers=admin.headers)
    assert too_many.status_code == 422


async def test_get_user_is_audited_and_unknown_is_404(client: httpx.AsyncClient) -> None:
    admin = await sign_up(client, "root")
    bob = await sign_up(client, "bob")
    response = await client.get(f"/v1/admin/users/{bob.user['id']}", headers=admin.headers)
    assert response.status_code == 200
    assert response.json()["username"] == "bob"
    assert "password_hash" not in response.json()
    viewed = await audit_events(client, admin, action="admin.user.viewed")
    assert len(viewed) == 1
    assert viewed[0]["target_id"] == bob.user["id"]
    assert viewed[0]["actor_id"] == admin.user["id"]
    assert viewed[0]["actor_ip"] == "203.0.113.7"
    missing = await client.get(
        "/v1/admin/users/00000000-0000-4000-8000-000000000000", headers=admin.headers
    )
    assert missing.status_code == 404


async def test_patch_changes_role_and_tier_only_with_before_and_after(
    client: httpx.AsyncClient,
) -> None:
    admin = await sign_up(client, "root")
    bob = await sign_up(client, "bob")
    response = await client.patch(
        f"/v1/admin/users/{bob.user['id']}",
        json={"role": "admin", "tier": "enterprise", "email": "evil@example.com", "username": "x"},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["role"], body["tier"], body["email"], body["username"]) == (
        "admin",
        "enterprise",
        "bob@example.com",
        "bob",
    )
    # The new role takes effect on bob's existing token at once.
    assert (await client.get("/v1/audit", headers=bob.headers)).status_code == 200

    [event] = await audit_events(client, admin, action="admin.user.updated")
    assert event["outcome"] == "success"
    assert event["target_type"] == "user" and event["target_id"] == bob.user["id"]
    assert event["details"]["before"] == {"role": "user", "tier": "free", "status": "active"}
    assert event["details"]["after"] == {"role": "admin", "tier": "enterprise", "status": "active"}

    invalid = await client.patch(
        f"/v1/admin/users/{bob.user['id']}", json={"role": "owner"}, headers=admin.headers
    )
    assert invalid.status_code == 422


async def test_suspension_stops_tokens_and_api_keys_at_once(client: httpx.AsyncClient) -> None:
    admin = await sign_up(client, "root")
    bob = await sign_up(client, "bob")
    key = await create_api_key(client, bob)
    key_headers = {"Authorization": f"Bearer {key}"}
    assert (await client.get("/v1/me", headers=bob.headers)).status_code == 200
    assert (await client.get("/v1/me", headers=key_headers)).status_code == 200

    response = await client.patch(
        f"/v1/admin/users/{bob.user['id']}", json={"status": "suspended"}, headers=admin.headers
    )
    assert response.status_code == 200
    assert response.json()["status"] == "suspended"
    assert (await client.get("/v1/me", headers=bob.headers)).status_code == 401
    assert (await client.get("/v1/me", headers={"X-API-Key": key})).status_code == 401
    assert (await client.get("/v1/me", headers=key_headers)).status_code == 401
    refreshed = await client.post("/v1/auth/refresh", json={"refresh_token": bob.refresh_token})
    assert refreshed.status_code == 401
    relogin = await client.post(
        "/v1/auth/login", json={"login": "bob", "password": DEFAULT_PASSWORD}
    )
    assert relogin.status_code == 401

    actions = [e["action"] for e in await audit_events(client, admin, target_id=bob.user["id"])]
    assert "admin.user.updated" in actions and "admin.user.sessions_revoked" in actions

    # Reinstated: the key works again; the revoked session does not come back.
    await client.patch(
        f"/v1/admin/users/{bob.user['id']}", json={"status": "active"}, headers=admin.headers
    )
    assert (await client.get("/v1/me", headers=key_headers)).status_code == 200
    assert (await client.get("/v1/me", headers=bob.headers)).status_code == 401


async def test_delete_soft_deletes_and_revokes_everything(client: httpx.AsyncClient) -> None:
    admin = await sign_up(client, "root")
    bob = await sign_up(client, "bob")
    key = await create_api_key(client, bob)

    response = await client.delete(f"/v1/admin/users/{bob.user['id']}", headers=admin.headers)
    assert response.status_code == 204
    assert (await client.get("/v1/me", headers=bob.headers)).status_code == 401
    assert (await client.get("/v1/me", headers={"X-API-Key": key})).status_code == 401

    shown = await client.get(f"/v1/admin/users/{bob.user['id']}", headers=admin.headers)
    assert shown.json()["status"] == "deleted"
    [event] = await audit_events(client, admin, action="admin.user.deleted")
    assert event["details"]["before"]["status"] == "active"
    assert event["details"]["after"]["status"] == "deleted"
    assert event["details"]["api_keys_revoked"] == 1

    # Even if reinstated, the deleted user's keys stay revoked.
    await client.patch(
        f"/v1/admin/users/{bob.user['id']}", json={"status": "active"}, headers=admin.headers
    )
    assert (await client.get("/v1/me", headers={"X-API-Key": key})).status_code == 401
    missing = await client.delete(
        "/v1/admin/users/00000000-0000-4000-8000-000000000000", headers=admin.headers
    )
    assert missing.status_code == 404


async def test_revoke_sessions_signs_the_user_out_but_keeps_keys(
    client: httpx.AsyncClient,
) -> None:
    admin = await sign_up(client, "root")
    bob = await sign_up(client, "bob")
    second = await login(client, "bob")
    key = await create_api_key(client, bob)
    response = await client.post(
        f"/v1/admin/users/{bob.user['id']}/revoke-sessions", headers=admin.headers
    )
    assert response.status_code == 204
    for session in (bob, second):
        assert (await client.get("/v1/me", headers=session.headers)).status_code == 401
    assert (await client.get("/v1/me", headers={"X-API-Key": key})).status_code == 200
    [event] = await audit_events(client, admin, action="admin.user.sessions_revoked")
    assert event["details"]["sessions_revoked"] == 2
    assert event["actor_id"] == admin.user["id"]
    missing = await client.post(
        "/v1/admin/users/00000000-0000-4000-8000-000000000000/revoke-sessions",
        headers=admin.headers,
    )
    assert missing.status_code == 404


async def test_the_last_active_admin_cannot_be_removed(client: httpx.AsyncClient) -> None:
    admin = await sign_up(client, "root")
    root_id = admin.user["id"]
    for change in ({"role": "user"}, {"status": "suspended"}, {"status": "deleted"}):
        response = await client.patch(
            f"/v1/admin/users/{root_id}", json=change, headers=admin.headers
        )
        assert response.status_code == 409, response.text
        assert response.json()["type"].endswith("last-active-admin")
        assert "last active admin" in response.json()["detail"]
    assert (
        await client.delete(f"/v1/admin/users/{root_id}", headers=admin.headers)
    ).status_code == 409
    # A tier change of the last admin is fine.
    ok = await client.patch(
        f"/v1/admin/users/{root_id}", json={"tier": "pro"}, headers=admin.headers
    )
    assert ok.status_code == 200

    me = (await client.get("/v1/me", headers=admin.headers)).json()
    assert (me["role"], me["status"]) == ("admin", "active")
    failures = [
        e for e in await audit_events(client, admin, target_id=root_id) if e["outcome"] == "failure"
    ]
    assert len(failures) == 4
    assert {e["details"]["reason"] for e in failures} == {"last_active_admin"}

    # With a second active admin, the first may step down; then the second is the last.
    bob = await sign_up(client, "bob")
    await client.patch(
        f"/v1/admin/users/{bob.user['id']}", json={"role": "admin"}, headers=admin.headers
    )
    demoted = await client.patch(
        f"/v1/admin/users/{root_id}", json={"role": "user"}, headers=admin.headers
    )
    assert demoted.status_code == 200
    last = await client.delete(f"/v1/admin/users/{bob.user['id']}", headers=bob.headers)
    assert last.status_code == 409


async def test_suspended_admin_does_not_count_as_active(client: httpx.AsyncClient) -> None:
    admin = await sign_up(client, "root")
    bob = await sign_up(client, "bob")
    bob_url = f"/v1/admin/users/{bob.user['id']}"
    await client.patch(
        bob_url, json={"role": "admin", "status": "suspended"}, headers=admin.headers
    )
    response = await client.patch(
        f"/v1/admin/users/{admin.user['id']}", json={"role": "user"}, headers=admin.headers
    )
    assert response.status_code == 409


async def test_two_admins_removing_each_other_at_once_leave_one(
    client: httpx.AsyncClient,
) -> None:
    root = await sign_up(client, "root")
    bob = await sign_up(client, "bob")
    root_url = f"/v1/admin/users/{root.user['id']}"
    bob_url = f"/v1/admin/users/{bob.user['id']}"
    await client.patch(bob_url, json={"role": "admin"}, headers=root.headers)

    for _ in range(3):
        suspend_bob, demote_root = await asyncio.gather(
            client.patch(bob_url, json={"status": "suspended"}, headers=root.headers),
            client.patch(root_url, json={"role": "user"}, headers=bob.headers),
        )
        codes = sorted([suspend_bob.status_code, demote_root.status_code])
        # The loser either waited on the winner's lock (409) or authenticated after it (401
        # for the suspended bob, 403 for the demoted root); never both succeed.
        assert codes in ([200, 401], [200, 403], [200, 409]), codes
        survivor = root if suspend_bob.status_code == 200 else bob
        active_admins = await client.get(
            "/v1/admin/users",
            params={"role": "admin", "status": "active"},
            headers=survivor.headers,
        )
        assert [u["id"] for u in active_admins.json()["items"]] == [survivor.user["id"]]
        restore = {"role": "admin", "status": "active"}
        for url in (root_url, bob_url):
            restored = await client.patch(url, json=restore, headers=survivor.headers)
            assert restored.status_code == 200
        root, bob = await login(client, "root"), await login(client, "bob")
