"""Plivo audio streams (bidirectional `<Stream>`), JSON text frames both ways.

Plivo's messages map one to one onto Twilio's: `playAudio` for `media`, `checkpoint` and its
`playedStream` answer for `mark`, `clearAudio` for `clear`. Two differences matter to the core:
Plivo answers a `checkpoint` only once the audio before it has *played* (a clear drops the
pending ones instead of echoing them), and its documentation lists no `stop`: the socket just
closes. A `stop`, if one comes, ends the stream as Twilio's does.
"""

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


class PlivoWire:
    """Parse Plivo's stream events; write playAudio, checkpoint and clearAudio messages."""

    name = "plivo"
    close_is_stop = True  # Plivo sends no `stop`: the socket closes when the call ends

    def parse(self, text: str) -> TelephonyEvent | None:
        return json_frame(text, self._event)

    def _event(self, message: dict[str, Any]) -> TelephonyEvent | None:
        match message.get("event"):
            case "media":
                return self._media(message)
            case "playedStream" | "played":  # Plivo's support pages still call it "played"
                return PlaybackMarked(str(message["name"]))
            case "start":
                start = message["start"]
                return StreamStarted(
                    stream_id=str(start.get("streamId") or message["streamId"]), call_id=str(start["callId"])
                )
            case "dtmf":
                # Documented as `dtmf {track, digit, timestamp}`; some streams put `digit` at the top.
                body = message.get("dtmf", message)
                return DigitPressed(str(body["digit"])[:1])
            case "stop":
                return StreamStopped()
        return None  # "clearedAudio" (the core forgot its queue when it cleared) and anything newer

    def _media(self, message: dict[str, Any]) -> CallerAudio | None:
        media = message["media"]
        if media.get("track", "inbound") != "inbound":
            return None  # only the caller's side is the caller's audio
        payload = media["payload"]
        return CallerAudio(payload, base64_size(payload), str(message.get("streamId", "")))

    def encode(self, action: CallerAction, stream_id: str) -> str:
        sid = json.dumps(stream_id)
        match action:
            case PlayAudio(payload=payload):
                # base64 needs no JSON escaping: splice it in rather than re-encode it.
                return (
                    '{"event":"playAudio","media":{"contentType":"audio/x-mulaw","sampleRate":8000,'
                    f'"payload":"{payload}"}}}}'
                )
            case PlaceMark(name=name):
                return f'{{"event":"checkpoint","streamId":{sid},"name":{json.dumps(name)}}}'
            case ClearPlayback():
                return f'{{"event":"clearAudio","streamId":{sid}}}'
        raise TypeError(f"Plivo cannot carry {type(action).__name__}")
