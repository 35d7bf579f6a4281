"""The auth, me and api-keys routes, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from parley.container import Container
from tests.support.users import DEFAULT_PASSWORD, login, register, sign_up


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, object] = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    assert "Traceback" not in response.text
    return body


async def test_registration_login_me_and_request_ids(client: httpx.AsyncClient) -> None:
    user = await register(client, "alice")
    assert user["role"] == "admin" and user["tier"] == "free" and user["status"] == "active"
    assert "password" not in str(user) and "hash" not in str(user)
    alice = await login(client, "alice@EXAMPLE.com")
    response = await client.get("/v1/me", headers={**alice.headers, "X-Request-ID": "abc-123"})
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "abc-123"
    assert set(response.json()) == {
        "id",
        "email",
        "username",
        "role",
        "tier",
        "status",
        "created_at",
        "last_login_at",
    }
    forged = await client.get("/healthz", headers={"X-Request-ID": "bad id\twith junk"})
    assert forged.headers["x-request-id"] != "bad id\twith junk"


async def test_only_the_first_of_concurrent_registrations_becomes_admin(
    client: httpx.AsyncClient,
) -> None:
    responses = await asyncio.gather(
        *(
            client.post(
                "/v1/auth/register",
                json={
                    "email": f"user{i}@example.com",
                    "username": f"user{i}",
                    "password": DEFAULT_PASSWORD,
                },
            )
            for i in range(6)
        )
    )
    assert [r.status_code for r in responses] == [201] * 6
    assert sorted(r.json()["role"] for r in responses) == ["admin"] + ["user"] * 5


async def test_validation_and_conflicts_are_problem_details(client: httpx.AsyncClient) -> None:
    body = assert_problem(
        await client.post("/v1/auth/register", json={"email": "nope", "username": "a"}), 422
    )
    fields = {tuple(error["loc"]) for error in body["errors"]}  # type: ignore[attr-defined]
    assert {("body", "email"), ("body", "username"), ("body", "password")} <= fields
    await register(client, "alice")
    assert_problem(
        await client.post(
            "/v1/auth/register",
            json={"email": "alice@example.com", "username": "other", "password": DEFAULT_PASSWORD},
        ),
        409,
    )
    weak = await client.post(
        "/v1/auth/register",
        json={"email": "b@example.com", "username": "bobby", "password": "password123"},
    )
    assert assert_problem(weak, 422)["errors"]
    assert_problem(await client.post("/v1/auth/login", content=b"{not json"), 422)


async def test_mass_assignment_is_ignored(client: httpx.AsyncClient) -> None:
    await register(client, "admin0")
    response = await client.post(
        "/v1/auth/register",
        json={
            "email": "m@example.com",
            "username": "mallory",
            "password": DEFAULT_PASSWORD,
            "role": "admin",
            "tier": "enterprise",
            "status": "active",
        },
    )
    assert response.json()["role"] == "user" and response.json()["tier"] == "free"
    mallory = await login(client, "mallory")
    patched = await client.patch(
        "/v1/me",
        headers=mallory.headers,
        json={"username": "mal", "role": "admin", "tier": "enterprise", "status": "active"},
    )
    assert patched.status_code == 200
    assert (patched.json()["username"], patched.json()["role"], patched.json()["tier"]) == (
        "mal",
        "user",
        "free",
    )


async def test_login_failures_look_identical(client: httpx.AsyncClient) -> None:
    await register(client, "alice")
    unknown = await client.post("/v1/auth/login", json={"login": "ghost", "password": "whatever1"})
    wrong = await client.post("/v1/auth/login", json={"login": "alice", "password": "whatever1"})
    assert unknown.status_code == wrong.status_code == 401
    strip = ("instance",)
    assert {k: v for k, v in unknown.json().items() if k not in strip} == {
        k: v for k, v in wrong.json().items() if k not in strip
    }


async def test_login_throttling_answers_429_with_retry_after(settings: object) -> None:
    from tests.conftest import serve_app

    settings.login_failures_per_account = 3  # type: ignore[attr-defined]
    async with serve_app(settings) as (client, _):  # type: ignore[arg-type]
        await register(client, "alice")
        for _ in range(3):
            response = await client.post(
                "/v1/auth/login", json={"login": "alice", "password": "nope-nope"}
            )
            assert response.status_code == 401
        limited = await client.post(
            "/v1/auth/login", json={"login": "alice", "password": DEFAULT_PASSWORD}
        )
        assert_problem(limited, 429)
        assert int(limited.headers["retry-after"]) >= 1


async def test_refresh_rotation_and_reuse(client: httpx.AsyncClient) -> None:
    alice = await sign_up(client, "alice")
    rotated = await client.post("/v1/auth/refresh", json={"refresh_token": alice.refresh_token})
    assert rotated.status_code == 200
    new = rotated.json()
    assert new["refresh_token"] != alice.refresh_token and new["token_type"] == "bearer"
    assert (
        await client.get("/v1/me", headers={"Authorization": f"Bearer {new['access_token']}"})
    ).status_code == 200
    replay = await client.post("/v1/auth/refresh", json={"refresh_token": alice.refresh_token})
    assert_problem(replay, 401)
    # The whole session is gone: the newest refresh token and access token too.
    assert_problem(
        await client.post("/v1/auth/refresh", json={"refresh_token": new["refresh_token"]}), 401
    )
    assert_problem(
        await client.get("/v1/me", headers={"Authorization": f"Bearer {new['access_token']}"}), 401
    )


async def test_logout_and_session_management(client: httpx.AsyncClient) -> None:
    await register(client, "alice")
    laptop = await login(client, "alice")
    phone = await login(client, "alice")
    sessions = (await client.get("/v1/auth/sessions", headers=laptop.headers)).json()["items"]
    assert len(sessions) == 2
    assert sum(s["current"] for s in sessions) == 1
    assert sessions[0]["ip_address"] == "203.0.113.7"
    phone_id = next(s["id"] for s in sessions if not s["current"])
    assert (
        await client.delete(f"/v1/auth/sessions/{phone_id}", headers=laptop.headers)
    ).status_code == 204
    assert_problem(await client.get("/v1/me", headers=phone.headers), 401)
    assert (await client.post("/v1/auth/logout", headers=laptop.headers)).status_code == 204
    assert_problem(await client.get("/v1/me", headers=laptop.headers), 401)
    assert_problem(
        await client.post("/v1/auth/refresh", json={"refresh_token": laptop.refresh_token}), 401
    )


async def test_logout_all(client: httpx.AsyncClient) -> None:
    await register(client, "alice")
    one, two = await login(client, "alice"), await login(client, "alice")
    assert (await client.post("/v1/auth/logout-all", headers=one.headers)).status_code == 204
    for session in (one, two):
        assert_problem(await client.get("/v1/me", headers=session.headers), 401)


async def test_another_users_session_cannot_be_revoked(client: httpx.AsyncClient) -> None:
    alice = await sign_up(client, "alice")
    bob = await sign_up(client, "bob")
    bob_session = (await client.get("/v1/auth/sessions", headers=bob.headers)).json()["items"][0][
        "id"
    ]
    assert_problem(
        await client.delete(f"/v1/auth/sessions/{bob_session}", headers=alice.headers), 404
    )
    assert (await client.get("/v1/me", headers=bob.headers)).status_code == 200


async def test_password_change_revokes_other_sessions(client: httpx.AsyncClient) -> None:
    await register(client, "alice")
    here, elsewhere = await login(client, "alice"), await login(client, "alice")
    wrong = await client.post(
        "/v1/auth/password",
        headers=here.headers,
        json={"current_password": "not it at all", "new_password": "a brand new passphrase"},
    )
    assert_problem(wrong, 422)
    changed = await client.post(
        "/v1/auth/password",
        headers=here.headers,
        json={"current_password": DEFAULT_PASSWORD, "new_password": "a brand new passphrase"},
    )
    assert changed.status_code == 204
    assert (await client.get("/v1/me", headers=here.headers)).status_code == 200
    assert_problem(await client.get("/v1/me", headers=elsewhere.headers), 401)
    assert (
        await client.post("/v1/auth/login", json={"login": "alice", "password": DEFAULT_PASSWORD})
    ).status_code == 401
    await login(client, "alice", "a brand new passphrase")


async def test_api_keys_lifecycle(client: httpx.AsyncClient, container: Container) -> None:
    alice = await sign_up(client, "alice")
    created = await client.post("/v1/api-keys", headers=alice.headers, json={"name": "ci"})
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("pk-") and created.json()["prefix"] == key[:11]
    listed = await client.get("/v1/api-keys", headers=alice.headers)
    assert listed.json()["items"][0]["id"] == created.json()["id"]
    assert key not in listed.text
    for headers in ({"Authorization": f"Bearer {key}"}, {"X-API-Key": key}):
        assert (await client.get("/v1/me", headers=headers)).json()["username"] == "alice"
    assert await container.flush_api_key_use() == 1
    listed = await client.get("/v1/api-keys", headers=alice.headers)
    assert listed.json()["items"][0]["last_used_at"] is not None
    bob = await sign_up(client, "bob")
    assert_problem(
        await client.delete(f"/v1/api-keys/{created.json()['id']}", headers=bob.headers), 404
    )
    assert (
        await client.delete(f"/v1/api-keys/{created.json()['id']}", headers=alice.headers)
    ).status_code == 204
    assert_problem(await client.get("/v1/me", headers={"X-API-Key": key}), 401)
    assert_problem(
        await client.post(
            "/v1/api-keys",
            headers=alice.headers,
            json={"name": "old", "expires_at": "2001-01-01T00:00:00Z"},
        ),
        422,
    )


async def test_audit_rows_for_auth_events(client: httpx.AsyncClient, container: Container) -> None:
    from sqlalchemy import text

    alice = await sign_up(client, "alice")
    await client.post("/v1/auth/login", json={"login": "alice", "password": "wrong password"})
    key = (await client.post("/v1/api-keys", headers=alice.headers, json={"name": "k"})).json()
    await client.delete(f"/v1/api-keys/{key['id']}", headers=alice.headers)
    await client.post("/v1/auth/logout", headers=alice.headers)
    async with container.engine.connect() as connection:
        rows = (
            await connection.execute(text("SELECT action, outcome, details FROM audit_logs"))
        ).all()
    actions = [row.action for row in rows]
    for expected in (
        "auth.user.registered",
        "auth.login.succeeded",
        "auth.login.failed",
        "apikey.created",
        "apikey.revoked",
        "auth.logout",
    ):
        assert expected in actions
    assert key["key"] not in str(rows) and DEFAULT_PASSWORD not in str(rows)


async def test_registration_can_be_closed(tmp_path: object, database_url: str) -> None:
    from tests.conftest import make_settings, serve_app

    settings = make_settings(tmp_path, database_url, allow_registration=False)  # type: ignore[arg-type]
    async with serve_app(settings) as (client, _):
        response = await client.post(
            "/v1/auth/register",
            json={"email": "a@example.com", "username": "alice", "password": DEFAULT_PASSWORD},
        )
        assert_problem(response, 403)


async def test_oversized_body_is_413(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/auth/login",
        content=b'{"login": "' + b"a" * (3 * 1024 * 1024) + b'"}',
        headers={"content-type": "application/json"},
    )
    assert_problem(response, 413)


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"


@pytest.mark.parametrize("path", ["/v1/me", "/v1/api-keys", "/v1/auth/sessions"])
async def test_protected_routes_need_credentials(client: httpx.AsyncClient, path: str) -> None:
    assert_problem(await client.get(path), 401)
    assert_problem(await client.get(path, headers={"Authorization": "Bearer pk-not-a-key"}), 401)
    assert_problem(await client.get(path, headers={"Authorization": "Bearer not.a.jwt"}), 401)
