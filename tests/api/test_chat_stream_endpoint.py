"""`POST /v2/chat/stream` is a bare ASGI endpoint (api/routers/chat.py): it must answer as
the FastAPI route did — same order of checks, same problems — and carry the same headers,
in-process and through `parley serve`'s protocol."""

from __future__ import annotations

import httpx
import pytest

from tests.support.sse import parse_events
from tests.support.transports import app_and_client  # noqa: F401 (both transports)
from tests.support.users import SignedIn, sign_up

PATH = "/v2/chat/stream"


@pytest.fixture
async def admin(client: httpx.AsyncClient) -> SignedIn:
    return await sign_up(client, "root")


async def test_a_turn_carries_the_model_request_id_and_rate_limit_headers(
    client: httpx.AsyncClient, admin: SignedIn
) -> None:
    response = await client.post(
        PATH, json={"message": "hi"}, headers={**admin.headers, "X-Request-ID": "turn-1"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-accel-buffering"] == "no"
    assert response.headers["x-parley-model"] == "echo"
    assert response.headers["x-request-id"] == "turn-1"
    assert int(response.headers["x-ratelimit-limit"]) >= 1
    assert [e.name for e in parse_events(response.text)][-1] == "done"


async def test_an_api_key_in_x_api_key_is_accepted(
    client: httpx.AsyncClient, admin: SignedIn
) -> None:
    created = await client.post("/v1/api-keys", headers=admin.headers, json={"name": "k"})
    response = await client.post(
        PATH, json={"message": "hi"}, headers={"X-API-Key": created.json()["key"]}
    )
    assert response.status_code == 200


async def test_json_is_decoded_before_credentials_are_checked(client: httpx.AsyncClient) -> None:
    broken = await client.post(
        PATH, content=b'{"message": ', headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 422
    assert broken.json()["errors"][0]["type"] == "json_invalid"
    unauthenticated = await client.post(PATH, json={"message": 5})
    assert unauthenticated.status_code == 401
    assert unauthenticated.headers["content-type"].startswith("application/problem+json")
    assert unauthenticated.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("body", "content_type", "loc", "kind"),
    [
        (b"", "application/json", ["body"], "missing"),
        (b"null", "application/json", ["body"], "missing"),
        (b'{"message": "hi"}', "text/plain", ["body"], "model_attributes_type"),
        (b"[1]", "application/json", ["body"], "model_attributes_type"),
        (b"{}", "application/json", ["body", "message"], "missing"),
        (
            b'{"message": "hi", "max_tokens": 0}',
            "application/json",
            ["body", "max_tokens"],
            "greater_than_equal",
        ),
    ],
)
async def test_validation_problems_match_fastapis(
    client: httpx.AsyncClient,
    admin: SignedIn,
    body: bytes,
    content_type: str,
    loc: list[str],
    kind: str,
) -> None:
    response = await client.post(
        PATH, content=body, headers={**admin.headers, "Content-Type": content_type}
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["status"] == 422 and problem["instance"] == PATH
    assert (problem["errors"][0]["loc"], problem["errors"][0]["type"]) == (loc, kind)


async def test_an_undecodable_body_is_a_400(client: httpx.AsyncClient, admin: SignedIn) -> None:
    response = await client.post(
        PATH,
        content=b'{"message": "\xff"}',
        headers={**admin.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "There was an error parsing the body"


async def test_other_methods_get_405_and_the_route_is_documented(client: httpx.AsyncClient) -> None:
    assert (await client.get(PATH)).status_code == 405
    assert "post" in (await client.get("/openapi.json")).json()["paths"][PATH]
