"""The public URL a carrier called (and signed): the same rule for every carrier."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def public_url(request: HttpRequest) -> str:
    """The URL the carrier signed: PUBLIC_URL when set (ngrok, a proxy), else the request's own."""
    base: str = settings.PUBLIC_URL
    if base:
        return base + request.get_full_path()
    return request.build_absolute_uri()


def shown_url(request: HttpRequest) -> str:
    """The URL the request itself shows, X-Forwarded-Proto/Host included whether trusted or not.

    Only for telling a wrong setup apart from a forgery: never checked against, since a client
    chooses these headers. Each part is cut short, as it goes into a log line.
    """
    meta = request.META
    scheme = str(meta.get("HTTP_X_FORWARDED_PROTO") or request.scheme or "http").split(",")[0].strip()[:16]
    host = str(meta.get("HTTP_X_FORWARDED_HOST") or meta.get("HTTP_HOST") or meta.get("SERVER_NAME") or "")
    return f"{scheme}://{host.split(',')[0].strip()[:128]}{request.get_full_path()[:256]}"


def websocket_url(request: HttpRequest, path: str) -> str:
    """`path` on the public host the carrier called, as ws:// or wss:// to match its scheme."""
    scheme, _, rest = public_url(request).partition("://")
    host = rest.split("/", 1)[0]
    return f"{'wss' if scheme == 'https' else 'ws'}://{host}{path}"
