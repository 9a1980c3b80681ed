"""Tools in the call: their effects on the call, wait audio, and hand-offs after speech.

A mixin of `CallSession` (it reads the session's playback, transcript and phase); kept apart
so the session module stays about the conversation itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from . import actions as act
from .actions import Action, EndReason
from .effects import HangUpAfterSpeech, SetNoiseReduction, ToolEffect, TransferAfterSpeech
from .phase import Phase
from .playback import PlaybackTracker, base64_size
from .transcript import TOOL, Transcript

HOLD_ITEM = "hold"  # playback of wait audio: accounted like speech, never truncated or transcribed
NOISE_CHANGE_MIN_MS = 2000  # the model tends to repeat a mic-distance request: ignore quick repeats


@dataclass(slots=True)
class HandOff:
    """End or transfer the call once the agent's speech has been played to the caller.

    A hang-up waits for the agent's next answer (its goodbye). A transfer waits for the answer
    that asked for it (the model says "putting you through" and calls the tool); its tool output
    is held back until the carrier has answered, so that a refusal reaches the model as an error.
    """

    reason: EndReason
    target: str = ""
    detail: str = ""
    response_id: str | None = None
    response_done: bool = False
    tool_call_id: str = ""
    tool_name: str = ""
    requested: bool = False  # the transfer was asked of the carrier; waiting for its answer


class ToolFlow:
    """Tool results, wait audio and hand-offs; state lives on the `CallSession`.

    The attributes and methods below are the session's, declared here so that the type checker
    (mypy --strict in `make lint`) can follow the mixin.
    """

    phase: Phase
    playback: PlaybackTracker
    transcript: Transcript
    hold_audio: tuple[str, ...]
    _active_response: str | None
    _tools_running: set[str]
    _holding: bool
    _handoff: HandOff | None
    _noise: str | None
    _noise_changed_at: float

    def _finish(self, reason: EndReason, detail: str, now: float | None = None) -> list[Action]:
        raise NotImplementedError

    def _offset(self, now: float) -> int:
        raise NotImplementedError

    def tool_result(
        self, call_id: str, name: str, output: str, now: float, effect: ToolEffect | None = None
    ) -> list[Action]:
        """A tool finished: apply what it asks of the call, hand its output to the model."""
        self._tools_running.discard(call_id)
        if self.phase is not Phase.LIVE:
            return []
        actions: list[Action] = []
        match effect:
            case SetNoiseReduction(kind=kind):
                output, actions = self._set_noise_reduction(kind, now)
            case HangUpAfterSpeech():
                self._handoff = HandOff(EndReason.AGENT_ENDED, detail="the agent ended the call")
            case TransferAfterSpeech(target=target, label=label):
                return self._transfer_after_speech(call_id, name, target, label)
        return [*actions, *self._answer_tool(call_id, name, output, now)]

    def _answer_tool(self, call_id: str, name: str, output: str, now: float) -> list[Action]:
        line = self.transcript.note(f"{name} → {output}", self._offset(now), role=TOOL)
        return [act.SaveTranscript(line), act.SubmitToolResult(call_id, output), act.RequestResponse()]

    def _transfer_after_speech(self, call_id: str, name: str, target: str, label: str) -> list[Action]:
        """Transfer once what the agent is saying now has been heard; the model waits for the outcome."""
        active = self._active_response
        self._handoff = HandOff(
            EndReason.TRANSFERRED,
            target,
            f"transferred to {label or target}",
            response_id=active or "",
            response_done=active is None,
            tool_call_id=call_id,
            tool_name=name,
        )
        return self._maybe_hand_off()

    def transfer_result(self, ok: bool, detail: str, now: float) -> list[Action]:
        """The carrier's answer to `TransferCall`. Refused: the caller stays, the model hears why."""
        handoff = self._handoff
        if handoff is None or not handoff.requested or self.phase is not Phase.LIVE:
            return []
        if ok:
            return self._finish(handoff.reason, handoff.detail, now)
        self._handoff = None
        error = f"transfer_failed: {detail or 'the carrier refused the transfer'}"
        output = json.dumps({"error": error, "transferred": False})
        return [
            act.Record("transfer_failed", f"to {handoff.target}: {error}"),
            act.AmendToolCall(handoff.tool_call_id, output, error),
            *self._answer_tool(handoff.tool_call_id, handoff.tool_name, output, now),
        ]

    def tool_is_slow(self, now: float) -> list[Action]:
        """A tool has run past the agent's threshold: play wait audio until the model speaks."""
        if self.phase is not Phase.LIVE or not self._tools_running or self._holding or self.playback.is_playing:
            return []
        self._holding = True
        actions: list[Action] = []
        for payload in self.hold_audio:
            mark = self.playback.sent(HOLD_ITEM, base64_size(payload), now)
            actions += [act.PlayAudio(payload), act.PlaceMark(mark)]
        return actions

    @property
    def handing_off(self) -> bool:
        """The call ends (or moves) once the agent's next answer has been heard."""
        return self._handoff is not None

    def hand_off_timed_out(self) -> list[Action]:
        """The goodbye never finished playing: end (or transfer) anyway."""
        if self._handoff is None or self._handoff.requested:
            return []
        self._handoff.response_done = True
        self.playback.clear()
        return self._maybe_hand_off()

    def _set_noise_reduction(self, kind: str, now: float) -> tuple[str, list[Action]]:
        if kind == self._noise:
            return json.dumps({"noise_reduction": kind, "changed": False, "why": "already set"}), []
        if now - self._noise_changed_at < NOISE_CHANGE_MIN_MS:
            return json.dumps({"noise_reduction": self._noise, "changed": False, "why": "changed moments ago"}), []
        self._noise, self._noise_changed_at = kind, now
        return json.dumps({"noise_reduction": kind, "changed": True}), [act.UpdateNoiseReduction(kind)]

    def _maybe_hand_off(self) -> list[Action]:
        handoff = self._handoff
        if handoff is None or handoff.requested or self.phase is not Phase.LIVE:
            return []
        if not handoff.response_done or self.playback.is_playing:
            return []
        if handoff.target:
            handoff.requested = True
            return [act.TransferCall(handoff.target, handoff.tool_call_id)]
        return [act.HangUp(), *self._finish(handoff.reason, handoff.detail)]
