"""Wait audio: what the caller hears while a slow tool runs.

Either a WAV file staff upload (8 kHz, mono, 16-bit PCM; converted once to µ-law) or, by
default, a soft tone: two short quiet pips every two seconds.
"""

from __future__ import annotations

import base64
import functools
import math
import wave
from array import array
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from django.core.files.storage import Storage

SAMPLE_RATE = 8000
CHUNK_BYTES = 8000  # one-second media messages
MAX_SECONDS = 20  # longer than any tool's timeout


SEGMENT_ENDS = (0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF)


def mulaw_byte(sample: int) -> int:
    """G.711 µ-law encoding of one 16-bit linear sample (the ITU reference algorithm)."""
    pcm = sample >> 2  # the reference works on 14-bit samples
    mask = 0x7F if pcm < 0 else 0xFF
    pcm = min(abs(pcm), 8159) + 0x21
    segment = next((i for i, end in enumerate(SEGMENT_ENDS) if pcm <= end), 8)
    if segment >= 8:
        return 0x7F ^ mask
    return ((segment << 4) | ((pcm >> (segment + 1)) & 0x0F)) ^ mask


@functools.cache
def _mulaw_table() -> bytes:
    """The µ-law byte of every 16-bit sample, indexed by its bits read unsigned (built once)."""
    return bytes(mulaw_byte(n - 0x10000 if n & 0x8000 else n) for n in range(0x10000))


def mulaw_encode(samples: array) -> bytes:
    """Table lookups: 20 s of audio took 135 ms sample by sample, with the GIL held, at every call's set-up."""
    unsigned = array("H", samples.tobytes())  # the same bits, as table indexes
    return bytes(map(_mulaw_table().__getitem__, unsigned))


@functools.cache
def soft_tone(seconds: int = MAX_SECONDS) -> bytes:
    """Two quiet 440 Hz pips (120 ms each, 120 ms apart) every two seconds."""
    samples = array("h")
    for n in range(seconds * SAMPLE_RATE):
        t = n % (2 * SAMPLE_RATE)
        audible = t < 960 or 1920 <= t < 2880
        samples.append(int(1800 * math.sin(2 * math.pi * 440 * n / SAMPLE_RATE)) if audible else 0)
    return mulaw_encode(samples)


def wav_to_mulaw(file: BinaryIO) -> bytes:
    """µ-law bytes of an 8 kHz mono 16-bit WAV (at most MAX_SECONDS). Raises ValueError otherwise."""
    try:
        with wave.open(file) as wav:
            if (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) != (SAMPLE_RATE, 1, 2):
                raise ValueError("use an 8 kHz, mono, 16-bit PCM WAV file")
            frames = wav.readframes(min(wav.getnframes(), MAX_SECONDS * SAMPLE_RATE))
    except (wave.Error, EOFError) as exc:
        raise ValueError("not a readable WAV file") from exc
    samples = array("h")
    samples.frombytes(frames)
    return mulaw_encode(samples)


def as_chunks(audio: bytes) -> tuple[str, ...]:
    """Base64 media payloads of one second each."""
    return tuple(base64.b64encode(audio[i : i + CHUNK_BYTES]).decode() for i in range(0, len(audio), CHUNK_BYTES))


@functools.cache
def default_hold_chunks() -> tuple[str, ...]:
    return as_chunks(soft_tone())


@functools.lru_cache(maxsize=32)
def uploaded_hold_chunks(storage: Storage, name: str, size: int) -> tuple[str, ...]:
    """An uploaded WAV as media payloads, converted once per stored file (a new upload, a new name)."""
    with storage.open(name, "rb") as file:
        return as_chunks(wav_to_mulaw(file))
