"""Websocket routes: Twilio's media stream (CallSid and stream token in the path: the handshake proves itself)
and the staff live page's feed, which voiceagent/asgi.py wraps in session auth and origin checks."""

from __future__ import annotations

from django.urls import path

from .consumers import MediaStreamConsumer
from .live_consumer import StaffLiveConsumer


def media_stream_path(call_sid: str, token: str) -> str:
    return f"/twilio/media/{call_sid}/{token}/"


websocket_urlpatterns = [
    path("twilio/media/<str:call_sid>/<str:token>/", MediaStreamConsumer.as_asgi()),
    # Without a token: refused by the consumer (and recorded), not a routing error in the log.
    path("twilio/media/<str:call_sid>/", MediaStreamConsumer.as_asgi()),
]

# Browser routes, mounted under /ws/ behind the staff session and an Origin check (see asgi.py).
staff_websocket_urlpatterns = [
    path("live/", StaffLiveConsumer.as_asgi()),
]
