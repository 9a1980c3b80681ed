"""Playback accounting: how much of each agent audio item the caller has actually heard.

The model sends audio much faster than real time, so most of an answer waits in the
carrier's playback queue. We place a mark after every chunk we send; the carrier echoes
a mark once everything queued before it has been played. Marks give exact chunk
boundaries. Within the chunk now playing, the carrier plays µ-law at exactly 8 bytes per
millisecond, so the position is its start time plus the time elapsed, clamped to the
chunk. The chunk now playing started when the previous mark came back, or when it was
sent if the queue had run dry.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

BYTES_PER_MS = 8  # G.711 µ-law, 8 kHz, one byte a sample


def base64_size(payload: str) -> int:
    """Decoded length of well-formed base64, without decoding it."""
    padding = 2 if payload.endswith("==") else 1 if payload.endswith("=") else 0
    return len(payload) * 3 // 4 - padding


@dataclass(slots=True)
class _Chunk:
    seq: int
    item_id: str
    start: int  # byte offset of the chunk within its item
    end: int
    sent_at: float  # ms, the session's clock


class PlaybackTracker:
    """Queued-vs-played bookkeeping, fed what we send and the marks the carrier echoes."""

    MARK_PREFIX = "a"

    def __init__(self) -> None:
        self._queue: deque[_Chunk] = deque()
        self._next_seq = 0
        self._received: dict[str, int] = {}  # item_id -> bytes sent towards the caller
        self._played: dict[str, int] = {}  # item_id -> bytes confirmed played by marks
        self._last_echo_at = 0.0

    # --- feeding it -----------------------------------------------------------------

    def sent(self, item_id: str, size: int, now: float) -> str:
        """Record a chunk sent to the carrier; return the name of the mark to place after it."""
        start = self._received.get(item_id, 0)
        self._received[item_id] = start + size
        seq = self._next_seq
        self._next_seq += 1
        self._queue.append(_Chunk(seq, item_id, start, start + size, now))
        return f"{self.MARK_PREFIX}{seq}"

    def marked(self, name: str, now: float) -> bool:
        """The carrier echoed mark `name`. Returns False for marks that are not ours or stale."""
        seq = self._seq_of(name)
        if seq is None or not self._queue or seq < self._queue[0].seq:
            return False  # a mark echoed by a clear, after we already forgot the queue
        while self._queue and self._queue[0].seq <= seq:
            chunk = self._queue.popleft()
            self._played[chunk.item_id] = chunk.end
        self._last_echo_at = now
        return True

    def clear(self) -> None:
        """Forget the queue: the carrier was told to drop it. Its marks' echoes become stale."""
        self._queue.clear()

    # --- asking it ------------------------------------------------------------------

    @property
    def is_playing(self) -> bool:
        """Audio is still queued at the carrier (sent, not yet confirmed played)."""
        return bool(self._queue)

    def received_bytes(self, item_id: str) -> int:
        return self._received.get(item_id, 0)

    def queued_items(self) -> list[str]:
        """Items with audio still queued, the one playing now first."""
        seen: dict[str, None] = {}
        for chunk in self._queue:
            seen.setdefault(chunk.item_id)
        return list(seen)

    def heard_bytes(self, item_id: str, now: float) -> int:
        """Bytes of `item_id` the caller has heard by `now` (never more than was sent)."""
        heard = self._played.get(item_id, 0)
        if self._queue and self._queue[0].item_id == item_id:
            head = self._queue[0]
            began = max(head.sent_at, self._last_echo_at)
            elapsed = max(0, int((now - began) * BYTES_PER_MS))
            heard = max(heard, head.start + min(elapsed, head.end - head.start))
        return heard

    def heard_ms(self, item_id: str, now: float) -> int:
        return self.heard_bytes(item_id, now) // BYTES_PER_MS

    def _seq_of(self, name: str) -> int | None:
        if not name.startswith(self.MARK_PREFIX):
            return None
        try:
            return int(name[len(self.MARK_PREFIX) :])
        except ValueError:
            return None
