"""The provider-neutral description of a model session, built from an Agent by the app."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Keypresses(enum.StrEnum):
    """What a caller's keypress (DTMF) does in the conversation."""

    RESPOND = "respond"  # a note to the model, which answers it (interrupting its own speech)
    NOTE = "note"  # a note the model reads with the caller's next turn; no answer of its own
    OFF = "off"  # ignored


@dataclass(frozen=True, slots=True)
class TurnTaking:
    kind: str = "server_vad"  # or "semantic_vad"
    threshold: float = 0.5
    prefix_padding_ms: int = 300
    silence_duration_ms: int = 500
    eagerness: str = "auto"


@dataclass(frozen=True, slots=True)
class ToolSpec:
    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SessionConfig:
    model: str
    instructions: str
    voice: str = "alloy"
    turn_taking: TurnTaking = field(default_factory=TurnTaking)
    noise_reduction: str | None = "near_field"  # None: off
    transcription_model: str = "gpt-4o-transcribe"
    transcription_language: str = ""
    tools: tuple[ToolSpec, ...] = ()
