"""Helpers for media-consumer tests: a fake model behind the bridge, Twilio's side of the socket."""

from __future__ import annotations

import base64
import json

from channels.testing import WebsocketCommunicator
from django.conf import settings
from twilio.request_validator import RequestValidator

from calls.models import Call
from calls.routing import media_stream_path
from calls.tokens import issue_stream_token
from voiceagent.asgi import application

FRAME = base64.b64encode(bytes(range(160))).decode()


def start_message(call_sid: str, stream_sid: str = "MZ1") -> str:
    start = {"streamSid": stream_sid, "callSid": call_sid, "customParameters": {}}
    return json.dumps({"event": "start", "sequenceNumber": "1", "streamSid": stream_sid, "start": start})


def media(payload: str = FRAME, stream_sid: str = "MZ1") -> str:
    return json.dumps({"event": "media", "streamSid": stream_sid, "media": {"payload": payload}})


def signed_handshake(path: str, *, signature: str | None = None) -> WebsocketCommunicator:
    """A handshake as Twilio makes it: signed over the ws URL with no parameters, no Origin."""
    if signature is None:
        signature = RequestValidator(settings.TWILIO_AUTH_TOKEN).compute_signature(f"ws://testserver{path}", {})
    headers = [(b"host", b"testserver"), (b"x-twilio-signature", signature.encode())]
    return WebsocketCommunicator(application, path, headers=headers)


async def open_stream(call: Call, token: str | None = None) -> WebsocketCommunicator:
    path = media_stream_path("twilio", call.call_sid, token or issue_stream_token(call.call_sid))
    communicator = signed_handshake(path)
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_to(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
    return communicator


async def closed(communicator: WebsocketCommunicator) -> bool:
    """Read what the bridge still sends until it closes the socket."""
    while (output := await communicator.receive_output(5))["type"] == "websocket.send":
        pass
    return output["type"] == "websocket.close"


async def refresh(call: Call) -> Call:
    return await Call.objects.select_related(None).aget(pk=call.pk)
