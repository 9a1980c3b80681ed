"""Tools for an agent, and the services tools call (email, messages, records)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import TypeVar

from django.db.models import Model, QuerySet

from agents.models import Agent, Caller
from agents.services import agent_session_config
from agents.validators import parse_email_list
from calls.bridge.config import ToolSpec
from calls.bridge.openai_wire import session_update

from .dispatch import Outcome
from .emails import agent_email_enqueue, agent_email_render
from .models import HttpTool, TakenMessage, ToolInvocation, ToolSetting
from .registry import BUILTIN, JSON, Tool

M = TypeVar("M", bound=Model)


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


def agent_session_preview(agent: Agent) -> str:
    """The exact `session.update` this agent sends (for a caller staff know nothing about), pretty-printed:
    the agent's session with its tools, so it is built here, where tools build on agents."""
    config = agent_session_config(agent, tools=agent_toolbox(agent).specs())
    return json.dumps(session_update(config), indent=2, ensure_ascii=False)


def _of_call(rows: QuerySet[M], call_id: int) -> M | None:
    """The call's caller or agent, through the call's foreign key (tools build on agents, not on calls)."""
    return rows.filter(calls__pk=call_id).first()


def tool_email_queue(*, call_id: int, tool_call_id: str, mode: str, subject: str, body: str) -> list[str]:
    """Queue an email the agent wrote (sent on commit, once per tool call id and recipient);
    returns the recipients (empty: none configured)."""
    caller = _of_call(Caller.objects.select_related("group"), call_id)
    if caller is None:
        recipients = []
    elif mode == "caller":
        recipients = parse_email_list(caller.email)
    else:
        recipients = parse_email_list(caller.group.notify_emails if caller.group else "")
    if recipients:
        email = agent_email_render(subject=subject, body=body)
        agent_email_enqueue(call_id=call_id, tool_call_id=_email_key(tool_call_id), recipients=recipients, email=email)
    return recipients


def message_take(
    *, call_id: int, caller_name: str, callback_number: str, text: str, tool_call_id: str = ""
) -> TakenMessage:
    """Store a message for staff and email it to the agent's recipients."""
    caller, agent = _of_call(Caller.objects, call_id), _of_call(Agent.objects, call_id)
    name = caller_name or (caller.name if caller else "")
    message = TakenMessage.objects.create(call_id=call_id, caller_name=name, callback_number=callback_number, text=text)
    recipients = parse_email_list(agent.notify_emails if agent else "")
    if recipients:
        email = agent_email_render(
            subject=f"Message from {name or callback_number or 'a caller'}",
            intro=f"Message from {name or 'a caller'} ({callback_number or 'no number'}):",
            body=text,
        )
        agent_email_enqueue(call_id=call_id, tool_call_id=_email_key(tool_call_id), recipients=recipients, email=email)
    return message


def _email_key(tool_call_id: str) -> str:
    # Without the model's id (never expected) each email stands alone, and never as the call's notification.
    return tool_call_id[:64] or f"no-id-{uuid.uuid4().hex}"


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
