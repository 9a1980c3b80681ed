"""Tools for an agent, and the services tools call (email, messages, records)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.html import strip_tags

from agents.models import Agent
from calls.bridge.config import ToolSpec

from .dispatch import Outcome
from .models import HttpTool, TakenMessage, ToolInvocation, ToolSetting
from .registry import BUILTIN, JSON, Tool


@dataclass(frozen=True)
class Toolbox:
    """The tools one agent may use in a call, with each one's settings."""

    tools: dict[str, Tool] = field(default_factory=dict)
    settings: dict[str, JSON] = field(default_factory=dict)

    def specs(self) -> tuple[ToolSpec, ...]:
        return tuple(tool.spec() for tool in self.tools.values())


def agent_toolbox(agent: Agent) -> Toolbox:
    """Exactly the enabled tools: built-ins switched on for the agent, and its HTTP tools."""
    from .http_tool import http_tool

    tools: dict[str, Tool] = {}
    settings: dict[str, JSON] = {}
    for setting in ToolSetting.objects.filter(agent=agent, enabled=True):
        if setting.tool in BUILTIN:
            tools[setting.tool], settings[setting.tool] = BUILTIN[setting.tool], setting.settings or {}
    for row in HttpTool.objects.filter(agent=agent, enabled=True):
        tools[row.name] = http_tool(row)
    return Toolbox(tools, settings)


def _addresses(raw: str) -> list[str]:
    return [address.strip() for address in raw.replace(";", ",").split(",") if address.strip()]


def tool_email_queue(*, call_id: int, mode: str, subject: str, html_body: str) -> list[str]:
    """Queue an email the agent wrote; returns the recipients (empty: none configured)."""
    from calls.models import Call

    from .tasks import send_tool_email

    call = Call.objects.select_related("caller__group").get(pk=call_id)
    caller = call.caller
    if caller is None:
        recipients = []
    elif mode == "caller":
        recipients = _addresses(caller.email)
    else:
        recipients = _addresses(getattr(caller.group, "notify_emails", "") if caller.group else "")
    if recipients:
        send_tool_email.delay(recipients, subject[:200], html_body)
    return recipients


def message_take(*, call_id: int, caller_name: str, callback_number: str, text: str) -> TakenMessage:
    """Store a message for staff and email it to the agent's recipients."""
    from calls.models import Call

    from .tasks import send_tool_email

    call = Call.objects.select_related("agent", "caller").get(pk=call_id)
    name = caller_name or (call.caller.name if call.caller else "")
    message = TakenMessage.objects.create(call=call, caller_name=name, callback_number=callback_number, text=text)
    recipients = _addresses(getattr(call.agent, "notify_emails", "") if call.agent else "")
    if recipients:
        body = f"<p>Message from {name or 'a caller'} ({callback_number or 'no number'}):</p><p>{text}</p>"
        send_tool_email.delay(recipients, f"Message from {name or callback_number or 'a caller'}", body)
    return message


def tool_invocation_record(*, call_id: int, provider_call_id: str, name: str, arguments: str, outcome: Outcome) -> None:
    ToolInvocation.objects.create(
        call_id=call_id,
        provider_call_id=provider_call_id[:64],
        name=name[:64],
        arguments=arguments,
        result=outcome.output,
        error=outcome.error[:300],
        duration_ms=outcome.duration_ms,
    )


def tool_invocation_amend(*, call_id: int, provider_call_id: str, output: str, error: str) -> None:
    """Replace a stored tool call's outcome: what it finally did, as the model was told."""
    ToolInvocation.objects.filter(call_id=call_id, provider_call_id=provider_call_id[:64]).update(
        result=output, error=error[:300]
    )


def plain_text(html: str) -> str:
    return strip_tags(html)
