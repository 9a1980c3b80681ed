"""`/mcp/` over streamable HTTP in a real daphne (`voiceagent.asgi:application`), with the SDK's own client.

Daphne serves the test database file, so each test's fixtures (transactional, committed)
are what the server reads; tokens are issued the way `manage.py mcp_token` issues them.
"""

from __future__ import annotations

import httpx2
import pytest
from asgiref.sync import sync_to_async
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from bench.processes import free_port
from mcp_server.models import McpRequest, McpToken
from mcp_server.tokens import mcp_token_issue, mcp_token_revoke

from .database_helpers import current_database_url
from .mcp_helpers import JORDAN_SID, STRANGER_SID, call_history
from .servers import daphne_server, server_env

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
}
JSON_AND_SSE = {"Accept": "application/json, text/event-stream"}


@pytest.fixture(scope="module")
def daphne(django_db_setup, tmp_path_factory):

    port = free_port()
    workdir = tmp_path_factory.mktemp("mcp-http")
    env = server_env(workdir, DATABASE_URL=current_database_url(), PUBLIC_URL=f"http://127.0.0.1:{port}")
    with daphne_server(env, port) as process:
        process.url = f"http://127.0.0.1:{port}"
        yield process


@pytest.fixture
def history(demo_agent, demo_caller):
    return call_history(demo_agent, demo_caller)


@pytest.fixture
def token(operator) -> tuple[McpToken, str]:
    return mcp_token_issue(user=operator, label="tests")


def client(url: str, secret: str | None, mode: str = "auto") -> Client:
    """The SDK's client; "auto" speaks the stateless 2026 protocol to us, "legacy" the initialize
    handshake and a session (the SDK's session manager), as clients of the 2025 protocol do."""
    headers = {"Authorization": f"Bearer {secret}"} if secret is not None else {}
    http = httpx2.AsyncClient(headers=headers)
    return Client(streamable_http_client(f"{url}/mcp/", http_client=http), mode=mode)


def mcp_errors(error: BaseException) -> list[MCPError]:
    """The SDK client reports a refused request as an MCPError, inside its task groups' exception groups."""
    if isinstance(error, BaseExceptionGroup):
        return [found for inner in error.exceptions for found in mcp_errors(inner)]
    return [error] if isinstance(error, MCPError) else []


async def post_initialize(url: str, **headers: str) -> httpx2.Response:
    async with httpx2.AsyncClient() as http:
        return await http.post(f"{url}/mcp/", json=INITIALIZE, headers=JSON_AND_SSE | headers)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_the_tools_over_streamable_http_with_a_token(daphne, history, token, mode):
    record, secret = token
    async with client(daphne.url, secret, mode) as mcp:
        names = {tool.name for tool in (await mcp.list_tools()).tools}
        recent = await mcp.call_tool("recent_calls", {"limit": 2})
        found = await mcp.call_tool("search_calls", {"text": "opening hours"})
        detail = await mcp.call_tool("get_call", {"call_id": JORDAN_SID})
        stats = await mcp.call_tool("call_stats", {})

    assert names == {"recent_calls", "search_calls", "get_call", "call_stats"}
    assert [row["carrier_call_id"] for row in recent.structured_content["result"]] == [JORDAN_SID, STRANGER_SID]
    assert [row["carrier_call_id"] for row in found.structured_content["result"]] == [STRANGER_SID]
    assert detail.structured_content["transcript"][1]["text"] == "Could I reschedule my appointment?"
    assert detail.structured_content["tool_calls"][0]["name"] == "end_call"
    assert stats.structured_content["calls"] == 2
    await sync_to_async(record.refresh_from_db)()
    assert record.last_used_at is not None


async def test_every_request_is_logged_with_its_user_and_never_the_token(daphne, history, token):
    record, secret = token
    async with client(daphne.url, secret) as mcp:
        await mcp.call_tool("get_call", {"call_id": JORDAN_SID})

    assert daphne.output.wait_for("mcp tools/call get_call by olivia over http: ok", timeout=10), daphne.output.tail()
    assert not any(secret in line or record.digest in line for line in daphne.output.lines)
    rows = await sync_to_async(list)(McpRequest.objects.values_list("user__username", "token", "transport", "tool"))
    assert rows == [("olivia", record.pk, "http", "get_call")]


@pytest.mark.parametrize("authorization", [None, "Bearer vamcp_not-a-token", "Basic b2xpdmlhOnB3"])
async def test_a_missing_or_wrong_token_gets_401(daphne, history, authorization):
    response = await post_initialize(daphne.url, **({"Authorization": authorization} if authorization else {}))
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer ")
    with pytest.raises(Exception) as refused:  # the SDK's client cannot even open a session
        async with client(daphne.url, authorization and authorization.removeprefix("Bearer ")) as mcp:
            await mcp.list_tools()
    assert mcp_errors(refused.value)
    assert not await sync_to_async(McpRequest.objects.exists)()
    assert daphne.output.wait_for("mcp POST /mcp/ from 127.0.0.1 refused: HTTP 401", timeout=10)
    assert not any("not-a-token" in line or "b2xpdmlhOnB3" in line for line in daphne.output.lines)


async def test_a_revoked_token_gets_401_even_in_an_open_session(daphne, history, token):
    record, secret = token
    async with client(daphne.url, secret, "legacy") as mcp:
        assert (await mcp.call_tool("recent_calls", {})).structured_content["result"]
        await sync_to_async(mcp_token_revoke)(token=record)
        with pytest.raises(Exception) as refused:
            await mcp.call_tool("recent_calls", {})
        assert mcp_errors(refused.value)
    assert (await post_initialize(daphne.url, Authorization=f"Bearer {secret}")).status_code == 401


async def test_a_user_without_permission_to_view_calls_sees_no_calls(daphne, history, django_user_model):
    nora = await sync_to_async(django_user_model.objects.create_user)("nora", password="pw-for-tests", is_staff=True)
    _record, secret = await sync_to_async(mcp_token_issue)(user=nora)
    async with client(daphne.url, secret) as mcp:
        recent = await mcp.call_tool("recent_calls", {})
        found = await mcp.call_tool("search_calls", {"text": "appointment"})
    assert recent.structured_content == found.structured_content == {"result": []}


async def test_hosts_and_origins_outside_the_settings_are_refused(daphne, history, token):
    _record, secret = token
    bearer = f"Bearer {secret}"
    assert (await post_initialize(daphne.url, Authorization=bearer)).status_code == 200
    assert (await post_initialize(daphne.url, Authorization=bearer, Host="evil.example")).status_code == 421
    refused = await post_initialize(daphne.url, Authorization=bearer, Origin="https://evil.example")
    assert refused.status_code == 403


async def test_mcp_without_the_slash_redirects_and_the_rest_of_the_site_is_still_django(daphne, history):
    async with httpx2.AsyncClient() as http:
        moved = await http.post(f"{daphne.url}/mcp", json=INITIALIZE, headers=JSON_AND_SSE)
        health = await http.get(f"{daphne.url}/healthz")
        admin = await http.get(f"{daphne.url}/admin/login/")
    assert moved.status_code == 307 and moved.headers["location"] == f"{daphne.url}/mcp/"
    assert health.status_code == 200 and health.json()["checks"]["database"] == "ok"
    assert admin.status_code == 200 and "csrfmiddlewaretoken" in admin.text
