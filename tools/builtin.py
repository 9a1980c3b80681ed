"""The built-in tools. Each is declared once; the admin enables it per agent (ToolSetting)."""

from __future__ import annotations

from calls.bridge.effects import HangUpAfterSpeech, SetNoiseReduction, TransferAfterSpeech
from calls.store import off_loop

from . import services
from .registry import JSON, ToolContext, ToolResult, builtin

E164 = r"^\+[1-9][0-9]{6,14}$"


@builtin(
    name="end_call",
    description="End the phone call. Use it when the caller is done or asks to hang up; "
    "then say a short goodbye: the line closes once your goodbye has been heard.",
    parameters={"type": "object", "properties": {"reason": {"type": "string"}}, "additionalProperties": False},
    timeout_s=2,
)
async def end_call(arguments: JSON, context: ToolContext) -> ToolResult:
    return ToolResult({"ok": True, "next": "Say a short goodbye now."}, HangUpAfterSpeech())


@builtin(
    name="transfer_call",
    description="Transfer the caller to a person. Say one short line first (for example that you are "
    "putting them through); the transfer happens once it has been heard.",
    parameters={
        "type": "object",
        "properties": {"target": {"type": "string", "description": "Name of who to transfer to."}},
        "required": ["target"],
        "additionalProperties": False,
    },
    settings_schema={
        "type": "object",
        "properties": {
            "targets": {
                "type": "object",
                "description": "Who callers can be put through to, each name with its number in "
                "international form, e.g. front desk = +15550100100.",
                "additionalProperties": {"type": "string", "pattern": E164},
                "minProperties": 1,
            }
        },
        "required": ["targets"],
        "additionalProperties": False,
    },
    timeout_s=2,
)
async def transfer_call(arguments: JSON, context: ToolContext) -> ToolResult:
    if not context.can_transfer:
        return ToolResult({"error": "transfers are not available on this line"})
    targets: dict[str, str] = context.settings.get("targets", {})
    wanted = arguments["target"].strip().casefold()
    for label, number in targets.items():
        if label.casefold() == wanted:
            return ToolResult({"ok": True, "transferring_to": label}, TransferAfterSpeech(number, label))
    return ToolResult({"error": f"unknown target; choose one of: {', '.join(targets)}"})


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
    name="update_mic_distance",
    description="Tell the line whether the caller is close to the microphone (handset) or far from it "
    "(speakerphone, car), so background noise is filtered the right way.",
    parameters={
        "type": "object",
        "properties": {"distance": {"enum": ["near", "far"]}},
        "required": ["distance"],
        "additionalProperties": False,
    },
    timeout_s=1,
)
async def update_mic_distance(arguments: JSON, context: ToolContext) -> ToolResult:
    kind = "near_field" if arguments["distance"] == "near" else "far_field"
    return ToolResult({"requested": kind}, SetNoiseReduction(kind))


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
