"""Twilio Media Streams (bidirectional `<Connect><Stream>`), JSON text frames both ways."""

from __future__ import annotations

import json
from typing import Any

from calls.bridge.actions import CallerAction, ClearPlayback, PlaceMark, PlayAudio
from calls.bridge.events import (
    CallerAudio,
    DigitPressed,
    PlaybackMarked,
    StreamStarted,
    StreamStopped,
    TelephonyEvent,
)
from calls.bridge.frames import base64_size, json_frame


class TwilioWire:
    """Parse Twilio's events; write media, mark and clear messages."""

    name = "twilio"
    close_is_stop = False  # Twilio sends `stop`; a close without one is a dropped connection

    def parse(self, text: str) -> TelephonyEvent | None:
        return json_frame(text, self._event)

    def _event(self, message: dict[str, Any]) -> TelephonyEvent | None:
        match message.get("event"):
            case "media":
                payload = message["media"]["payload"]
                return CallerAudio(payload, base64_size(payload), str(message.get("streamSid", "")))
            case "mark":
                return PlaybackMarked(str(message["mark"]["name"]))
            case "start":
                start = message["start"]
                return StreamStarted(
                    stream_id=str(start.get("streamSid") or message["streamSid"]), call_id=str(start["callSid"])
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
