"""The runner's tap: feeds a `CallRecording` and appends its frames to a WAV spool on local disk.

The spool is a valid WAV at every flush: the stdlib `wave` writer patches the RIFF and data
sizes after each write, and the file is flushed to the kernel then, so a server that dies keeps
what was recorded up to its last flush (the stale-call sweep stores it). Writes are a few
kilobytes once a second per call, small enough for the event loop.
"""

from __future__ import annotations

import base64
import binascii
import wave
from pathlib import Path

from calls.bridge.recording import SAMPLE_RATE, CallRecording

FLUSH_EVERY_MS = 1000
# Caller frames can arrive late by network jitter: audio this recent may still be laid in place.
SETTLE_MS = 1000


class Recorder:
    """One call's recording, on the clock of the runner (`now`: monotonic ms, `start` at `start`)."""

    def __init__(self, path: Path, start: float) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._start = start
        self._track = CallRecording()
        self._file = path.open("wb")  # closed by finish, as the wave writer is
        self._wav = wave.open(self._file, "wb")  # noqa: SIM115 (open for the call's length)
        self._wav.setnchannels(2)
        self._wav.setsampwidth(2)
        self._wav.setframerate(SAMPLE_RATE)
        self._flushed_at = start
        self._closed = False

    def caller(self, payload: str, now: float) -> None:
        self._track.caller(_decoded(payload), now - self._start)
        self._flush_due(now)

    def sent(self, payload: str, now: float) -> None:
        self._track.sent(_decoded(payload), now - self._start)

    def cleared(self, now: float) -> None:
        self._track.cleared(now - self._start)

    def finish(self, now: float) -> int:
        """Write the rest and close the file; returns the recording's length in ms."""
        if not self._closed:
            self._closed = True
            self._write(self._track.finish(now - self._start))
            self._wav.close()
            self._file.close()
        return self._track.taken_samples * 1000 // SAMPLE_RATE

    def _flush_due(self, now: float) -> None:
        if now - self._flushed_at >= FLUSH_EVERY_MS:
            self._flushed_at = now
            self._write(self._track.take(now - self._start - SETTLE_MS))

    def _write(self, frames: bytes) -> None:
        if frames:
            self._wav.writeframes(frames)  # patches the header's sizes
            self._file.flush()


def _decoded(payload: str) -> bytes:
    try:
        return base64.b64decode(payload)
    except (binascii.Error, ValueError):
        return b""  # the session already records malformed frames
