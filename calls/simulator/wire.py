"""Twilio Media Streams messages as the simulated Twilio writes and reads them.

Pure: JSON text in, typed frozen events out, and builders for what Twilio sends. A
message Twilio would not act on parses to :class:`Malformed` instead of raising. The
events (:data:`ServerMessage`) are every dialect's: Plivo's messages parse to them too.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PlayAudio:
    """Server ``media``: µ-law to queue for playback."""

    audio: bytes


@dataclass(frozen=True)
class Mark:
    """Server ``mark``: echo ``name`` once the audio queued before it has played."""

    name: str


@dataclass(frozen=True)
class Clear:
    """Server ``clear``: drop the queued audio, echo every pending mark."""


@dataclass(frozen=True)
class Malformed:
    """A message Twilio ignores; ``error`` says why."""

    error: str


ServerMessage = PlayAudio | Mark | Clear | Malformed


def load_object(raw: str | bytes) -> dict[str, Any] | Malformed:
    """A server message as a JSON object; the carriers ignore anything else (binary frames too)."""
    try:
        message = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        message = None
    return message if isinstance(message, dict) else Malformed(f"not a JSON text object: {raw[:80]!r}")


def parse_server_message(raw: str | bytes, stream_sid: str) -> ServerMessage:
    """Parse one websocket message from the server to Twilio."""
    message = load_object(raw)
    if isinstance(message, Malformed):
        return message
    event = message.get("event")
    if event not in ("media", "mark", "clear"):
        return Malformed(f"unknown event {event!r}")
    if message.get("streamSid") != stream_sid:
        return Malformed(f"{event} with streamSid {message.get('streamSid')!r}")
    if event == "clear":
        return Clear()
    body = message.get(event)
    body = body if isinstance(body, dict) else {}
    if event == "mark":
        name = body.get("name")
        return Mark(name) if isinstance(name, str) else Malformed("mark without a name")
    return decode_media(body.get("payload"))


def decode_media(payload: Any) -> PlayAudio | Malformed:
    """The base64 ``payload`` of a server audio message, as :class:`PlayAudio`."""
    if not isinstance(payload, str):
        return Malformed("media without a payload")
    try:
        return PlayAudio(base64.b64decode(payload, validate=True))
    except binascii.Error:
        return Malformed("media payload is not base64")


def connected_message() -> dict[str, Any]:
    """Twilio's first message on a stream (it carries no sequence number)."""
    return {"event": "connected", "protocol": "Call", "version": "1.0.0"}


def start_body(
    *,
    stream_sid: str,
    account_sid: str,
    call_sid: str,
    custom_parameters: dict[str, str],
) -> dict[str, Any]:
    """The ``start`` object of Twilio's ``start`` message for a bidirectional stream."""
    return {
        "streamSid": stream_sid,
        "accountSid": account_sid,
        "callSid": call_sid,
        "tracks": ["inbound"],
        "customParameters": dict(custom_parameters),
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
    }


def media_body(*, chunk: int, timestamp_ms: int, payload: bytes) -> dict[str, Any]:
    """The ``media`` object of an inbound (caller) audio frame."""
    return {
        "track": "inbound",
        "chunk": str(chunk),
        "timestamp": str(timestamp_ms),
        "payload": base64.b64encode(payload).decode("ascii"),
    }
