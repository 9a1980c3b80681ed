"""What tools ask of a conversation besides an answer: hand-offs after speech, the mic distance.

Plain data and small decisions used by `Conversation`; the conversation owns the state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from . import actions as act

NOISE_CHANGE_MIN_MS = 2000  # the model tends to repeat a mic-distance request: ignore quick repeats


@dataclass(slots=True)
class HandOff:
    """End or transfer the call once the agent's speech has been played to the caller.

    A hang-up waits for the agent's next answer (its goodbye). A transfer waits for the answer
    that asked for it (the model says "putting you through" and calls the tool); its tool output
    is held back until the carrier has answered, so that a refusal reaches the model as an error.
    """

    reason: act.EndReason
    target: str = ""
    detail: str = ""
    response_id: str | None = None
    response_done: bool = False
    tool_call_id: str = ""
    tool_name: str = ""
    requested: bool = False  # the transfer was asked of the carrier; waiting for its answer
    number: int = 0  # which of the call's hand-offs this is: its safety timer carries it


def transfer_refused(handoff: HandOff, detail: str) -> tuple[str, str, act.Record]:
    """The refused transfer's tool output, its error, and the audit line."""
    error = f"transfer_failed: {detail or 'the carrier refused the transfer'}"
    output = json.dumps({"error": error, "transferred": False})
    return output, error, act.Record("transfer_failed", f"to {handoff.target}: {error}")


class NoiseReduction:
    """The input's noise reduction, changed at the model's request (the mic-distance tool)."""

    def __init__(self, kind: str | None) -> None:
        self.kind = kind  # None: off
        self._changed_at = float("-inf")

    def change(self, kind: str, now: float) -> tuple[str, list[act.Action]]:
        """The tool's output, and the session update when it changes."""
        if kind == self.kind:
            return json.dumps({"noise_reduction": kind, "changed": False, "why": "already set"}), []
        if now - self._changed_at < NOISE_CHANGE_MIN_MS:
            return json.dumps({"noise_reduction": self.kind, "changed": False, "why": "changed moments ago"}), []
        self.kind, self._changed_at = kind, now
        return json.dumps({"noise_reduction": kind, "changed": True}), [act.UpdateNoiseReduction(kind)]
