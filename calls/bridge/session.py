"""`CallSession`: a phone call whose audio passes through us. Events in, actions out; no I/O.

The composition the runner drives: a `Conversation` (what is said, the tools, the end) over a
`MediaLeg` (the carrier's stream: playback by marks, barge-in, wait and farewell audio). This
class reads the carrier's events, decides whether the stream is the call's, and routes the
rest. The adapters pass `now` (milliseconds on any monotonic clock) with every event.
"""

from __future__ import annotations

from . import actions as act
from .actions import Action, EndReason, Farewell
from .config import Keypresses, SessionConfig
from .conversation import Conversation
from .effects import ToolEffect
from .events import (
    CallerAudio,
    DigitPressed,
    ModelEvent,
    PlaybackMarked,
    StreamStarted,
    StreamStopped,
    TelephonyEvent,
    TranscriptionUsage,
    Usage,
)
from .media import FAREWELL_MARK, MediaLeg
from .phase import Phase
from .playback import PlaybackTracker
from .transcript import Transcript

__all__ = ["CallSession", "Phase"]


class CallSession:
    """The bridge between one caller's media stream and one model session."""

    def __init__(
        self,
        config: SessionConfig,
        *,
        greet_first: bool = True,
        greeting: str = "",
        keypresses: Keypresses = Keypresses.RESPOND,
        hold_audio: tuple[str, ...] = (),
        call_id: str = "",
    ) -> None:
        self.media = MediaLeg(hold_audio)
        self.conversation = Conversation(config, greet_first=greet_first, greeting=greeting, media=self.media)
        self.keypresses = keypresses
        self.call_id = call_id  # the carrier's id of the call this stream was accepted for ("": any)
        self.streaming = False  # a `start` was taken as this call's stream

    # --- what the runner and the tests read --------------------------------------------

    @property
    def phase(self) -> Phase:
        return self.conversation.phase

    @property
    def stream_id(self) -> str:
        return self.media.stream_id

    @property
    def playback(self) -> PlaybackTracker:
        return self.media.playback

    @property
    def transcript(self) -> Transcript:
        return self.conversation.transcript

    @property
    def usage(self) -> Usage:
        return self.conversation.usage

    @property
    def transcription_usage(self) -> TranscriptionUsage:
        return self.conversation.transcription_usage

    @property
    def ending(self) -> act.EndCall | None:
        return self.conversation.ending

    @property
    def handing_off(self) -> bool:
        return self.conversation.handing_off

    @property
    def hand_off_number(self) -> int | None:
        return self.conversation.hand_off_number

    # --- lifecycle --------------------------------------------------------------------

    def open(self) -> list[Action]:
        """The model connection is up: configure it (possibly before the stream starts)."""
        return self.conversation.open()

    def carrier_closed(self, now: float) -> list[Action]:
        """The media socket closed without `stop`."""
        return self.conversation.finish(EndReason.CARRIER_DISCONNECTED, "media socket closed without stop", now)

    def start_timed_out(self, seconds: float) -> list[Action]:
        """The stream was accepted but no `start` came: nobody is on this socket to talk to."""
        return self.stream_refused(f"no start within {seconds:g} s", EndReason.NO_STREAM)

    def stream_refused(self, detail: str, reason: EndReason = EndReason.STREAM_REJECTED) -> list[Action]:
        """The stream did not start as the call it was accepted for: record it and end the call."""
        return self.conversation.refuse(detail, reason)

    def model_lost(self, reason: EndReason, detail: str, now: float) -> list[Action]:
        """The model could not be reached or went away: apologise, then end."""
        return self.conversation.model_lost(reason, detail, now)

    def protocol_error(self, detail: str, now: float) -> list[Action]:
        """The carrier sent something that cannot be a valid frame."""
        ending = self.conversation.leave(Farewell.APOLOGY, EndReason.BAD_STREAM, detail, now)
        return [act.Record("bad_frame", detail), *ending]

    def hang_up(self, reason: EndReason, now: float, detail: str = "") -> list[Action]:
        """End the call on our side (time limit, staff, the agent): say goodbye first."""
        return self.conversation.hang_up(reason, now, detail)

    # --- steering from outside the conversation (outbound calls: bridge/answering.py) -----

    @property
    def agent_has_spoken(self) -> bool:
        """An answer of the agent's is under way or has been given."""
        return self.conversation.agent_has_spoken

    def prompt(self, text: str, now: float, *, end: EndReason | None = None, detail: str = "") -> list[Action]:
        """Tell the model `text` and ask for its answer now (outbound calls: bridge/answering.py)."""
        return self.conversation.prompt(text, now, end=end, detail=detail)

    def farewell_timed_out(self) -> list[Action]:
        """The farewell's mark never came back: end anyway."""
        return self.conversation.farewell_heard()

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
                return self.conversation.finish(EndReason.CALLER_HUNG_UP, "", now)
        return []

    def _started(self, event: StreamStarted, now: float) -> list[Action]:
        if self.phase is not Phase.WAITING:
            return [act.Record("bad_frame", "second start ignored")]
        if self.call_id and event.call_id != self.call_id:  # the handshake proved the stream is for our call
            return self.stream_refused(f"start for another call ({event.call_id[:64]})")
        self.streaming = True
        self.media.start(event.stream_id, now)
        return self.conversation.begin(now)

    def _caller_audio(self, event: CallerAudio, now: float) -> list[Action]:
        if self.phase is Phase.LIVE:
            return self.media.caller_audio(event, now)
        if self.phase is Phase.WAITING:
            return self.protocol_error("media before start", now)
        return []

    def _marked(self, name: str, now: float) -> list[Action]:
        if name == FAREWELL_MARK and self.phase is Phase.FAREWELL:
            return self.conversation.farewell_heard()
        self.media.marked(name, now)
        return self.conversation.speech_heard()

    def _keypress(self, digit: str, now: float) -> list[Action]:
        """A key answers the agent like speech does: stop talking, take note, reply (unless note only)."""
        if self.keypresses is Keypresses.OFF:
            return []
        text = f"The caller pressed the key {digit}."
        return self.conversation.caller_note(text, now, respond=self.keypresses is Keypresses.RESPOND)

    # --- the model and the tools ------------------------------------------------------

    def on_model(self, event: ModelEvent, now: float) -> list[Action]:
        return self.conversation.on_model(event, now)

    def tool_result(
        self, call_id: str, name: str, output: str, now: float, effect: ToolEffect | None = None
    ) -> list[Action]:
        """A tool finished: apply what it asks of the call, hand its output to the model."""
        return self.conversation.tool_result(call_id, name, output, now, effect)

    def transfer_result(self, ok: bool, detail: str, now: float) -> list[Action]:
        """The carrier's answer to `TransferCall`."""
        return self.conversation.transfer_result(ok, detail, now)

    def tool_is_slow(self, now: float) -> list[Action]:
        """A tool has run past the agent's threshold: play wait audio until the model speaks."""
        return self.conversation.tool_is_slow(now)

    def hand_off_timed_out(self, number: int | None = None) -> list[Action]:
        """The goodbye never finished playing: end (or transfer) anyway, if still that hand-off."""
        return self.conversation.hand_off_timed_out(number)
