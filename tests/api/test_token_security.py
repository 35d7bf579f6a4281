"""Forged, tampered, expired and mistyped tokens are all refused with the same 401."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import httpx
import jwt

from tests.conftest import TEST_SECRET
from tests.support.users import SignedIn, sign_up


def claims_of(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def status_with(client: httpx.AsyncClient, token: str) -> int:
    response = await client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    if response.status_code == 401:
        assert response.json()["detail"] == "Valid credentials are required."
    return response.status_code


async def signed_in(client: httpx.AsyncClient) -> SignedIn:
    alice = await sign_up(client, "alice")
    assert await status_with(client, alice.access_token) == 200
    return alice


async def test_alg_none_is_refused(client: httpx.AsyncClient) -> None:
    alice = await signed_in(client)
    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims_of(alice.access_token))}."
    assert await status_with(client, unsigned) == 401


async def test_wrong_key_and_other_algorithms_are_refused(client: httpx.AsyncClient) -> None:
    alice = await signed_in(client)
    claims = claims_of(alice.access_token)
    assert (
        await status_with(client, jwt.encode(claims, "another-secret-" * 4, algorithm="HS256"))
        == 401
    )
    assert await status_with(client, jwt.encode(claims, TEST_SECRET, algorithm="HS512")) == 401


async def test_tampered_payload_is_refused(client: httpx.AsyncClient) -> None:
    alice = await signed_in(client)
    bob = await sign_up(client, "bob")
    header, _, signature = alice.access_token.split(".")
    forged_claims = {**claims_of(alice.access_token), "sub": bob.user["id"]}
    assert await status_with(client, f"{header}.{b64(forged_claims)}.{signature}") == 401


async def test_expired_token_is_refused(client: httpx.AsyncClient) -> None:
    alice = await signed_in(client)
    claims = {
        **claims_of(alice.access_token),
        "iat": int(time.time()) - 7200,
        "exp": int(time.time()) - 3600,
    }
    assert await status_with(client, jwt.encode(claims, TEST_SECRET, algorithm="HS256")) == 401


async def test_wrong_type_issuer_or_audience_is_refused(client: httpx.AsyncClient) -> None:
    alice = await signed_in(client)
    claims = claims_of(alice.access_token)
    for change in ({"typ": "refresh"}, {"iss": "someone-else"}, {"aud": "another-service"}):
        assert (
            await status_with(
                client, jwt.encode({**claims, **change}, TEST_SECRET, algorithm="HS256")
            )
            == 401
        )
    missing_sid = {k: v for k, v in claims.items() if k != "sid"}
    assert await status_with(client, jwt.encode(missing_sid, TEST_SECRET, algorithm="HS256")) == 401
    # A refresh token is not an access token.
    assert await status_with(client, alice.refresh_token) == 401


async def test_a_validly_signed_token_for_an_unknown_session_is_refused(
    client: httpx.AsyncClient,
) -> None:
    alice = await signed_in(client)
    claims = {**claims_of(alice.access_token), "sid": "00000000-0000-4000-8000-000000000000"}
    assert await status_with(client, jwt.encode(claims, TEST_SECRET, algorithm="HS256")) == 401


async def test_session_belongs_to_the_token_subject(client: httpx.AsyncClient) -> None:
    alice = await signed_in(client)
    bob = await sign_up(client, "bob")
    # Bob's session id with Alice's subject, signed correctly: still refused.
    claims = {**claims_of(alice.access_token), "sid": claims_of(bob.access_token)["sid"]}
    assert await status_with(client, jwt.encode(claims, TEST_SECRET, algorithm="HS256")) == 401
