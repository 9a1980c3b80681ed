"""Tools for an agent, and the records of their calls."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from agents.models import Agent
from agents.services import agent_session_config
from calls.bridge.config import ToolSpec
from calls.bridge.openai_wire import session_update

from .dispatch import Outcome
from .models import HttpTool, ToolInvocation, ToolSetting
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
    # One agent's rows: ordered by their own columns, not the Meta ordering's join to the agent.
    for setting in ToolSetting.objects.filter(agent=agent, enabled=True).order_by("tool"):
        if setting.tool in BUILTIN:
            tools[setting.tool], settings[setting.tool] = BUILTIN[setting.tool], setting.settings or {}
    for row in HttpTool.objects.filter(agent=agent, enabled=True).order_by("name"):
        tools[row.name] = http_tool(row)
    return Toolbox(tools, settings)


def agent_session_preview(agent: Agent) -> str:
    """The exact `session.update` this agent sends (for a caller staff know nothing about), pretty-printed:
    the agent's session with its tools, so it is built here, where tools build on agents."""
    config = agent_session_config(agent, tools=agent_toolbox(agent).specs())
    return json.dumps(session_update(config), indent=2, ensure_ascii=False)


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
