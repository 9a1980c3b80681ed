"""Shipped speech clips: raw, headerless 8 kHz mono G.711 µ-law.

The bytes are exactly what Twilio Media Streams carries and what the Realtime API
sends with ``audio/pcmu``, so they go on the wire untouched (160 bytes = 20 ms).
``scripts/render_audio.sh`` regenerates them from :data:`CLIP_TEXT`; keep the two
in step by editing the text here and re-running the script.

Standard library only: the realtime stand-in imports this outside Django.
"""

from __future__ import annotations

import functools
from pathlib import Path

__all__ = ["BYTES_PER_MS", "CLIP_TEXT", "clip_ms", "load_clip"]

#: µ-law at 8 kHz is one byte per sample, so 8 bytes per millisecond.
BYTES_PER_MS = 8

#: Clip name -> the words spoken. The stand-in uses this as the transcript.
CLIP_TEXT: dict[str, str] = {
    "greeting": "Hello! Thanks for calling. How can I help you today?",
    "answer": "We are open from nine to six, Monday to Saturday. Anything else?",
    "apology": ("Sorry, we are having technical difficulties. Please call again later. Goodbye."),
    "goodbye": "Thanks for calling. Goodbye!",
    "caller_question": "Hi, what are your opening hours?",
}

_DIR = Path(__file__).resolve().parent


@functools.cache
def load_clip(name: str) -> bytes:
    """Return the µ-law bytes of ``<name>.ulaw`` shipped next to this module.

    Raises ``KeyError`` for a name not in :data:`CLIP_TEXT` (rather than reading an
    arbitrary path) and ``FileNotFoundError`` if the clip has not been rendered.
    """
    if name not in CLIP_TEXT:
        raise KeyError(f"unknown clip {name!r}; known: {sorted(CLIP_TEXT)}")
    return (_DIR / f"{name}.ulaw").read_bytes()


def clip_ms(name: str) -> int:
    """Duration of a clip in milliseconds."""
    return len(load_clip(name)) // BYTES_PER_MS
