"""The MCP server over the call history, built with the official SDK (`mcp`).

One builder serves both transports: `principal` says who is asking (the command's user
over stdio, the bearer token's user over HTTP) and every tool reads through the selectors
with that user, so results never exceed what the user may view in the admin.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from django.contrib.auth.models import AnonymousUser
from django.db import close_old_connections
from django.utils import timezone
from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from pydantic import Field

from agents.phone import to_e164

from . import selectors
from .audit import RequestLog
from .principal import PrincipalSource
from .results import CallDetail, CallRow, CallStats

INSTRUCTIONS = (
    "The phone calls that voiceagent's AI agents answered or placed: who called, which agent took the call, "
    "what was said, and the post-call summary. Times are ISO 8601. Ask get_call for a call's transcript."
)
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
MAX_LIMIT = 100

Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT, description="How many calls at most.")]
Since = Annotated[datetime | None, Field(description="Calls started at or after this time (ISO 8601).")]
Until = Annotated[datetime | None, Field(description="Calls started before this time (ISO 8601).")]
AgentName = Annotated[str, Field(description="The agent's name, any case.")]


def _orm(tool: Callable[..., Any]) -> Callable[..., Any]:
    """Django's request-cycle connection hygiene for a tool, which the SDK runs on a worker thread."""

    @functools.wraps(tool)
    def run(*args: Any, **kwargs: Any) -> Any:
        close_old_connections()
        try:
            return tool(*args, **kwargs)
        finally:
            close_old_connections()

    return run


def _aware(moment: datetime | None) -> datetime | None:
    """A time without an offset is read in the server's TIME_ZONE."""
    if moment is None or timezone.is_aware(moment):
        return moment
    return timezone.make_aware(moment)


NUMBER_HELP = "A phone number of either party: +15550100001, +1 555 010 0001, or national as in (555) 010-0001."


def build_server(*, principal: PrincipalSource, **sdk_options: Any) -> MCPServer:
    """The server with its tools; `sdk_options` go to `MCPServer` (the HTTP transport's token check)."""
    server = MCPServer("voiceagent", instructions=INSTRUCTIONS, middleware=[RequestLog(principal)], **sdk_options)

    def user() -> selectors.User:
        who = principal()
        return who.user() if who is not None else AnonymousUser()

    @server.tool(annotations=READ_ONLY)
    @_orm
    def recent_calls(limit: Limit = 10) -> list[CallRow]:
        """The most recent calls, newest first."""
        return selectors.recent_calls(user=user(), limit=limit)

    @server.tool(annotations=READ_ONLY)
    @_orm
    def search_calls(
        text: Annotated[str, Field(description="Words said in the call (transcript) or in its summary.")] = "",
        number: Annotated[str, Field(description=NUMBER_HELP)] = "",
        agent: AgentName = "",
        since: Since = None,
        until: Until = None,
        limit: Limit = 20,
    ) -> list[CallRow]:
        """Calls matching every criterion given, newest first."""
        e164 = ""
        if number:
            e164 = to_e164(number) or ""
            if not e164:
                raise ToolError(f"{number!r} is not a phone number; give it as +15550100001 or (555) 010-0001.")
        return selectors.search_calls(
            user=user(), text=text, number=e164, agent=agent, since=_aware(since), until=_aware(until), limit=limit
        )

    @server.tool(annotations=READ_ONLY)
    @_orm
    def get_call(
        call_id: Annotated[str, Field(description="Our call id (the id of a listed call) or the carrier's call id.")],
    ) -> CallDetail:
        """One call with its transcript (turns in order), the tools the agent used, and token usage."""
        call = selectors.get_call(user=user(), call_id=call_id.strip())
        if call is None:
            raise ToolError(f"No call {call_id!r} that you may view.")
        return call

    @server.tool(annotations=READ_ONLY)
    @_orm
    def call_stats(since: Since = None, until: Until = None, agent: AgentName = "") -> CallStats:
        """How many calls each agent took in a period (default: the last 7 days), by how they ended."""
        end = _aware(until) or timezone.now()
        start = _aware(since) or end - timedelta(days=7)
        return selectors.call_stats(user=user(), since=start, until=end, agent=agent)

    return server
