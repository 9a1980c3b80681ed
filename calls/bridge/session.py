"""`CallSession`: one call's logic. Events in, actions out; no I/O, no clock of its own.

The adapters pass `now` (milliseconds on any monotonic clock) with every event, so the
session can place turns in time and interpolate playback between marks.
"""

from __future__ import annotations

from . import actions as act
from .actions import Action, EndReason, Farewell
from .config import Keypresses, SessionConfig
from .events import (
    AgentAudio,
    AgentTranscriptDelta,
    AgentTranscriptDone,
    CallerAudio,
    CallerSpeechStarted,
    CallerTranscribed,
    CallerTranscriptionFailed,
    DigitPressed,
    FunctionCallRequested,
    ModelEvent,
    ModelFailed,
    PlaybackMarked,
    ResponseFinished,
    ResponseStarted,
    StreamStarted,
    StreamStopped,
    TelephonyEvent,
    Usage,
)
from .phase import Phase
from .playback import BYTES_PER_MS, PlaybackTracker
from .tool_flow import HOLD_ITEM, HandOff, ToolFlow
from .transcript import AGENT, CALLER, Transcript

# A phone line produces 1 ms of audio per ms; network jitter may bunch frames up. Beyond this
# much audio ahead of the clock, frames are a flood (a bug or an attack), not speech.
FLOOD_ALLOWANCE_MS = 2000


class CallSession(ToolFlow):
    """The bridge between one caller and one model session."""

    FAREWELL_MARK = "farewell"

    def __init__(
        self,
        config: SessionConfig,
        *,
        greet_first: bool = True,
        greeting: str = "",
        keypresses: Keypresses = Keypresses.RESPOND,
        hold_audio: tuple[str, ...] = (),
    ) -> None:
        self.config = config
        self.greet_first = greet_first
        self.greeting = greeting
        self.keypresses = keypresses
        self.hold_audio = hold_audio  # base64 µ-law chunks played while a slow tool runs
        self.phase = Phase.WAITING
        self.stream_id = ""
        self.playback = PlaybackTracker()
        self.transcript = Transcript()
        self.usage = Usage()
        self.ending: act.EndCall | None = None
        self._started_at = 0.0
        self._active_response: str | None = None
        self._cancelled: set[str] = set()
        self._cancels_unanswered = 0  # cancels sent that no `response_cancel_not_active` has answered
        self._model_down: act.EndCall | None = None
        self._caller_audio_ms = 0.0  # caller audio forwarded so far
        self._recorded: set[str] = set()  # faults recorded once, not once per frame
        self._tools_running: set[str] = set()
        self._respond_when_free = False  # a response is wanted once the active one has finished
        self._holding = False
        self._handoff: HandOff | None = None
        self._noise = config.noise_reduction
        self._noise_changed_at = float("-inf")

    # --- lifecycle --------------------------------------------------------------------

    def open(self) -> list[Action]:
        """The model connection is up: configure it (possibly before the stream starts)."""
        return [act.ConfigureSession(self.config)]

    def carrier_closed(self, now: float) -> list[Action]:
        """The media socket closed without `stop`."""
        return self._finish(EndReason.CARRIER_DISCONNECTED, "media socket closed without stop", now)

    def start_timed_out(self, seconds: float) -> list[Action]:
        """The stream was accepted but no `start` came: nobody is on this socket to talk to."""
        return self.stream_refused(f"no start within {seconds:g} s", EndReason.NO_STREAM)

    def stream_refused(self, detail: str, reason: EndReason = EndReason.STREAM_REJECTED) -> list[Action]:
        """The stream did not start as the call it was accepted for: record it and end the call."""
        if self.phase is not Phase.WAITING:
            return []
        return [act.Record("stream_rejected", detail), *self._finish(reason, detail)]

    def model_lost(self, reason: EndReason, detail: str, now: float) -> list[Action]:
        """The model could not be reached or went away: apologise, then end."""
        if self.phase is Phase.WAITING:
            self._model_down = act.EndCall(reason, detail)  # apologise once the stream starts
            return []
        return self._farewell(Farewell.APOLOGY, reason, detail, now)

    def protocol_error(self, detail: str, now: float) -> list[Action]:
        """The carrier sent something that cannot be a valid frame."""
        return [act.Record("bad_frame", detail), *self._farewell(Farewell.APOLOGY, EndReason.BAD_STREAM, detail, now)]

    def hang_up(self, reason: EndReason, now: float, detail: str = "") -> list[Action]:
        """End the call on our side (time limit, staff, the agent): say goodbye first."""
        return self._farewell(Farewell.GOODBYE, reason, detail, now)

    # --- steering from outside the conversation (outbound calls: bridge/answering.py) -----

    @property
    def agent_has_spoken(self) -> bool:
        """An answer of the agent's is under way or has been given."""
        return self._active_response is not None or self.playback.is_playing or bool(self.usage.total_tokens)

    def prompt(self, text: str, now: float, *, end: EndReason | None = None, detail: str = "") -> list[Action]:
        """Stop what is playing, tell the model `text` and ask for its answer now (or once the
        cancelled one is done); with `end`, the call ends as soon as that answer has been heard."""
        if self.phase is not Phase.LIVE:
            return []
        if end is not None:
            self._handoff = HandOff(end, detail=detail)  # bound to the next answer that starts
        return [*self._barge_in(now), act.AddCallerNote(text), *self._respond()]

    def farewell_timed_out(self) -> list[Action]:
        """The farewell's mark never came back: end anyway."""
        if self.phase is not Phase.FAREWELL or self.ending is None:
            return []
        return self._finish(self.ending.reason, self.ending.detail)

    # --- the carrier ------------------------------------------------------------------

    def on_telephony(self, event: TelephonyEvent, now: float) -> list[Action]:
        match event:
            case CallerAudio():
                return self._caller_audio(event, now)
            case PlaybackMarked(name=name):
                return self._marked(name, now)
            case StreamStarted():
                return self._started(event, now)
            case DigitPressed(digit=digit):
                return self._keypress(digit, now)
            case StreamStopped():
                return self._finish(EndReason.CALLER_HUNG_UP, "", now)
        return []

    def _keypress(self, digit: str, now: float) -> list[Action]:
        """A key answers the agent like speech does: stop talking, take note, reply (unless note only)."""
        if self.phase is not Phase.LIVE or self.keypresses is Keypresses.OFF:
            return []
        text = f"The caller pressed the key {digit}."
        note: list[Action] = [
            act.AddCallerNote(text),
            act.SaveTranscript(self.transcript.note(text, self._offset(now))),
        ]
        if self.keypresses is Keypresses.NOTE:
            return note
        return [*self._barge_in(now), *note, *self._respond()]

    def _respond(self) -> list[Action]:
        """Ask for an answer now, or once the active (possibly just cancelled) one has finished:
        the service refuses a second response while one is in progress."""
        if self._active_response is None:
            return [act.RequestResponse()]
        self._respond_when_free = True
        return []

    def _caller_audio(self, event: CallerAudio, now: float) -> list[Action]:
        if self.phase is Phase.LIVE:
            if event.stream_id and event.stream_id != self.stream_id:
                return self._record_once("media for another stream dropped")
            return self._within_real_time(event, now)
        if self.phase is Phase.WAITING:
            return self.protocol_error("media before start", now)
        return []

    def _within_real_time(self, event: CallerAudio, now: float) -> list[Action]:
        """Forward caller audio unless it arrives faster than a phone line can produce it."""
        duration_ms = event.size / BYTES_PER_MS
        if self._caller_audio_ms + duration_ms > (now - self._started_at) + FLOOD_ALLOWANCE_MS:
            return self._record_once("caller audio faster than real time: excess dropped")
        self._caller_audio_ms += duration_ms
        return [act.AppendCallerAudio(event.payload)]

    def _record_once(self, detail: str) -> list[Action]:
        """A dropped frame's reason, recorded the first time only: a flood must not become DB writes."""
        if detail in self._recorded:
            return []
        self._recorded.add(detail)
        return [act.Record("bad_frame", detail)]

    def _started(self, event: StreamStarted, now: float) -> list[Action]:
        if self.phase is not Phase.WAITING:
            return [act.Record("bad_frame", "second start ignored")]
        self.phase = Phase.LIVE
        self.stream_id = event.stream_id
        self._started_at = now
        if self._model_down is not None:
            return self._farewell(Farewell.APOLOGY, self._model_down.reason, self._model_down.detail, now)
        if not self.greet_first:
            return []
        if self.greeting:
            # Response-level instructions replace the session's for this turn: keep the persona.
            directive = f'Begin the call now by saying exactly: "{self.greeting}"'
            return [act.RequestResponse(f"{self.config.instructions}\n\n{directive}")]
        return [act.RequestResponse()]

    def _marked(self, name: str, now: float) -> list[Action]:
        if name == self.FAREWELL_MARK and self.phase is Phase.FAREWELL and self.ending:
            return self._finish(self.ending.reason, self.ending.detail)
        self.playback.marked(name, now)
        return self._maybe_hand_off()

    # --- the model --------------------------------------------------------------------

    def on_model(self, event: ModelEvent, now: float) -> list[Action]:
        if self.phase is not Phase.LIVE:
            return []
        match event:
            case AgentAudio():
                return self._agent_audio(event, now)
            case AgentTranscriptDelta(response_id=rid, item_id=item, text=text):
                self.transcript.turn(item, AGENT, self._offset(now), rid).text += text
            case AgentTranscriptDone(response_id=rid, item_id=item, text=text):
                turn = self.transcript.turn(item, AGENT, self._offset(now), rid)
                turn.text, turn.complete = text or turn.text, True
                return [act.SaveTranscript(turn.entry())]
            case CallerSpeechStarted(item_id=item):
                self.transcript.turn(item, CALLER, self._offset(now))
                return self._barge_in(now)
            case CallerTranscribed(item_id=item, text=text):
                turn = self.transcript.turn(item, CALLER, self._offset(now))
                turn.text, turn.complete = text.strip(), True
                return [act.SaveTranscript(turn.entry())]
            case CallerTranscriptionFailed(item_id=item, message=message):
                turn = self.transcript.turn(item, CALLER, self._offset(now))
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
        self.transcript.turn(event.item_id, AGENT, self._offset(now), event.response_id)
        actions: list[Action] = []
        if self._holding:  # the model speaks again: the wait audio stops at once
            self._holding = False
            self.playback.clear()
            actions.append(act.ClearPlayback())
        mark = self.playback.sent(event.item_id, event.size, now)
        return [*actions, act.PlayAudio(event.payload), act.PlaceMark(mark)]

    def _response_finished(self, event: ResponseFinished) -> list[Action]:
        self.usage += event.usage
        if self._active_response == event.response_id:
            self._active_response = None
        cancelled = event.response_id in self._cancelled or event.status == "cancelled"
        self._cancelled.discard(event.response_id)
        saves: list[Action] = []
        for turn in self.transcript.of_response(event.response_id):
            if cancelled and not turn.interrupted and self.playback.received_bytes(turn.key) == 0:
                turn.interrupted, turn.heard_ms = True, 0  # generated, never played
            if not turn.saved and (turn.text or turn.interrupted):
                saves.append(act.SaveTranscript(turn.entry()))
        if self._handoff is not None and self._handoff.response_id == event.response_id:
            self._handoff.response_done = True
            saves += self._maybe_hand_off()
        if self._respond_when_free and self._active_response is None:
            self._respond_when_free = False
            saves.append(act.RequestResponse())
        return saves

    # --- barge-in ---------------------------------------------------------------------

    def _barge_in(self, now: float) -> list[Action]:
        """The caller spoke. Stop what is playing at once and tell the model what was heard."""
        actions: list[Action] = []
        if self.playback.is_playing:
            actions.append(act.ClearPlayback())
        if self._active_response and self._active_response not in self._cancelled:
            self._cancelled.add(self._active_response)
            self._cancels_unanswered += 1
            actions.append(act.CancelResponse())
        actions += self._cut_playback(now, tell_model=True)
        return actions

    def _cut_playback(self, now: float, *, tell_model: bool) -> list[Action]:
        """Account for audio dropped from the carrier's queue; the head item was partly heard."""
        actions: list[Action] = []
        self._holding = False
        for item_id in self.playback.queued_items():
            if item_id == HOLD_ITEM:
                continue  # wait audio: nothing the model said, nothing to truncate
            heard = self.playback.heard_bytes(item_id, now)
            received = self.playback.received_bytes(item_id)
            if tell_model and heard > 0:
                actions.append(act.TruncateAgentAudio(item_id, 0, heard // 8))
            turn = self.transcript.cut(item_id, heard, received)
            if turn is not None and (turn.saved or turn.complete):
                actions.append(act.SaveTranscript(turn.entry()))
        self.playback.clear()
        return actions

    # --- ending -----------------------------------------------------------------------

    def _farewell(self, clip: Farewell, reason: EndReason, detail: str, now: float) -> list[Action]:
        if self.phase is Phase.WAITING:
            return self._finish(reason, detail)  # no stream yet: nobody to speak to
        if self.phase is not Phase.LIVE:
            return []  # already leaving
        self.phase = Phase.FAREWELL
        self.ending = act.EndCall(reason, detail)
        actions: list[Action] = [act.ClearPlayback()] if self.playback.is_playing else []
        actions += self._cut_playback(now, tell_model=False)
        actions += [act.SaveTranscript(turn.entry()) for turn in self.transcript.unsaved()]
        actions.append(act.PlayFarewell(clip, self.FAREWELL_MARK))
        return actions

    def _finish(self, reason: EndReason, detail: str, now: float | None = None) -> list[Action]:
        """End now. With `now`, an answer still playing is cut at what the caller heard by then
        (a hang-up or a dropped socket mid-answer is recorded like a barge-in)."""
        if self.phase is Phase.ENDED:
            return []
        if self.phase is Phase.FAREWELL and self.ending is not None:
            reason, detail = self.ending.reason, self.ending.detail  # the caller left during our farewell
        cuts = self._cut_playback(now, tell_model=False) if now is not None and self.playback.is_playing else []
        self.phase = Phase.ENDED
        self.ending = act.EndCall(reason, detail)
        saves: list[Action] = [act.SaveTranscript(turn.entry()) for turn in self.transcript.unsaved()]
        return [*cuts, *saves, self.ending]

    def _offset(self, now: float) -> int:
        return max(0, int(now - self._started_at)) if self.phase is not Phase.WAITING else 0
