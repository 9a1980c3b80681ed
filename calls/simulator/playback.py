"""Twilio's outbound playback buffer as a pure state machine (no clock, no I/O).

Twilio plays the audio a bidirectional stream sends it at real time (8000 bytes/s of
µ-law) and echoes each ``mark`` once the audio queued before it has been played, or at
once when a ``clear`` empties the queue. :class:`PlaybackQueue` models exactly that: the
driver calls :meth:`PlaybackQueue.play_frame` once per 20 ms slot and the queue says what
starts playing and which marks are now due.

Clock: the n-th call to ``play_frame`` starts slot n, which begins at ``n * FRAME_MS`` on
the queue's clock. A frame counts as *played* only once its slot has ended (at the next
call); the frame in flight when a ``clear`` arrives is cut off and not counted, so
"played" is a lower bound on what the caller heard, never more than 20 ms below it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

FRAME_MS = 20
BYTES_PER_MS = 8
FRAME_BYTES = FRAME_MS * BYTES_PER_MS  # 160 bytes of 8 kHz µ-law
SILENCE = 0xFF  # µ-law encoding of a zero sample


@dataclass
class Segment:
    """One contiguous run of agent audio played to the caller.

    ``end_ms`` is ``None`` while the run is still playing. For whole frames,
    ``end_ms - start_ms == played_bytes / BYTES_PER_MS``.
    """

    start_ms: int
    end_ms: int | None = None
    played_bytes: int = 0
    cleared: bool = False


class PlaybackQueue:
    """Audio and marks in arrival order, consumed 160 bytes per 20 ms slot."""

    def __init__(self) -> None:
        self._entries: deque[bytearray | str] = deque()  # audio chunks and mark names
        self._in_flight = b""  # the frame playing during the current slot
        self._in_flight_marks: list[str] = []  # marks crossed inside that frame
        self.slot = 0  # number of play_frame calls so far
        self.queued_bytes = 0
        self.played = bytearray()  # every byte whose slot has ended
        self.played_since_clear = 0  # since the previous clear, or stream start
        self.played_in_run = 0  # since playback last started from an empty queue
        self.segments: list[Segment] = []

    @property
    def now_ms(self) -> int:
        """Start of the current slot on the queue's clock."""
        return self.slot * FRAME_MS

    @property
    def playing(self) -> bool:
        """Whether agent audio is playing during the current slot."""
        return bool(self._in_flight)

    @property
    def in_flight_bytes(self) -> int:
        """Bytes of the frame playing during the current slot."""
        return len(self._in_flight)

    @property
    def played_total(self) -> int:
        """Bytes of agent audio played so far."""
        return len(self.played)

    @property
    def pending_marks(self) -> list[str]:
        """Marks not yet echoed, in order."""
        queued = [entry for entry in self._entries if isinstance(entry, str)]
        return self._in_flight_marks + queued

    def enqueue_audio(self, data: bytes) -> None:
        """Append decoded µ-law from an outbound ``media`` message."""
        if data:
            self._entries.append(bytearray(data))
            self.queued_bytes += len(data)

    def enqueue_mark(self, name: str) -> None:
        """Queue a mark behind the audio already queued."""
        self._entries.append(name)

    def clear(self) -> list[str]:
        """Drop all queued audio (and the frame in flight); return every pending mark."""
        marks = self.pending_marks
        self._entries.clear()
        self.queued_bytes = 0
        self._in_flight_marks = []
        if self._in_flight:
            self._in_flight = b""
            self._close_segment(cleared=True)
        self.played_since_clear = 0
        return marks

    def play_frame(self) -> tuple[bytes, list[str]]:
        """Advance one slot: finish the frame in flight, start the next.

        Returns the audio starting to play now (at most 160 bytes, ``b""`` when idle)
        and the marks whose preceding audio has now been fully played.
        """
        due = self._finish_in_flight()
        self.slot += 1
        due += self._pop_leading_marks()
        frame = self._take_frame()
        if frame and not self._in_flight:
            self.segments.append(Segment(start_ms=self.now_ms))
            self.played_in_run = 0
        elif self._in_flight and not frame:
            self._close_segment(cleared=False)
        self._in_flight = frame
        return frame, due

    def _finish_in_flight(self) -> list[str]:
        frame, due = self._in_flight, self._in_flight_marks
        self._in_flight_marks = []
        if frame:
            self.played += frame
            self.played_since_clear += len(frame)
            self.played_in_run += len(frame)
            self.segments[-1].played_bytes += len(frame)
        return due

    def _pop_leading_marks(self) -> list[str]:
        due: list[str] = []
        while self._entries and isinstance(self._entries[0], str):
            due.append(self._entries.popleft())  # type: ignore[arg-type]
        return due

    def _take_frame(self) -> bytes:
        # A frame may span several media messages; marks between them fall due when
        # the whole frame has played (Twilio plays the stream continuously).
        frame = bytearray()
        while self._entries and len(frame) < FRAME_BYTES:
            entry = self._entries[0]
            if isinstance(entry, str):
                self._in_flight_marks.append(self._entries.popleft())  # type: ignore[arg-type]
                continue
            take = entry[: FRAME_BYTES - len(frame)]
            frame += take
            del entry[: len(take)]
            if not entry:
                self._entries.popleft()
        self.queued_bytes -= len(frame)
        return bytes(frame)

    def _close_segment(self, *, cleared: bool) -> None:
        segment = self.segments[-1]
        segment.end_ms = self.now_ms
        segment.cleared = cleared
