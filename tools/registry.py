"""The tool registry: each tool declared once, with its JSON Schemas, handler and timeout."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator

from calls.bridge.config import ToolSpec
from calls.bridge.effects import ToolEffect

JSON = dict[str, Any]


@dataclass(frozen=True)
class ToolContext:
    """What a tool knows of the call it runs in."""

    call_id: int
    call_sid: str
    agent_id: int
    caller_id: int | None
    caller_number: str
    settings: JSON = field(default_factory=dict)
    can_transfer: bool = False
    # The model's id for this tool call: a tool with a side effect does it once per id.
    tool_call_id: str = ""


@dataclass(frozen=True)
class ToolResult:
    """The JSON the model gets back, and what the tool asks of the call."""

    output: JSON
    effect: ToolEffect | None = None


Handler = Callable[[JSON, ToolContext], Awaitable[ToolResult]]


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    parameters: JSON
    handler: Handler
    timeout_s: float = 10.0
    settings_schema: JSON | None = None

    def spec(self) -> ToolSpec:
        return ToolSpec(self.name, self.description, self.parameters)


BUILTIN: dict[str, Tool] = {}


def builtin(
    *, name: str, description: str, parameters: JSON, timeout_s: float = 10.0, settings_schema: JSON | None = None
) -> Callable[[Handler], Handler]:
    """Register a built-in tool; its schemas are checked as JSON Schema when declared."""

    def register(handler: Handler) -> Handler:
        Draft202012Validator.check_schema(parameters)
        if settings_schema is not None:
            Draft202012Validator.check_schema(settings_schema)
        BUILTIN[name] = Tool(name, description, parameters, handler, timeout_s, settings_schema)
        return handler

    return register


def schema_errors(schema: JSON, value: Any) -> list[str]:
    """Readable messages for each way `value` fails `schema` (empty when valid)."""
    validator = Draft202012Validator(schema)
    return [f"{'/'.join(map(str, e.path)) or 'value'}: {e.message}" for e in validator.iter_errors(value)]


def settings_errors(tool: Tool, settings: Any) -> list[str]:
    if tool.settings_schema is None:
        return [] if not settings else ["this tool takes no settings"]
    return schema_errors(tool.settings_schema, settings)
