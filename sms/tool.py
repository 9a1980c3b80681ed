"""The voice agent's `send_sms` tool: enabled per agent like every built-in (tools/registry.py)."""

from __future__ import annotations

from tools.registry import JSON, ToolContext, ToolResult, builtin
from voiceagent.db import off_loop

from . import services


@builtin(
    name="send_sms",
    description="Send the caller a text message (for example directions, an address or a reference number "
    "they asked for), from this line's number. Tell them it is on its way.",
    parameters={
        "type": "object",
        "properties": {"body": {"type": "string", "minLength": 1, "maxLength": 640}},
        "required": ["body"],
        "additionalProperties": False,
    },
    settings_schema={
        "type": "object",
        "properties": {"max_per_call": {"type": "integer", "minimum": 1, "maximum": 10, "default": 3}},
        "additionalProperties": False,
    },
    timeout_s=3,
)
async def send_sms(arguments: JSON, context: ToolContext) -> ToolResult:
    output = await off_loop(services.sms_tool_queue)(
        call_id=context.call_id,
        tool_call_id=context.tool_call_id,
        body=arguments["body"],
        limit=context.settings.get("max_per_call", 3),
    )
    return ToolResult(output)
