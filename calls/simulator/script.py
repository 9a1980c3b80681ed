"""What the simulated caller does, tick by tick: a pure state machine over the line clock.

:class:`CallerTurn` decides, for each 20 ms tick, whether the caller starts speaking (each of
their turns), which 160 bytes go up the line, which DTMF digits are pressed and whether to
hang up. It
only reads the :class:`~calls.simulator.playback.PlaybackQueue` to know what the caller
has heard; it never touches a socket or a clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from calls.simulator.playback import FRAME_BYTES, SILENCE, PlaybackQueue

SILENT_FRAME = bytes([SILENCE]) * FRAME_BYTES
# A server's voice detection reports speech a few hundred ms late: a clear this soon after the
# caller stopped still answers them.
BARGE_IN_GRACE_MS = 1000


@dataclass
class CallScript:
    """The caller's side of one call. All times are ms on the stream's clock.

    - ``speak_after_ms``: speak this long after the stream starts; ``None`` means once
      the agent's first playback has drained (no agent audio for ``drained_after_ms``).
    - ``barge_in_after_ms``: speak this long after the first agent audio *started*
      playing, talking over it; overrides ``speak_after_ms``.
    - ``turns``: say ``caller_audio`` this many times. The first turn starts as above; each
      later one once the agent's answer to the previous turn (audio played after it) has
      drained, and ``turn_pause_ms`` more have passed.
    - ``hangup_after_ms``: once a turn has ended, hang up when this much time has passed
      without the agent answering it; after the last turn, also when the answer has drained.
    - ``hold_ms``: instead, stay on the line until this ms after the stream started and
      hang up then, whatever the agent does (staff can watch the call and hang up first).
    - ``hold_after_ms``: or stay on the line until this ms after the last turn ended, whatever
      the agent does (an unanswered turn before it waits for its answer, up to ``max_call_ms``).
    - ``max_call_ms``: hard bound on the stream's length, whatever happens.
    - ``dtmf``: ``(ms, digit)`` key presses.
    - ``drained_after_ms``: how long playback must stay silent to count as drained; it
      bridges short underruns when the server streams audio about as fast as real time.
    """

    caller_audio: bytes
    speak_after_ms: int | None = None
    barge_in_after_ms: int | None = None
    turns: int = 1
    turn_pause_ms: int = 0
    hangup_after_ms: int = 8000
    hold_ms: int | None = None
    hold_after_ms: int | None = None
    max_call_ms: int = 20000
    dtmf: list[tuple[int, str]] = field(default_factory=list)
    drained_after_ms: int = 500


class CallerTurn:
    """Runtime state of a :class:`CallScript`: its turns, some digits, one hang-up.

    ``started_ms`` and ``ended_ms`` are the current turn's; ``starts_ms`` and ``ends_ms``
    every turn's so far, in order.
    """

    def __init__(self, script: CallScript) -> None:
        self.script = script
        self.position = 0  # bytes of the current turn's utterance already sent
        self.starts_ms: list[int] = []
        self.ends_ms: list[int] = []
        self._dtmf = sorted(script.dtmf)

    @property
    def started_ms(self) -> int | None:
        return self.starts_ms[-1] if self.starts_ms else None

    @property
    def ended_ms(self) -> int | None:
        """When the current turn ended; ``None`` before the first turn or while speaking."""
        return self.ends_ms[-1] if self.starts_ms and len(self.ends_ms) == len(self.starts_ms) else None

    @property
    def speaking(self) -> bool:
        """Whether a turn has started and not yet ended."""
        return len(self.starts_ms) > len(self.ends_ms)

    @property
    def done_talking(self) -> bool:
        """Whether every turn of the script has been said."""
        return len(self.ends_ms) >= self.script.turns

    def talking_over(self, now_ms: int) -> bool:
        """Whether the caller is speaking at ``now_ms``, or stopped so recently that a server
        reacting to their speech (a clear) is answering them: a barge-in."""
        if self.started_ms is None or now_ms < self.started_ms:
            return False
        return self.ended_ms is None or now_ms <= self.ended_ms + BARGE_IN_GRACE_MS

    def digits_due(self, now_ms: int) -> list[str]:
        """Digits whose scheduled time has come, in order; each is returned once."""
        due = [digit for at_ms, digit in self._dtmf if at_ms <= now_ms]
        self._dtmf = [(at_ms, digit) for at_ms, digit in self._dtmf if at_ms > now_ms]
        return due

    def next_frame(self, frame_ms: int, playback: PlaybackQueue) -> bytes:
        """The 160 bytes the caller sends for the slot starting at ``frame_ms``.

        Silence (0xFF) before, between and after the turns, as a real phone line sends; a
        turn's last frame is padded with silence.
        """
        if not self.speaking and not self.done_talking and self._speak_due(frame_ms, playback):
            self.starts_ms.append(frame_ms)
            self.position = 0
        if not self.speaking:
            return SILENT_FRAME
        audio = self.script.caller_audio
        chunk = audio[self.position : self.position + FRAME_BYTES]
        self.position += len(chunk)
        if self.position >= len(audio):
            self.ends_ms.append(frame_ms + len(chunk) // 8)
        return chunk.ljust(FRAME_BYTES, bytes([SILENCE]))

    def hangup_due(self, now_ms: int, playback: PlaybackQueue) -> str | None:
        """Why the caller hangs up now (``"max_call_ms"``, ``"held"``, ``"answered"``,
        ``"hangup_after_ms"``), or ``None`` to stay on the line."""
        if now_ms >= self.script.max_call_ms:
            return "max_call_ms"
        if self.script.hold_ms is not None:
            return "held" if now_ms >= self.script.hold_ms else None
        if self.ended_ms is None:
            return None
        if self.script.hold_after_ms is not None:
            return "held" if self.done_talking and now_ms >= self.ended_ms + self.script.hold_after_ms else None
        answered = self._answer_drained(now_ms, playback)
        if answered and self.done_talking:
            return "answered"
        if not answered and now_ms >= self.ended_ms + self.script.hangup_after_ms:
            return "hangup_after_ms"
        return None  # an answered turn before the last: the next one is due

    def _speak_due(self, now_ms: int, playback: PlaybackQueue) -> bool:
        script = self.script
        if self.ends_ms:  # a later turn: once the answer to the previous one has played out
            return self._answer_drained(now_ms, playback, pause_ms=script.turn_pause_ms)
        if script.barge_in_after_ms is not None:
            if not playback.segments:
                return False
            return now_ms >= playback.segments[0].start_ms + script.barge_in_after_ms
        if script.speak_after_ms is not None:
            return now_ms >= script.speak_after_ms
        return bool(playback.segments) and self._drained(now_ms, playback)

    def _answer_drained(self, now_ms: int, playback: PlaybackQueue, *, pause_ms: int = 0) -> bool:
        """Whether agent audio played since the current turn ended and has drained (``pause_ms`` ago)."""
        assert self.ended_ms is not None
        last = playback.segments[-1] if playback.segments else None
        if last is None or (last.end_ms is not None and last.end_ms <= self.ended_ms):
            return False  # nothing heard since the caller stopped talking
        return self._drained(now_ms - pause_ms, playback)

    def _drained(self, now_ms: int, playback: PlaybackQueue) -> bool:
        end_ms = playback.segments[-1].end_ms
        if playback.playing or end_ms is None:
            return False
        return now_ms >= end_ms + self.script.drained_after_ms
