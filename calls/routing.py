"""The media-stream websocket route; the CallSid in the path lets the bridge start early."""

from __future__ import annotations

from django.urls import path

from .consumers import MediaStreamConsumer


def media_stream_path(call_sid: str) -> str:
    return f"/twilio/media/{call_sid}/"


websocket_urlpatterns = [
    path("twilio/media/<str:call_sid>/", MediaStreamConsumer.as_asgi()),
]
