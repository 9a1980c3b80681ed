"""`manage.py mcp_server --user …` over stdio, spawned by the SDK's own stdio client as an MCP host would.

The subprocess reads the test database file: the tests are transactional, so what the
fixtures wrote is committed and visible to it (tests/conftest.py puts the test database
in a file).
"""

from __future__ import annotations

import sys

import pytest
from asgiref.sync import sync_to_async
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

from mcp_server.models import McpRequest

from .database_helpers import current_database_url
from .mcp_helpers import JORDAN_SID, SALES_SID, STRANGER_SID, call_history
from .servers import ROOT, server_env

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def history(demo_agent, demo_caller, operator):
    return call_history(demo_agent, demo_caller)


@pytest.fixture
def stdio_as(tmp_path):
    """An SDK client of `manage.py mcp_server --user USERNAME` on the test database; its stderr in a file."""
    env = server_env(tmp_path, DATABASE_URL=current_database_url())
    errors = tmp_path / "stderr.log"
    errlog = errors.open("w")

    def connect(username: str, mode: str = "auto") -> Client:
        params = StdioServerParameters(
            command=sys.executable, args=["manage.py", "mcp_server", "--user", username], env=env, cwd=ROOT
        )
        return Client(stdio_client(params, errlog=errlog), mode=mode)

    connect.stderr = errors
    yield connect
    errlog.close()


@pytest.mark.parametrize("mode", ["auto", "legacy"])  # legacy: the initialize handshake of 2025 clients
async def test_the_tools_answer_with_structured_json(history, stdio_as, mode):
    async with stdio_as("olivia", mode) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        recent = await client.call_tool("recent_calls", {"limit": 2})
        found = await client.call_tool("search_calls", {"number": "(555) 010-0001", "text": "appointment"})
        old = await client.call_tool("search_calls", {"agent": "sales", "until": "2100-01-01T00:00:00Z"})
        detail = await client.call_tool("get_call", {"call_id": str(history["jordan"].pk)})
        stats = await client.call_tool("call_stats", {})

    assert set(tools) == {"recent_calls", "search_calls", "get_call", "call_stats"}
    assert all(tool.output_schema and tool.annotations.read_only_hint for tool in tools.values())
    assert [row["carrier_call_id"] for row in recent.structured_content["result"]] == [JORDAN_SID, STRANGER_SID]
    assert [row["caller_name"] for row in found.structured_content["result"]] == ["Jordan"]
    assert [row["carrier_call_id"] for row in old.structured_content["result"]] == [SALES_SID]
    assert detail.structured_content["carrier_call_id"] == JORDAN_SID
    assert [turn["speaker"] for turn in detail.structured_content["transcript"]] == ["agent", "caller", "agent"]
    assert detail.structured_content["usage"]["total_tokens"] == 500
    assert stats.structured_content["calls"] == 2 and stats.structured_content["agents"][0]["agent"] == "Receptionist"


async def test_bad_arguments_and_unknown_calls_are_tool_errors_the_model_can_read(history, stdio_as):
    async with stdio_as("olivia") as client:
        unknown = await client.call_tool("get_call", {"call_id": "CA-no-such-call"})
        not_a_number = await client.call_tool("search_calls", {"number": "call me"})

    assert unknown.is_error and "No call 'CA-no-such-call'" in unknown.content[0].text
    assert not_a_number.is_error and "not a phone number" in not_a_number.content[0].text


async def test_a_user_without_permission_to_view_calls_sees_none(history, stdio_as, django_user_model):
    await sync_to_async(django_user_model.objects.create_user)("nora", password="pw-for-tests", is_staff=True)
    async with stdio_as("nora") as client:
        recent = await client.call_tool("recent_calls", {})
        detail = await client.call_tool("get_call", {"call_id": JORDAN_SID})

    assert recent.structured_content == {"result": []}
    assert detail.is_error


async def test_every_request_is_logged_and_tool_calls_recorded(history, stdio_as):
    async with stdio_as("olivia") as client:
        await client.call_tool("search_calls", {"text": "hours"})

    logged = stdio_as.stderr.read_text()
    assert "mcp tools/call search_calls by olivia over stdio: ok" in logged
    rows = await sync_to_async(list)(McpRequest.objects.values_list("user__username", "transport", "tool", "arguments"))
    assert rows == [("olivia", "stdio", "search_calls", {"text": "hours"})]
