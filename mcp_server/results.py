"""The JSON shapes the MCP tools return (CONTRACT.md, "MCP tools"); the SDK publishes them as output schemas."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class CallRow(BaseModel):
    """One call, as `recent_calls` and `search_calls` list it."""

    id: int = Field(description="Our id; get_call accepts it as a string.")
    carrier_call_id: str = Field(description="The carrier's call id (Twilio's CallSid); get_call accepts it too.")
    direction: str
    from_number: str
    to_number: str
    agent: str = Field(description="The agent that took the call; empty if none.")
    caller_name: str = Field(description="The known caller's name; empty for an unknown number.")
    started_at: datetime
    ended_at: datetime | None
    end_reason: str
    summary: str = Field(description="The post-call summary; empty until it is written.")


class Turn(BaseModel):
    speaker: str = Field(description="caller or agent")
    text: str = Field(description="What was said; for an interrupted agent turn, what the caller heard.")
    interrupted: bool


class ToolCall(BaseModel):
    name: str
    arguments: str = Field(description="The arguments as the model sent them (JSON text).")
    result: str
    error: str


class Usage(BaseModel):
    input_tokens: int
    output_tokens: int
    total_tokens: int
    duration_seconds: int | None


class CallDetail(CallRow):
    """One call with what was said and done in it."""

    transcript: list[Turn]
    tool_calls: list[ToolCall]
    usage: Usage


class AgentStats(BaseModel):
    agent: str
    calls: int
    outcomes: dict[str, int] = Field(description="Calls by how they ended (end reason, or status if not ended).")
    average_duration_seconds: float | None


class CallStats(BaseModel):
    since: datetime
    until: datetime
    calls: int
    agents: list[AgentStats]
