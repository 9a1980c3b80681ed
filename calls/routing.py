"""Websocket routes: each carrier's media stream (call id and stream token in the path: the handshake proves itself)
and the staff live page's feed, which voiceagent/asgi.py wraps in session auth and origin checks."""

from __future__ import annotations

from django.conf import settings
from django.urls import path

from .consumers import MediaStreamConsumer
from .live_consumer import StaffLiveConsumer


def media_stream_path(carrier: str, call_sid: str, token: str) -> str:
    return f"/{carrier}/media/{call_sid}/{token}/"


def _media_routes(carrier: str) -> list:
    consumer = MediaStreamConsumer.as_asgi()
    return [
        path(f"{carrier}/media/<str:call_sid>/<str:token>/", consumer, {"carrier": carrier}),
        # Without a token: refused by the consumer (and recorded), not a routing error in the log.
        path(f"{carrier}/media/<str:call_sid>/", consumer, {"carrier": carrier}),
    ]


websocket_urlpatterns = [route for name in settings.CARRIERS for route in _media_routes(name)]

# Browser routes, mounted under /ws/ behind the staff session and an Origin check (see asgi.py).
staff_websocket_urlpatterns = [
    path("live/", StaffLiveConsumer.as_asgi()),
]
