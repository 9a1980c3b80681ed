"""G.711 µ-law decoding and a tiny energy VAD for the realtime stand-in.

Sans-io: bytes in, events out, no clock and no sockets, so the turn logic can be
tested without a server. Time is measured in audio received (8 µ-law bytes = 1 ms),
exactly as the Realtime API's ``audio_start_ms``/``audio_end_ms`` are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["FRAME_BYTES", "ULAW_TO_LINEAR", "EnergyVad", "VadEvent", "frame_energy"]

#: 20 ms of 8 kHz µ-law: the Twilio media frame and the VAD's unit of decision.
FRAME_BYTES = 160
FRAME_MS = 20
BYTES_PER_MS = 8
#: Consecutive speech frames before speech counts as started (60 ms), so a click
#: or a single noisy frame does not interrupt the assistant.
START_FRAMES = 3


def _ulaw_to_linear(byte: int) -> int:
    """Decode one G.711 µ-law byte to 16-bit linear PCM (ITU-T G.711 expansion).

    Bytes are stored inverted; the magnitude is a 4-bit mantissa in one of eight
    exponent segments, with the 0x84 bias (132) removed after shifting.
    """
    byte = ~byte & 0xFF
    sign, exponent, mantissa = byte & 0x80, (byte >> 4) & 0x07, byte & 0x0F
    magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return -magnitude if sign else magnitude


#: All 256 µ-law codes decoded once; replaces the deprecated ``audioop.ulaw2lin``.
ULAW_TO_LINEAR: tuple[int, ...] = tuple(_ulaw_to_linear(b) for b in range(256))
_ABS_LINEAR: tuple[int, ...] = tuple(abs(v) for v in ULAW_TO_LINEAR)


def frame_energy(frame: bytes) -> float:
    """Mean absolute linear amplitude of a µ-law frame (0 for an empty frame)."""
    if not frame:
        return 0.0
    return sum(_ABS_LINEAR[b] for b in frame) / len(frame)


@dataclass(frozen=True)
class VadEvent:
    """A turn boundary, at a position in the audio received so far."""

    kind: Literal["speech_started", "speech_stopped"]
    audio_ms: int


class EnergyVad:
    """Energy voice activity detector fed with arbitrary-sized µ-law chunks.

    Speech starts after :data:`START_FRAMES` consecutive frames at or above
    ``threshold``; ``speech_started`` reports the first of them. It stops once
    ``silence_ms`` of non-speech has followed; like the Realtime API,
    ``speech_stopped`` reports the position at which that silence was complete.
    """

    def __init__(self, threshold: int = 500, silence_ms: int = 400) -> None:
        self.threshold = threshold
        self.silence_ms = silence_ms
        self.speaking = False
        self._pending = bytearray()  # partial frame carried to the next feed()
        self._received_ms = 0  # audio fully consumed into frames
        self._speech_run = 0  # consecutive speech frames while not speaking
        self._silence_run_ms = 0  # trailing non-speech while speaking

    def feed(self, audio: bytes) -> list[VadEvent]:
        """Consume audio and return the turn boundaries it crossed, in order."""
        self._pending += audio
        events: list[VadEvent] = []
        while len(self._pending) >= FRAME_BYTES:
            frame = bytes(self._pending[:FRAME_BYTES])
            del self._pending[:FRAME_BYTES]
            self._received_ms += FRAME_MS
            event = self._on_frame(frame_energy(frame) >= self.threshold)
            if event is not None:
                events.append(event)
        return events

    def reset(self) -> None:
        """Forget any turn in progress (``input_audio_buffer.clear``); time goes on."""
        self._received_ms += len(self._pending) // BYTES_PER_MS
        self._pending.clear()
        self.speaking = False
        self._speech_run = self._silence_run_ms = 0

    def _on_frame(self, is_speech: bool) -> VadEvent | None:
        if not self.speaking:
            self._speech_run = self._speech_run + 1 if is_speech else 0
            if self._speech_run < START_FRAMES:
                return None
            self.speaking, self._silence_run_ms = True, 0
            start_ms = self._received_ms - START_FRAMES * FRAME_MS
            return VadEvent("speech_started", start_ms)
        self._silence_run_ms = 0 if is_speech else self._silence_run_ms + FRAME_MS
        if self._silence_run_ms < self.silence_ms:
            return None
        self.speaking, self._speech_run = False, 0
        return VadEvent("speech_stopped", self._received_ms)
