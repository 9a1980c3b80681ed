"""The built-in tools that act on the call's own records: an email the agent writes, a message
for staff. Declared here, in the app that owns those records, into the tools registry (which
the calls app builds on); registered when the app is ready (calls/apps.py).
"""

from __future__ import annotations

from tools.registry import JSON, ToolContext, ToolResult, builtin
from voiceagent.db import off_loop

from . import tool_emails as services


@builtin(
    name="send_email",
    description="Send an email to the addresses this line is set up for (the caller's own address, or their "
    "group's staff): a subject and a plain-text body.",
    parameters={
        "type": "object",
        "properties": {
            "subject": {"type": "string", "maxLength": 200},
            "body": {
                "type": "string",
                "maxLength": 5000,
                "description": "Plain text, not HTML; a blank line starts a new paragraph.",
            },
        },
        "required": ["subject", "body"],
        "additionalProperties": False,
    },
    settings_schema={
        "type": "object",
        "properties": {"recipient": {"enum": ["group", "caller"], "default": "group"}},
        "additionalProperties": False,
    },
)
async def send_email(arguments: JSON, context: ToolContext) -> ToolResult:
    mode = context.settings.get("recipient", "group")
    queued = await off_loop(services.tool_email_queue)(
        call_id=context.call_id,
        tool_call_id=context.tool_call_id,
        mode=mode,
        subject=arguments["subject"],
        body=arguments["body"],
    )
    if not queued:
        return ToolResult({"error": f"no email address is configured for this caller ({mode})"})
    return ToolResult({"queued": True, "recipients": len(queued)})


@builtin(
    name="take_message",
    description="Take a message for the staff: who called, a number to call back, and the message.",
    parameters={
        "type": "object",
        "properties": {
            "name": {"type": "string", "maxLength": 100},
            "callback_number": {"type": "string", "maxLength": 32},
            "message": {"type": "string", "minLength": 1},
        },
        "required": ["message"],
        "additionalProperties": False,
    },
)
async def take_message(arguments: JSON, context: ToolContext) -> ToolResult:
    await off_loop(services.message_take)(
        call_id=context.call_id,
        caller_name=arguments.get("name", ""),
        callback_number=arguments.get("callback_number") or context.caller_number,
        text=arguments["message"],
        tool_call_id=context.tool_call_id,
    )
    return ToolResult({"saved": True})
