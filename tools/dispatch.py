"""Running one tool call: arguments checked, a timeout, and never an exception into the call."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass

from calls.bridge.effects import ToolEffect

from .registry import Tool, ToolContext, schema_errors

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    output: str  # JSON for the model: the tool's result, or {"error": ...}
    effect: ToolEffect | None
    error: str
    duration_ms: int


def _failed(message: str, started: float) -> Outcome:
    return Outcome(json.dumps({"error": message}), None, message, int((time.monotonic() - started) * 1000))


async def run_tool(tool: Tool | None, name: str, arguments: str, context: ToolContext) -> Outcome:
    started = time.monotonic()
    if tool is None:
        return _failed(f"unknown tool {name!r}", started)
    try:
        parsed = json.loads(arguments or "{}")
    except ValueError:
        return _failed("arguments are not valid JSON", started)
    errors = schema_errors(tool.parameters, parsed)
    if errors:
        return _failed("invalid arguments: " + "; ".join(errors)[:250], started)
    try:
        result = await asyncio.wait_for(tool.handler(parsed, context), tool.timeout_s)
    except TimeoutError:
        return _failed(f"{name} timed out after {tool.timeout_s:g} s", started)
    except Exception as exc:
        logger.exception("tool %s failed in call %s", name, context.call_sid)
        return _failed(f"{name} failed ({type(exc).__name__})", started)
    elapsed = int((time.monotonic() - started) * 1000)
    return Outcome(json.dumps(result.output), result.effect, str(result.output.get("error", ""))[:300], elapsed)
