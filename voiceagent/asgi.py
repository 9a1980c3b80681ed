"""ASGI entry point: `daphne voiceagent.asgi:application`."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceagent.settings")

# Django must be set up before anything imports models (Channels' documented order).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import re_path  # noqa: E402

from calls.routing import staff_websocket_urlpatterns, websocket_urlpatterns  # noqa: E402

# No AllowedHostsOriginValidator on the media route on purpose: Twilio connects server to
# server and may send no Origin header. The media route authenticates itself (signature +
# call token). Browser routes, mounted under ws/ (re_path matches a prefix), get the staff
# session and a same-origin check: another site's page can't open the feed with a logged-in
# staff member's cookie.
staff_websockets = AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(staff_websocket_urlpatterns)))
application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": URLRouter([*websocket_urlpatterns, re_path(r"^ws/", staff_websockets)]),
    }
)
