"""What every carrier's media stream has in common: JSON text frames carrying base64 µ-law.

Each carrier's wire (`calls/carriers/<name>/wire.py`) reads its own events out of the object
`json_frame` returns, with the same limits and the same errors.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable
from typing import Any, TypeVar

import orjson

from .events import ProtocolError

MAX_FRAME_CHARS = 64 * 1024
MAX_MEDIA_BYTES = 8000  # one second of µ-law; carriers send 160 bytes (20 ms) a frame

T = TypeVar("T")


def base64_size(payload: object) -> int:
    """Validate a media payload and return its decoded size; the payload itself is forwarded untouched."""
    if not isinstance(payload, str):
        raise ProtocolError("media payload is not a string")
    try:
        size = len(binascii.a2b_base64(payload, strict_mode=True))
    except (binascii.Error, ValueError) as exc:
        raise ProtocolError("media payload is not valid base64") from exc
    if size > MAX_MEDIA_BYTES:
        raise ProtocolError("media frame is larger than one second of audio")
    return size


def json_frame(text: str, event: Callable[[dict[str, Any]], T]) -> T:
    """`event(message)` for one text frame's JSON object; anything malformed is a ProtocolError."""
    if len(text) > MAX_FRAME_CHARS:
        raise ProtocolError(f"frame of {len(text)} characters is too large")
    try:
        message = orjson.loads(text)
    except ValueError as exc:
        raise ProtocolError("frame is not JSON") from exc
    if not isinstance(message, dict):
        raise ProtocolError("frame is not a JSON object")
    try:
        return event(message)
    except (KeyError, TypeError, AttributeError) as exc:
        raise ProtocolError(f"{message.get('event')!s:.20} frame is missing {exc!s:.40}") from exc
