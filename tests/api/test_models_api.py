"""Model configs through the HTTP API: admin CRUD, secrecy, tiers, and startup registration."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from parley.application.identity.accounts import NewAccount
from parley.application.identity.context import ClientInfo
from parley.container import Container
from parley.domain.users import Tier
from tests.conftest import make_settings, serve_app
from tests.support.users import DEFAULT_PASSWORD, SignedIn, login, sign_up

RAW_KEY = "sk-test-RAW-provider-key-4f1c9e0b7a"
PROVIDER_ENV = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "OLLAMA_BASE_URL")


@pytest.fixture(autouse=True)
def _no_provider_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own provider keys must not leak into what these tests see."""
    for name in PROVIDER_ENV:
        monkeypatch.delenv(name, raising=False)


def config(name: str = "gpt-test", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "provider": "openai",
        "upstream_model": "gpt-4o-mini",
        "base_url": "https://api.openai.com/v1",
        "context_window": 128000,
        "input_price_per_mtok": "0.15",
        "output_price_per_mtok": 0.6,
        "tiers": ["free", "pro"],
    }
    body.update(overrides)
    return body


async def create(client: httpx.AsyncClient, admin: SignedIn, **overrides: Any) -> dict[str, Any]:
    response = await client.post(
        "/v1/admin/models", json=config(**overrides), headers=admin.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_admin_crud(client: httpx.AsyncClient) -> None:
    admin = await sign_up(client, "alice")
    created = await create(client, admin)
    assert created["name"] == "gpt-test"
    assert created["source"] == "admin"
    assert created["has_api_key"] is False
    assert created["input_price_per_mtok"] == 0.15
    assert created["timeouts"]["total"] == 600

    listed = await client.get("/v1/admin/models", headers=admin.headers)
    assert listed.status_code == 200
    assert {"echo", "gpt-test"} <= {item["name"] for item in listed.json()["items"]}

    path = f"/v1/admin/models/{created['id']}"
    fetched = await client.get(path, headers=admin.headers)
    assert fetched.status_code == 200
    assert fetched.json() == created

    patched = await client.patch(
        path,
        json={"enabled": False, "context_window": 4096, "name": "renamed", "source": "env"},
        headers=admin.headers,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["enabled"] is False
    assert patched.json()["context_window"] == 4096
    assert patched.json()["name"] == "gpt-test"
    assert patched.json()["source"] == "admin"

    deleted = await client.delete(path, headers=admin.headers)
    assert deleted.status_code == 204
    assert (await client.get(path, headers=admin.headers)).status_code == 404
    assert (await client.delete(path, headers=admin.headers)).status_code == 404


async def test_duplicate_name_is_409(client: httpx.AsyncClient) -> None:
    admin = await sign_up(client, "alice")
    await create(client, admin)
    response = await client.post("/v1/admin/models", json=config(), headers=admin.headers)
    assert response.status_code == 409
    assert response.json()["type"].endswith("model-name-taken")
    echo = await client.post(
        "/v1/admin/models", json=config("echo", provider="echo"), headers=admin.headers
    )
    assert echo.status_code == 409


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"provider": "acme"}, "provider"),
        ({"name": "has spaces"}, "name"),
        ({"context_window": 0}, "context_window"),
        ({"input_price_per_mtok": -1}, "input_price_per_mtok"),
        ({"fallbacks": ["no-such-model"]}, "fallbacks"),
        ({"fallbacks": ["gpt-test"]}, "fallbacks"),
        ({"tiers": ["gold"]}, "tiers"),
        ({"base_url": "ftp://example.com"}, "base_url"),
    ],
)
async def test_invalid_configs_are_422_with_field_errors(
    client: httpx.AsyncClient, overrides: dict[str, Any], field: str
) -> None:
    admin = await sign_up(client, "alice")
    response = await client.post(
        "/v1/admin/models", json=config(**overrides), headers=admin.headers
    )
    assert response.status_code == 422, response.text
    assert field in [error["loc"][1] for error in response.json()["errors"]]


async def test_fallbacks_on_create_and_patch(client: httpx.AsyncClient) -> None:
    admin = await sign_up(client, "alice")
    model = await create(client, admin, fallbacks=["echo"])
    assert model["fallbacks"] == ["echo"]
    path = f"/v1/admin/models/{model['id']}"
    for bad in (["gpt-test"], ["ghost"]):
        response = await client.patch(path, json={"fallbacks": bad}, headers=admin.headers)
        assert response.status_code == 422
    echo_id = next(
        item["id"]
        for item in (await client.get("/v1/admin/models", headers=admin.headers)).json()["items"]
        if item["name"] == "echo"
    )
    blocked = await client.delete(f"/v1/admin/models/{echo_id}", headers=admin.headers)
    assert blocked.status_code == 409


async def test_non_admins_get_403_on_every_admin_route(client: httpx.AsyncClient) -> None:
    admin = await sign_up(client, "alice")
    bob = await sign_up(client, "bob")
    model = await create(client, admin)
    path = f"/v1/admin/models/{model['id']}"
    for method, url, body in (
        ("GET", "/v1/admin/models", None),
        ("POST", "/v1/admin/models", config("bobs-model")),
        ("GET", path, None),
        ("PATCH", path, {"enabled": False}),
        ("DELETE", path, None),
    ):
        response = await client.request(method, url, json=body, headers=bob.headers)
        assert response.status_code == 403, (method, url, response.text)
        anonymous = await client.request(method, url, json=body)
        assert anonymous.status_code == 401, (method, url)
    unchanged = await client.get(path, headers=admin.headers)
    assert unchanged.json()["enabled"] is True
    names = [
        m["name"]
        for m in (await client.get("/v1/admin/models", headers=admin.headers)).json()["items"]
    ]
    assert "bobs-model" not in names


async def test_secrets_are_never_returned(client: httpx.AsyncClient, container: Container) -> None:
    admin = await sign_up(client, "alice")
    bodies: list[str] = []
    response = await client.post(
        "/v1/admin/models", json=config(api_key=RAW_KEY), headers=admin.headers
    )
    assert response.status_code == 201
    bodies.append(response.text)
    model = response.json()
    assert model["has_api_key"] is True
    assert "api_key" not in model
    assert "api_key_encrypted" not in model
    path = f"/v1/admin/models/{model['id']}"
    for method, url, body in (
        ("GET", "/v1/admin/models", None),
        ("GET", path, None),
        ("PATCH", path, {"context_window": 1000}),
        ("PATCH", path, {"api_key": RAW_KEY + "-rotated"}),
        ("GET", "/v1/models", None),
        ("POST", "/v1/admin/models", config(api_key=RAW_KEY)),  # 409 must not echo it either
        ("POST", "/v1/admin/models", config("bad", provider="acme", api_key=RAW_KEY)),
    ):
        response = await client.request(method, url, json=body, headers=admin.headers)
        bodies.append(response.text)
    assert all(RAW_KEY not in text for text in bodies)
    assert all("api_key_encrypted" not in text for text in bodies)

    stored = await container.services.models.catalog.get("gpt-test")
    assert stored is not None
    assert stored.api_key_encrypted is not None
    assert RAW_KEY not in stored.api_key_encrypted
    assert container.services.models.catalog.resolve_api_key(stored) == RAW_KEY + "-rotated"


async def test_env_key_value_is_never_returned(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_PROVIDER_KEY", RAW_KEY)
    admin = await sign_up(client, "alice")
    model = await create(client, admin, api_key_env="MY_PROVIDER_KEY")
    assert model["api_key_env"] == "MY_PROVIDER_KEY"
    assert model["has_api_key"] is True
    for url in ("/v1/admin/models", f"/v1/admin/models/{model['id']}", "/v1/models"):
        assert RAW_KEY not in (await client.get(url, headers=admin.headers)).text


async def sign_in_with_tier(
    client: httpx.AsyncClient, container: Container, name: str, tier: Tier
) -> SignedIn:
    await container.services.identity.accounts.create(
        NewAccount(f"{name}@example.com", name, DEFAULT_PASSWORD),
        ClientInfo(),
        actor_id=None,
        tier=tier,
        action="admin.user.created",
    )
    return await login(client, name)


async def test_v1_models_lists_only_what_the_tier_may_use(
    client: httpx.AsyncClient, container: Container
) -> None:
    admin = await sign_up(client, "alice")
    await create(client, admin, name="for-everyone", tiers=["free", "pro", "enterprise"])
    await create(client, admin, name="for-pro", tiers=["pro"])
    off = await create(client, admin, name="switched-off", tiers=["free", "pro"])
    await client.patch(
        f"/v1/admin/models/{off['id']}", json={"enabled": False}, headers=admin.headers
    )
    free_user = await sign_up(client, "bob")
    pro_user = await sign_in_with_tier(client, container, "carol", Tier.PRO)

    free = await client.get("/v1/models", headers=free_user.headers)
    assert free.status_code == 200
    body = free.json()
    assert body["object"] == "list"
    assert {m["id"] for m in body["data"]} == {"echo", "for-everyone"}
    entry = next(m for m in body["data"] if m["id"] == "for-everyone")
    assert entry["object"] == "model"
    assert isinstance(entry["created"], int)
    assert entry["owned_by"] == "parley"
    assert entry["context_window"] == 128000

    pro = await client.get("/v1/models", headers=pro_user.headers)
    assert {m["id"] for m in pro.json()["data"]} == {"echo", "for-everyone", "for-pro"}
    assert (await client.get("/v1/models")).status_code == 401


async def test_catalog_sees_an_update_at_once(
    client: httpx.AsyncClient, container: Container
) -> None:
    admin = await sign_up(client, "alice")
    model = await create(client, admin)
    catalog = container.services.models.catalog
    assert (await catalog.get("gpt-test")).context_window == 128000  # type: ignore[union-attr]
    await client.patch(
        f"/v1/admin/models/{model['id']}", json={"context_window": 2048}, headers=admin.headers
    )
    assert (await catalog.get("gpt-test")).context_window == 2048  # type: ignore[union-attr]
    await client.delete(f"/v1/admin/models/{model['id']}", headers=admin.headers)
    assert await catalog.get("gpt-test") is None


MODELS_YAML = """
models:
  - name: house/llama
    provider: ollama
    upstream_model: llama3.2
    base_url: http://127.0.0.1:11434
    tiers: [pro]
    fallbacks: [echo]
"""

MODELS_TOML = """
[[models]]
name = "house/llama"
provider = "ollama"
upstream_model = "llama3.2"
base_url = "http://127.0.0.1:11434"
tiers = ["pro"]
fallbacks = ["echo"]
"""


@pytest.mark.parametrize(("suffix", "text"), [(".yaml", MODELS_YAML), (".toml", MODELS_TOML)])
async def test_models_file_is_registered(
    tmp_path: Path, database_url: str, suffix: str, text: str
) -> None:
    path = tmp_path / f"models{suffix}"
    path.write_text(text)
    async with serve_app(make_settings(tmp_path, database_url, models_file=path)) as (client, _):
        admin = await sign_up(client, "alice")
        items = (await client.get("/v1/admin/models", headers=admin.headers)).json()["items"]
        house = next(item for item in items if item["name"] == "house/llama")
        assert house["source"] == "file"
        assert house["tiers"] == ["pro"]
        assert house["fallbacks"] == ["echo"]
        visible = (await client.get("/v1/models", headers=admin.headers)).json()["data"]
        assert "house/llama" not in {m["id"] for m in visible}  # alice is on the free tier


async def test_bad_models_file_stops_startup_with_a_clear_message(
    tmp_path: Path, database_url: str
) -> None:
    path = tmp_path / "models.yaml"
    path.write_text(
        "models:\n  - {name: ok, provider: echo, upstream_model: e, fallbacks: [ghost]}\n"
    )
    with pytest.raises(Exception) as caught:
        async with serve_app(make_settings(tmp_path, database_url, models_file=path)):
            pass
    message = str(caught.value)
    assert str(path) in message
    assert "'ok'" in message
    assert "ghost" in message


async def test_environment_registration(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", RAW_KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", RAW_KEY + "-anthropic")
    monkeypatch.setenv("OLLAMA_BASE_URL", "http://127.0.0.1:11434")
    settings = make_settings(tmp_path, database_url, ollama_models="llama3.2, qwen2.5")
    async with serve_app(settings) as (client, container):
        admin = await sign_up(client, "alice")
        listed = await client.get("/v1/admin/models", headers=admin.headers)
        assert RAW_KEY not in listed.text
        by_name = {item["name"]: item for item in listed.json()["items"]}
        assert {
            "echo",
            "gpt-4o-mini",
            "gpt-4o",
            "claude-sonnet-4",
            "ollama/llama3.2",
            "ollama/qwen2.5",
        } <= set(by_name)
        assert by_name["gpt-4o"]["source"] == "env"
        assert by_name["gpt-4o"]["api_key_env"] == "OPENAI_API_KEY"
        assert by_name["gpt-4o"]["has_api_key"] is True
        gpt = await container.services.models.catalog.get("gpt-4o")
        assert container.services.models.catalog.resolve_api_key(gpt) == RAW_KEY  # type: ignore[arg-type]
        # An admin's edit makes the config theirs: a restart must not undo it.
        await client.patch(
            f"/v1/admin/models/{by_name['gpt-4o']['id']}",
            json={"enabled": False},
            headers=admin.headers,
        )

    monkeypatch.delenv("ANTHROPIC_API_KEY")
    async with serve_app(settings) as (client, _):
        admin = await login(client, "alice")
        items = (await client.get("/v1/admin/models", headers=admin.headers)).json()["items"]
        by_name = {item["name"]: item for item in items}
        assert by_name["gpt-4o"]["enabled"] is False
        assert by_name["gpt-4o"]["source"] == "admin"
        assert by_name["claude-sonnet-4"]["enabled"] is False  # no longer configured
        assert by_name["gpt-4o-mini"]["enabled"] is True


@pytest.mark.redis
async def test_another_replica_sees_a_change_through_redis(
    tmp_path: Path, database_url: str, redis_url: str
) -> None:
    settings = make_settings(
        tmp_path,
        database_url,
        redis_url=redis_url,
        shared_cache_local_seconds=0.0,
        model_catalog_check_seconds=0.05,
    )
    async with serve_app(settings) as (client_a, _), serve_app(settings) as (client_b, replica_b):
        admin = await sign_up(client_a, "alice")
        model = await create(client_a, admin)
        catalog_b = replica_b.services.models.catalog
        await asyncio.sleep(0.1)
        assert (await catalog_b.get("gpt-test")) is not None
        await client_a.patch(
            f"/v1/admin/models/{model['id']}", json={"enabled": False}, headers=admin.headers
        )
        await asyncio.sleep(0.1)
        b_view = await client_b.get("/v1/models", headers=admin.headers)
        assert "gpt-test" not in {m["id"] for m in b_view.json()["data"]}
        assert (await catalog_b.get("gpt-test")).enabled is False  # type: ignore[union-attr]
