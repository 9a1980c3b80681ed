"""`Conversation`: what is said in a call, whichever way its audio travels.

Driven by the model's events (and the tools' results), it assembles the transcript, decides
what to ask of the model and of the carrier, sums usage, and runs hand-offs and the ending.
It knows the audio only through the `Media` port: `MediaLeg` when the audio passes through
us (`CallSession`), `NO_MEDIA` when the model holds the media and we hold only a sideband
connection. Events in, actions out; no I/O, no clock of its own.
"""

from __future__ import annotations

from . import actions as act
from .actions import Action, EndReason, Farewell
from .config import SessionConfig
from .effects import HangUpAfterSpeech, SetNoiseReduction, ToolEffect, TransferAfterSpeech
from .events import (
    AgentAudio,
    AgentTranscriptDelta,
    AgentTranscriptDone,
    CallerSpeechStarted,
    CallerTranscribed,
    CallerTranscriptionFailed,
    FunctionCallRequested,
    ModelEvent,
    ModelFailed,
    ResponseFinished,
    ResponseStarted,
    TranscriptionUsage,
    Usage,
)
from .media import NO_MEDIA, Media
from .phase import Phase
from .tool_flow import HandOff, NoiseReduction, transfer_refused
from .transcript import AGENT, CALLER, TOOL, Transcript


class Conversation:
    """One caller and one model session: the turns, the tools, the hand-off, the end."""

    def __init__(
        self, config: SessionConfig, *, greet_first: bool = True, greeting: str = "", media: Media = NO_MEDIA
    ) -> None:
        self.config = config
        self.greet_first = greet_first
        self.greeting = greeting
        self.media = media
        self.phase = Phase.WAITING
        self.transcript = Transcript()
        self.usage = Usage()
        self.transcription_usage = TranscriptionUsage()  # the caller's transcript, billed apart
        self.ending: act.EndCall | None = None
        self._started_at = 0.0
        self._active_response: str | None = None
        self._cancelled: set[str] = set()
        self._cancels_unanswered = 0  # cancels sent that no `response_cancel_not_active` has answered
        self._model_down: act.EndCall | None = None
        self._tools_running: set[str] = set()
        self._respond_when_free = False  # a response is wanted once the active one has finished
        self._handoff: HandOff | None = None
        self._handoffs = 0  # numbers each hand-off, so that a timer knows which one it was set for
        self._noise = NoiseReduction(config.noise_reduction)

    # --- lifecycle --------------------------------------------------------------------

    def open(self) -> list[Action]:
        """The model connection is up: configure it (possibly before the caller is on the line)."""
        return [act.ConfigureSession(self.config)]

    def begin(self, now: float) -> list[Action]:
        """The caller is on the line: greet them, or apologise if the model is already gone."""
        self.phase = Phase.LIVE
        self._started_at = now
        if self._model_down is not None:
            return self.leave(Farewell.APOLOGY, self._model_down.reason, self._model_down.detail, now)
        if not self.greet_first:
            return []
        if self.greeting:
            # Response-level instructions replace the session's for this turn: keep the persona.
            directive = f'Begin the call now by saying exactly: "{self.greeting}"'
            return [act.RequestResponse(f"{self.config.instructions}\n\n{directive}")]
        return [act.RequestResponse()]

    def refuse(self, detail: str, reason: EndReason = EndReason.STREAM_REJECTED) -> list[Action]:
        """The caller's leg did not begin as the call it was accepted for: record it and end."""
        if self.phase is not Phase.WAITING:
            return []
        return [act.Record("stream_rejected", detail), *self.finish(reason, detail)]

    def model_lost(self, reason: EndReason, detail: str, now: float) -> list[Action]:
        """The model could not be reached or went away: apologise, then end."""
        if self.phase is Phase.WAITING:
            self._model_down = act.EndCall(reason, detail)  # apologise once the caller is on
            return []
        return self.leave(Farewell.APOLOGY, reason, detail, now)

    def hang_up(self, reason: EndReason, now: float, detail: str = "") -> list[Action]:
        """End the call on our side (time limit, staff, the agent): say goodbye first."""
        return self.leave(Farewell.GOODBYE, reason, detail, now)

    def farewell_heard(self) -> list[Action]:
        """The farewell clip has been played (or will never be): end."""
        if self.phase is not Phase.FAREWELL or self.ending is None:
            return []
        return self.finish(self.ending.reason, self.ending.detail)

    # --- the model --------------------------------------------------------------------

    def on_model(self, event: ModelEvent, now: float) -> list[Action]:
        if self.phase is not Phase.LIVE:
            return []
        match event:
            case AgentAudio():
                return self._agent_audio(event, now)
            case AgentTranscriptDelta(response_id=rid, item_id=item, text=text):
                self.transcript.turn(item, AGENT, self.offset(now), rid).text += text
            case AgentTranscriptDone(response_id=rid, item_id=item, text=text):
                turn = self.transcript.turn(item, AGENT, self.offset(now), rid)
                turn.text, turn.complete = text or turn.text, True
                return [act.SaveTranscript(turn.entry())]
            case CallerSpeechStarted(item_id=item):
                self.transcript.turn(item, CALLER, self.offset(now))
                return self.barge_in(now)
            case CallerTranscribed(item_id=item, text=text):
                self.transcription_usage += event.usage
                turn = self.transcript.turn(item, CALLER, self.offset(now))
                turn.text, turn.complete = text.strip(), True
                return [act.SaveTranscript(turn.entry())]
            case CallerTranscriptionFailed(item_id=item, message=message):
                turn = self.transcript.turn(item, CALLER, self.offset(now))
                turn.text, turn.complete = "(inaudible)", True
                return [act.Record("model_error", f"transcription failed: {message}"), act.SaveTranscript(turn.entry())]
            case ResponseStarted(response_id=rid):
                self._active_response = rid
                if self._handoff is not None and self._handoff.response_id is None:
                    self._handoff.response_id = rid  # the goodbye (or the transfer line)
            case ResponseFinished():
                return self._response_finished(event)
            case FunctionCallRequested(call_id=call_id, name=name, arguments=arguments):
                self._tools_running.add(call_id)
                return [act.RunTool(call_id, name, arguments)]
            case ModelFailed(code="response_cancel_not_active") if self._cancels_unanswered:
                # Our cancel after a barge-in found the answer already stopped: the server's VAD
                # interrupts by itself (interrupt_response), or the answer had just finished.
                # Expected, at most once per cancel we sent; recording it would fill the call
                # with false errors. One we cannot account for is recorded below.
                self._cancels_unanswered -= 1
                return []
            case ModelFailed(fatal=True, code=code, message=message):
                return self.model_lost(EndReason.MODEL_ERROR, f"{code}: {message}", now)
            case ModelFailed(code=code, message=message):
                return [act.Record("model_error", f"{code}: {message}")]
        return []

    def _agent_audio(self, event: AgentAudio, now: float) -> list[Action]:
        if event.response_id in self._cancelled:
            return []  # a cancelled answer's late audio must not follow the clear
        self.transcript.turn(event.item_id, AGENT, self.offset(now), event.response_id)
        return self.media.play(event, now)

    def _response_finished(self, event: ResponseFinished) -> list[Action]:
        self.usage += event.usage
        if self._active_response == event.response_id:
            self._active_response = None
        cancelled = event.response_id in self._cancelled or event.status == "cancelled"
        self._cancelled.discard(event.response_id)
        saves: list[Action] = []
        for turn in self.transcript.of_response(event.response_id):
            if cancelled and not turn.interrupted and self.media.never_played(turn.key):
                turn.interrupted, turn.heard_ms = True, 0  # generated, never played
            if not turn.saved and (turn.text or turn.interrupted):
                saves.append(act.SaveTranscript(turn.entry()))
        if self._handoff is not None and self._handoff.response_id == event.response_id:
            self._handoff.response_done = True
            saves += self.speech_heard()
        if self._respond_when_free and self._active_response is None:
            self._respond_when_free = False
            saves.append(act.RequestResponse())
        return saves

    # --- the caller -------------------------------------------------------------------

    def caller_note(self, text: str, now: float, *, respond: bool) -> list[Action]:
        """A line from the caller's side (a keypress): noted; answered like speech when `respond`."""
        if self.phase is not Phase.LIVE:
            return []
        note: list[Action] = [act.AddCallerNote(text), act.SaveTranscript(self.transcript.note(text, self.offset(now)))]
        if not respond:
            return note
        return [*self.barge_in(now), *note, *self._respond()]

    def barge_in(self, now: float) -> list[Action]:
        """The caller spoke. Stop what is playing at once and tell the model what was heard."""
        actions = self.media.clear()
        if self._active_response and self._active_response not in self._cancelled:
            self._cancelled.add(self._active_response)
            self._cancels_unanswered += 1
            actions.append(act.CancelResponse())
        return [*actions, *self.media.cut(now, tell_model=True, heard=self._heard)]

    def _heard(self, item_id: str, heard_bytes: int, received_bytes: int) -> list[Action]:
        """An agent item was cut from playback: its turn is stored again as what was heard."""
        turn = self.transcript.cut(item_id, heard_bytes, received_bytes)
        return [act.SaveTranscript(turn.entry())] if turn is not None and (turn.saved or turn.complete) else []

    def _respond(self) -> list[Action]:
        """Ask for an answer now, or once the active (possibly just cancelled) one has finished:
        the service refuses a second response while one is in progress."""
        if self._active_response is None:
            return [act.RequestResponse()]
        self._respond_when_free = True
        return []

    # --- steering from outside the conversation (outbound calls: bridge/answering.py) -----

    @property
    def agent_has_spoken(self) -> bool:
        """An answer of the agent's is under way or has been given."""
        return self._active_response is not None or self.media.is_playing or bool(self.usage.total_tokens)

    def prompt(self, text: str, now: float, *, end: EndReason | None = None, detail: str = "") -> list[Action]:
        """Stop what is playing, tell the model `text` and ask for its answer now (or once the
        cancelled one is done); with `end`, the call ends as soon as that answer has been heard."""
        if self.phase is not Phase.LIVE:
            return []
        if end is not None:
            self._hand_off(HandOff(end, detail=detail))  # bound to the next answer that starts
        return [*self.barge_in(now), act.AddCallerNote(text), *self._respond()]

    # --- tools and hand-offs ----------------------------------------------------------

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
                output, actions = self._noise.change(kind, now)
            case HangUpAfterSpeech():
                self._hand_off(HandOff(EndReason.AGENT_ENDED, detail="the agent ended the call"))
            case TransferAfterSpeech(target=target, label=label):
                return self._transfer_after_speech(call_id, name, target, label)
        return [*actions, *self._answer_tool(call_id, name, output, now)]

    def _answer_tool(self, call_id: str, name: str, output: str, now: float) -> list[Action]:
        line = self.transcript.note(f"{name} → {output}", self.offset(now), role=TOOL)
        return [act.SaveTranscript(line), act.SubmitToolResult(call_id, output), act.RequestResponse()]

    def _transfer_after_speech(self, call_id: str, name: str, target: str, label: str) -> list[Action]:
        """Transfer once what the agent is saying now has been heard; the model waits for the outcome."""
        active = self._active_response
        self._hand_off(
            HandOff(
                EndReason.TRANSFERRED,
                target,
                f"transferred to {label or target}",
                response_id=active or "",
                response_done=active is None,
                tool_call_id=call_id,
                tool_name=name,
            )
        )
        return self.speech_heard()

    def _hand_off(self, handoff: HandOff) -> None:
        self._handoffs += 1
        handoff.number = self._handoffs
        self._handoff = handoff

    def transfer_result(self, ok: bool, detail: str, now: float) -> list[Action]:
        """The carrier's answer to `TransferCall`. Refused: the caller stays, the model hears why."""
        handoff = self._handoff
        if handoff is None or not handoff.requested or self.phase is not Phase.LIVE:
            return []
        if ok:
            return self.finish(handoff.reason, handoff.detail, now)
        self._handoff = None
        output, error, record = transfer_refused(handoff, detail)
        return [
            record,
            act.AmendToolCall(handoff.tool_call_id, output, error),
            *self._answer_tool(handoff.tool_call_id, handoff.tool_name, output, now),
        ]

    def tool_is_slow(self, now: float) -> list[Action]:
        """A tool has run past the agent's threshold: play wait audio until the model speaks."""
        if self.phase is not Phase.LIVE or not self._tools_running or self.media.holding or self.media.is_playing:
            return []
        return self.media.hold(now)

    @property
    def handing_off(self) -> bool:
        """The call ends (or moves) once the agent's next answer has been heard."""
        return self._handoff is not None

    @property
    def hand_off_number(self) -> int | None:
        """The pending hand-off's number, for its safety timer (None when there is none)."""
        return self._handoff.number if self._handoff is not None else None

    def hand_off_timed_out(self, number: int | None = None) -> list[Action]:
        """The goodbye never finished playing: end (or transfer) anyway. A timer passes the
        number of the hand-off it was set for: one set for an earlier hand-off does nothing."""
        handoff = self._handoff
        if handoff is None or handoff.requested or number not in (None, handoff.number):
            return []
        handoff.response_done = True
        self.media.forget()
        return self.speech_heard()

    def speech_heard(self) -> list[Action]:
        """Played audio was confirmed heard, or an answer finished: hand off if all has been heard."""
        handoff = self._handoff
        if handoff is None or handoff.requested or self.phase is not Phase.LIVE:
            return []
        if not handoff.response_done or self.media.is_playing:
            return []
        if handoff.target:
            handoff.requested = True
            return [act.TransferCall(handoff.target, handoff.tool_call_id)]
        return [act.HangUp(), *self.finish(handoff.reason, handoff.detail)]

    # --- ending -----------------------------------------------------------------------

    def leave(self, clip: Farewell, reason: EndReason, detail: str, now: float) -> list[Action]:
        """Say `clip` to the caller, then end; where we hold no audio, end at once."""
        if self.phase is Phase.WAITING:
            return self.finish(reason, detail)  # not begun: nobody to speak to
        if self.phase is not Phase.LIVE:
            return []  # already leaving
        self.phase = Phase.FAREWELL
        self.ending = act.EndCall(reason, detail)
        actions = [*self.media.clear(), *self.media.cut(now, tell_model=False, heard=self._heard)]
        actions += [act.SaveTranscript(turn.entry()) for turn in self.transcript.unsaved()]
        farewell = self.media.farewell(clip)
        return [*actions, *farewell] if farewell else [*actions, *self.finish(reason, detail)]

    def finish(self, reason: EndReason, detail: str, now: float | None = None) -> list[Action]:
        """End now. With `now`, an answer still playing is cut at what the caller heard by then
        (a hang-up or a dropped socket mid-answer is recorded like a barge-in)."""
        if self.phase is Phase.ENDED:
            return []
        if self.phase is Phase.FAREWELL and self.ending is not None:
            reason, detail = self.ending.reason, self.ending.detail  # the caller left during our farewell
        cuts = (
            self.media.cut(now, tell_model=False, heard=self._heard)
            if now is not None and self.media.is_playing
            else []
        )
        self.phase = Phase.ENDED
        self.ending = act.EndCall(reason, detail)
        saves: list[Action] = [act.SaveTranscript(turn.entry()) for turn in self.transcript.unsaved()]
        return [*cuts, *saves, self.ending]

    def offset(self, now: float) -> int:
        """Milliseconds since the caller came on the line: where a turn sits in the call."""
        return max(0, int(now - self._started_at)) if self.phase is not Phase.WAITING else 0
