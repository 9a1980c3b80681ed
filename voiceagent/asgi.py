"""ASGI entry point: `daphne voiceagent.asgi:application`."""

from __future__ import annotations

import gc
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceagent.settings")

# Django must be set up before anything imports models (Channels' documented order).
django.setup(set_prefix=False)

from django.conf import settings  # noqa: E402

from voiceagent.request_threads import RequestThreads, ReusedThreadsASGIHandler  # noqa: E402

# Each request's sync code on a thread kept between requests, with its database connection,
# instead of a new thread (and connection) per request (voiceagent/request_threads.py).
request_threads = RequestThreads(settings.REQUEST_THREADS)
request_threads.start()
django_asgi_app = ReusedThreadsASGIHandler(request_threads)

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import re_path  # noqa: E402

from calls.routing import staff_websocket_urlpatterns, websocket_urlpatterns  # noqa: E402
from calls.warm import warm_up  # noqa: E402
from mcp_server.http import McpMount  # noqa: E402
from voiceagent.autobahn_tuning import skip_debug_formatting  # noqa: E402

skip_debug_formatting()
warm_up()  # before any call, not on a post-call thread while calls are live

# No AllowedHostsOriginValidator on the media route on purpose: Twilio connects server to
# server and may send no Origin header. The media route authenticates itself (signature +
# call token). Browser routes, mounted under ws/ (re_path matches a prefix), get the staff
# session and a same-origin check: another site's page can't open the feed with a logged-in
# staff member's cookie.
staff_websockets = AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(staff_websocket_urlpatterns)))
# /mcp/ is the SDK's streamable HTTP app (bearer tokens, its own Host/Origin checks); the
# mount starts the SDK's session manager itself, since daphne sends no ASGI lifespan.
application = ProtocolTypeRouter(
    {
        "http": McpMount(django_asgi_app),
        "websocket": URLRouter([*websocket_urlpatterns, re_path(r"^ws/", staff_websockets)]),
    }
)

# What is loaded by now lives as long as the process. Left to the collector, every full
# collection walked all of it (about 180,000 objects, 100 ms with the GIL held): a stall in
# every live call's audio, which bench/run.py showed. Objects made from here on are collected
# as usual.
gc.freeze()
