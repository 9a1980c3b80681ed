"""A call's two-channel recording, worked out from what the bridge saw: no I/O, no clock of its own.

Left is the caller as their frames arrived; right is what the caller actually heard. The model
sends audio faster than real time, so an answer waits in the carrier's queue and plays out at
8000 samples a second from when it was sent, or after what was still queued. A clear at `t`
(barge-in, wait audio stopped, farewell) drops everything scheduled after `t`: it was sent but
never heard. Times are milliseconds on the call's clock (0 = the stream's `start`), as the
transcript's offsets are, so a turn's offset is its place in the recording.

`take(until)` hands back finished stereo PCM (16-bit little-endian, left then right) up to
`until`, for the adapter to append to its file as the call goes; audio is only taken where
nothing can still change it (the adapter keeps a margin behind the clock).
"""

from __future__ import annotations

from array import array

SAMPLE_RATE = 8000
SAMPLES_PER_MS = SAMPLE_RATE // 1000
ULAW_SILENCE = 0xFF  # µ-law's zero
# Caller frames bunch up and spread out with network jitter: they are laid end to end. Only a
# longer hole (a carrier that sends nothing in silence, a stall) is kept as silence in place.
CALLER_GAP_MS = 250


def _ulaw_sample(byte: int) -> int:
    """G.711 µ-law to linear 16-bit (ITU-T G.711; the table `audioop.ulaw2lin` used, which 3.13 removed)."""
    byte = ~byte & 0xFF
    magnitude = (((byte & 0x0F) << 3) + 0x84) << ((byte & 0x70) >> 4)
    return (0x84 - magnitude) if byte & 0x80 else (magnitude - 0x84)


ULAW_TO_LINEAR = array("h", (_ulaw_sample(b) for b in range(256)))
# The same table as the low and high bytes of little-endian samples, for `bytes.translate`.
_LOW = bytes(sample & 0xFF for sample in ULAW_TO_LINEAR)
_HIGH = bytes((sample >> 8) & 0xFF for sample in ULAW_TO_LINEAR)


def ulaw_to_linear(data: bytes | bytearray) -> array[int]:
    """µ-law bytes as signed 16-bit samples."""
    table = ULAW_TO_LINEAR
    return array("h", [table[b] for b in data])


def interleave(left: bytes | bytearray, right: bytes | bytearray) -> bytes:
    """Two equally long µ-law channels as stereo 16-bit little-endian PCM frames (in C: translate, slices)."""
    frames = bytearray(4 * len(left))
    frames[0::4], frames[1::4] = left.translate(_LOW), left.translate(_HIGH)
    frames[2::4], frames[3::4] = right.translate(_LOW), right.translate(_HIGH)
    return bytes(frames)


class CallRecording:
    """Caller frames, agent audio sent, clears in; stereo PCM for the file out."""

    def __init__(self) -> None:
        self._taken = 0  # samples handed out so far; both buffers start there
        self._caller = bytearray()  # µ-law, from sample `_taken` on
        self._heard = bytearray()  # µ-law scheduled to play, from sample `_taken` on
        self._caller_end = 0  # where the next caller frame goes
        self._queue_end = 0  # where the carrier's playback queue runs dry

    @property
    def taken_samples(self) -> int:
        return self._taken

    def caller(self, audio: bytes, at_ms: float) -> None:
        """A caller frame arrived at `at_ms` (its audio ends about then)."""
        hole = self._sample(at_ms) - len(audio) - self._caller_end
        start = max(self._caller_end + (hole if hole * 1000 > CALLER_GAP_MS * SAMPLE_RATE else 0), self._taken)
        self._put(self._caller, start, audio)
        self._caller_end = start + len(audio)

    def sent(self, audio: bytes, at_ms: float) -> None:
        """Agent (or wait, or farewell) audio sent towards the caller at `at_ms`."""
        start = max(self._sample(at_ms), self._queue_end, self._taken)
        self._put(self._heard, start, audio)
        self._queue_end = start + len(audio)

    def cleared(self, at_ms: float) -> None:
        """The carrier was told to drop its queue at `at_ms`: nothing scheduled after it plays."""
        at = max(self._sample(at_ms), self._taken)
        if self._queue_end > at:
            del self._heard[at - self._taken :]
            self._queue_end = at

    def take(self, until_ms: float) -> bytes:
        """Stereo frames from the last take up to `until_ms`; empty if that is not later."""
        count = self._sample(until_ms) - self._taken
        if count <= 0:
            return b""
        left, right = self._pop(self._caller, count), self._pop(self._heard, count)
        self._taken += count
        return interleave(left, right)

    def finish(self, at_ms: float) -> bytes:
        """The call ended at `at_ms`: what was still queued was never heard; the rest, to the end."""
        self.cleared(at_ms)
        end = max(self._sample(at_ms), self._caller_end)
        return self.take(end / SAMPLES_PER_MS)

    @staticmethod
    def _sample(at_ms: float) -> int:
        return max(0, round(at_ms * SAMPLES_PER_MS))

    def _put(self, buffer: bytearray, start: int, audio: bytes) -> None:
        offset = start - self._taken
        if len(buffer) < offset:
            buffer.extend(bytes([ULAW_SILENCE]) * (offset - len(buffer)))
        buffer[offset : offset + len(audio)] = audio

    @staticmethod
    def _pop(buffer: bytearray, count: int) -> bytearray:
        head = buffer[:count]
        del buffer[:count]
        head.extend(bytes([ULAW_SILENCE]) * (count - len(head)))
        return head
