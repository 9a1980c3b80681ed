"""Twilio Media Streams (bidirectional `<Connect><Stream>`), JSON text frames both ways."""

from __future__ import annotations

import binascii
import json
from typing import Any

import orjson

from .actions import CallerAction, ClearPlayback, PlaceMark, PlayAudio
from .events import (
    CallerAudio,
    DigitPressed,
    PlaybackMarked,
    ProtocolError,
    StreamStarted,
    StreamStopped,
    TelephonyEvent,
)

MAX_FRAME_CHARS = 64 * 1024
MAX_MEDIA_BYTES = 8000  # one second of µ-law; Twilio sends 160 bytes (20 ms) a frame


def _base64_size(payload: str) -> int:
    """Validate base64 and return the decoded size; the payload itself is forwarded untouched."""
    try:
        return len(binascii.a2b_base64(payload, strict_mode=True))
    except (binascii.Error, ValueError) as exc:
        raise ProtocolError("media payload is not valid base64") from exc


class TwilioWire:
    """Parse Twilio's events; write media, mark and clear messages."""

    name = "twilio"

    def parse(self, text: str) -> TelephonyEvent | None:
        if len(text) > MAX_FRAME_CHARS:
            raise ProtocolError(f"frame of {len(text)} characters is too large")
        try:
            message = orjson.loads(text)
        except ValueError as exc:
            raise ProtocolError("frame is not JSON") from exc
        if not isinstance(message, dict):
            raise ProtocolError("frame is not a JSON object")
        try:
            return self._event(message)
        except (KeyError, TypeError, AttributeError) as exc:
            raise ProtocolError(f"{message.get('event')!s:.20} frame is missing {exc!s:.40}") from exc

    def _event(self, message: dict[str, Any]) -> TelephonyEvent | None:
        match message.get("event"):
            case "media":
                payload = message["media"]["payload"]
                if not isinstance(payload, str):
                    raise ProtocolError("media payload is not a string")
                size = _base64_size(payload)
                if size > MAX_MEDIA_BYTES:
                    raise ProtocolError("media frame is larger than one second of audio")
                return CallerAudio(payload, size, str(message.get("streamSid", "")))
            case "mark":
                return PlaybackMarked(str(message["mark"]["name"]))
            case "start":
                start = message["start"]
                parameters = start.get("customParameters") or {}
                if not isinstance(parameters, dict):
                    raise ProtocolError("customParameters is not an object")
                return StreamStarted(
                    stream_id=str(start.get("streamSid") or message["streamSid"]),
                    call_id=str(start["callSid"]),
                    parameters={str(k): str(v) for k, v in parameters.items()},
                )
            case "dtmf":
                return DigitPressed(str(message["dtmf"]["digit"])[:1])
            case "stop":
                return StreamStopped()
        return None  # "connected" and anything newer we don't act on

    def encode(self, action: CallerAction, stream_id: str) -> str:
        sid = json.dumps(stream_id)
        match action:
            case PlayAudio(payload=payload):
                # base64 needs no JSON escaping: splice it in rather than re-encode it.
                return f'{{"event":"media","streamSid":{sid},"media":{{"payload":"{payload}"}}}}'
            case PlaceMark(name=name):
                return f'{{"event":"mark","streamSid":{sid},"mark":{{"name":{json.dumps(name)}}}}}'
            case ClearPlayback():
                return f'{{"event":"clear","streamSid":{sid}}}'
        raise TypeError(f"Twilio cannot carry {type(action).__name__}")
