"""`/v1/tools`, `/v1/admin/tools`, webhooks behind the outbound guard, and MCP servers."""

from __future__ import annotations

import httpx

from tests.support.tool_servers import mcp_server, webhook_receiver
from tests.support.users import SignedIn, sign_up

SUM_SCHEMA = {
    "type": "object",
    "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
    "required": ["a", "b"],
}


async def invoke(client: httpx.AsyncClient, who: SignedIn, name: str, **arguments: object):
    return await client.post(
        f"/v1/tools/{name}/invoke", headers=who.headers, json={"arguments": arguments}
    )


async def test_builtins_are_listed_and_the_calculator_parses_instead_of_evaluating(
    client: httpx.AsyncClient,
) -> None:
    admin = await sign_up(client, "root")
    listed = await client.get("/v1/tools", headers=admin.headers)
    assert listed.status_code == 200
    names = {tool["name"]: tool for tool in listed.json()["items"]}
    assert {"calculator", "current_time", "search_conversations"} <= set(names)
    assert names["calculator"]["kind"] == "builtin"
    assert names["calculator"]["parameters"]["required"] == ["expression"]

    ok = await invoke(client, admin, "calculator", expression="(2 + 3) * sqrt(16) - 2**3")
    assert ok.status_code == 200
    assert ok.json() == {"name": "calculator", "content": "12", "is_error": False}
    code = await invoke(client, admin, "calculator", expression="__import__('os').getcwd()")
    assert code.status_code == 200 and code.json()["is_error"] is True
    huge = await invoke(client, admin, "calculator", expression="9**9**9")
    assert huge.json()["is_error"] is True

    bad = await invoke(client, admin, "calculator", expr="1+1")
    assert bad.status_code == 422
    assert (await invoke(client, admin, "no_such_tool")).status_code == 404


async def test_tier_and_switch_decide_who_may_use_a_tool(client: httpx.AsyncClient) -> None:
    admin = await sign_up(client, "root")
    user = await sign_up(client, "alice")
    changed = await client.patch(
        "/v1/admin/tools/calculator", headers=admin.headers, json={"tiers": ["enterprise"]}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["tiers"] == ["enterprise"]
    listed = await client.get("/v1/tools", headers=user.headers)
    assert "calculator" not in {tool["name"] for tool in listed.json()["items"]}
    assert (await invoke(client, user, "calculator", expression="1+1")).status_code == 404
    forbidden = await client.post(
        "/v1/admin/tools", headers=user.headers, json={"name": "x", "kind": "webhook"}
    )
    assert forbidden.status_code == 403
    deleted = await client.delete("/v1/admin/tools/calculator", headers=admin.headers)
    assert deleted.status_code == 409


async def test_search_conversations_sees_only_the_callers_own_history(
    client: httpx.AsyncClient,
) -> None:
    alice = await sign_up(client, "root")
    bob = await sign_up(client, "bob")
    made = await client.post(
        "/v1/conversations", headers=alice.headers, json={"title": "Banana bread recipe"}
    )
    assert made.status_code == 201
    own = await invoke(client, alice, "search_conversations", query="banana")
    assert made.json()["id"] in own.json()["content"]
    other = await invoke(client, bob, "search_conversations", query="banana")
    assert other.json() == {
        "name": "search_conversations",
        "content": '{"conversations": []}',
        "is_error": False,
    }


async def test_webhook_on_loopback_runs_only_when_its_host_is_allow_listed(
    client: httpx.AsyncClient,
) -> None:
    admin = await sign_up(client, "root")
    async with webhook_receiver() as receiver:
        definition = {
            "name": "adder",
            "kind": "webhook",
            "description": "Adds two numbers remotely.",
            "parameters": SUM_SCHEMA,
            "url": f"{receiver.url}/hook",
            "secret_headers": {"Authorization": "Bearer hook-secret-123"},
            "allowed_hosts": ["127.0.0.1"],
        }
        created = await client.post("/v1/admin/tools", headers=admin.headers, json=definition)
        assert created.status_code == 201, created.text
        assert "hook-secret-123" not in created.text and created.json()["has_secret_headers"]
        shown = await client.get("/v1/admin/tools/adder", headers=admin.headers)
        assert "hook-secret-123" not in shown.text

        ran = await invoke(client, admin, "adder", a=2, b=40)
        assert ran.status_code == 200
        assert ran.json() == {"name": "adder", "content": '{"sum": 42}', "is_error": False}
        seen = receiver.requests[-1]
        assert seen["body"] == {"a": 2, "b": 40}
        assert seen["headers"]["Authorization"] == "Bearer hook-secret-123"
        assert seen["headers"]["X-Parley-User-Id"] == admin.user["id"]
        assert (await invoke(client, admin, "adder", a="two", b=1)).status_code == 422

        # The same URL without the allow-list entry is refused before any connection.
        patched = await client.patch(
            "/v1/admin/tools/adder", headers=admin.headers, json={"allowed_hosts": []}
        )
        assert patched.status_code == 200
        calls_before = len(receiver.requests)
        refused = await invoke(client, admin, "adder", a=1, b=1)
        assert refused.status_code == 200
        assert refused.json()["is_error"] is True and "Refused" in refused.json()["content"]
        assert len(receiver.requests) == calls_before

        # Numeric spellings of 127.0.0.1 are refused too.
        port = receiver.url.rsplit(":", 1)[1]
        for host in ("2130706433", "0x7f.1", "017700000001", "[::ffff:127.0.0.1]"):
            await client.patch(
                "/v1/admin/tools/adder",
                headers=admin.headers,
                json={"url": f"http://{host}:{port}/hook"},
            )
            spelled = await invoke(client, admin, "adder", a=1, b=1)
            assert spelled.json()["is_error"] is True, host
        assert len(receiver.requests) == calls_before

        audit = await client.get("/v1/audit", headers=admin.headers, params={"target_type": "tool"})
        if audit.status_code == 200:  # the audit API may not be on this branch yet
            actions = {event["action"] for event in audit.json()["items"]}
            assert {"admin.tool.created", "admin.tool.updated"} <= actions


async def test_a_redirect_to_a_refused_address_is_not_followed(client: httpx.AsyncClient) -> None:
    admin = await sign_up(client, "root")
    async with webhook_receiver() as receiver:
        # The first hop (localhost) is allowed; the redirect target (127.0.0.1) is not.
        port = receiver.url.rsplit(":", 1)[1]
        target = f"{receiver.url}/hook"
        definition = {
            "name": "bouncer",
            "kind": "webhook",
            "parameters": SUM_SCHEMA,
            "url": f"http://localhost:{port}/redirect?to={target}",
            "allowed_hosts": ["localhost"],
        }
        created = await client.post("/v1/admin/tools", headers=admin.headers, json=definition)
        assert created.status_code == 201, created.text
        result = await invoke(client, admin, "bouncer", a=1, b=2)
        assert result.json()["is_error"] is True
        assert "Refused" in result.json()["content"]
        assert receiver.requests == []


async def test_mcp_server_tools_are_listed_and_callable(client: httpx.AsyncClient) -> None:
    admin = await sign_up(client, "root")
    user = await sign_up(client, "alice")
    with mcp_server() as url:
        refused = await client.post(
            "/v1/admin/tools",
            headers=admin.headers,
            json={"name": "remote", "kind": "mcp", "url": url},
        )
        assert refused.status_code == 201
        listed = await client.get("/v1/tools", headers=user.headers)
        assert not any(t["name"].startswith("remote__") for t in listed.json()["items"])

        allowed = await client.patch(
            "/v1/admin/tools/remote", headers=admin.headers, json={"allowed_hosts": ["127.0.0.1"]}
        )
        assert allowed.status_code == 200
        listed = await client.get("/v1/tools", headers=user.headers)
        tools = {t["name"]: t for t in listed.json()["items"]}
        assert {"remote__add", "remote__shout"} <= set(tools)
        assert tools["remote__add"]["kind"] == "mcp"
        assert set(tools["remote__add"]["parameters"]["properties"]) == {"a", "b"}

        added = await invoke(client, user, "remote__add", a=20, b=22)
        assert added.status_code == 200, added.text
        assert added.json() == {"name": "remote__add", "content": "42", "is_error": False}
        assert (await invoke(client, user, "remote__add", a="x", b=1)).status_code == 422
