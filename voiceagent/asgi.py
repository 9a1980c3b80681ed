"""ASGI entry point: `daphne voiceagent.asgi:application`."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceagent.settings")

# Django must be set up before anything imports models (Channels' documented order).
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from calls.routing import websocket_urlpatterns  # noqa: E402

# No AllowedHostsOriginValidator on purpose: Twilio connects server to server and may
# send no Origin header. The media route authenticates itself (signature + call token).
application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": URLRouter(websocket_urlpatterns),
    }
)
