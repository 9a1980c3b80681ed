"""Every MCP request is logged: who, which method and tool, when, how it went; tool calls also get a row.

The SDK's server middleware sees every inbound message on either transport. Nothing here
touches headers, so the bearer token cannot reach a log line or a row.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import anyio
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext

from voiceagent.db import off_loop

from .models import McpRequest
from .principal import Principal, PrincipalSource

logger = logging.getLogger(__name__)
MAX_ARGUMENT_CHARS = 500  # an audit row records what was asked, not a payload


def _arguments(params: Any) -> dict[str, Any]:
    arguments = (params or {}).get("arguments") or {}
    if not isinstance(arguments, dict):
        return {}
    items = arguments.items()
    return {str(k)[:64]: v if len(repr(v)) <= MAX_ARGUMENT_CHARS else repr(v)[:MAX_ARGUMENT_CHARS] for k, v in items}


@off_loop
def _record(who: Principal | None, tool: str, arguments: dict[str, Any], ok: bool) -> None:
    McpRequest.objects.create(
        user_id=who.user_id if who else None,
        token_id=who.token_id if who else None,
        transport=who.transport if who else "",
        tool=tool[:64],
        arguments=arguments,
        ok=ok,
    )


class RequestLog:
    """SDK server middleware (`MCPServer(middleware=[...])`): one log line per request, a row per tool call."""

    def __init__(self, principal: PrincipalSource) -> None:
        self._principal = principal

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        who = self._principal()
        tool = str((ctx.params or {}).get("name", "")) if ctx.method == "tools/call" else ""
        started = time.monotonic()
        ok = False
        try:
            result = await call_next(ctx)
            ok = not getattr(result, "is_error", False)
            return result
        finally:
            logger.info(
                "mcp %s%s by %s over %s: %s in %.0f ms",
                ctx.method,
                f" {tool}" if tool else "",
                who.username if who else "nobody",
                who.transport if who else "?",
                "ok" if ok else "error",
                (time.monotonic() - started) * 1000,
            )
            if tool:
                with anyio.CancelScope(shield=True):  # a cancelled tool call is still recorded
                    await _record(who, tool, _arguments(ctx.params), ok)
