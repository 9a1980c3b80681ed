"""The built-in tools. Each is declared once; the admin enables it per agent (ToolSetting).

Tools that act on the call's own records (send_email, take_message) are declared by the calls
app (calls/call_tools.py), which builds on this one.
"""

from __future__ import annotations

from calls.bridge.effects import HangUpAfterSpeech, SetNoiseReduction, TransferAfterSpeech

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
