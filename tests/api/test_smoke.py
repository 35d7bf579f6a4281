from __future__ import annotations

import httpx

from tests.support.users import sign_up


async def test_register_login_me(client: httpx.AsyncClient) -> None:
    alice = await sign_up(client, "alice")
    response = await client.get("/v1/me", headers=alice.headers)
    assert response.status_code == 200
    assert response.json()["username"] == "alice"
    assert response.json()["role"] == "admin"
