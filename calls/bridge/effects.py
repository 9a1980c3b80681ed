"""What a tool may ask of the call besides answering the model. The session decides how."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class HangUpAfterSpeech:
    """End the call once the agent's next answer (its goodbye) has been heard."""


@dataclass(frozen=True, slots=True)
class TransferAfterSpeech:
    """Move the call to `target` once the agent's next answer has been heard."""

    target: str
    label: str = ""


@dataclass(frozen=True, slots=True)
class SetNoiseReduction:
    kind: str  # "near_field" | "far_field"


ToolEffect = HangUpAfterSpeech | TransferAfterSpeech | SetNoiseReduction
