"""Twilio request signatures, checked against the URL Twilio actually called."""

from __future__ import annotations

from django.conf import settings
from twilio.request_validator import RequestValidator

from calls.carriers.base import Scope


def signature_is_valid(url: str, params: dict[str, str], signature: str) -> bool:
    token: str = settings.TWILIO_AUTH_TOKEN
    return bool(token and signature) and bool(RequestValidator(token).validate(url, params, signature))


def stream_urls(scope: Scope) -> list[str]:
    """The websocket URLs Twilio may have opened (and signed), as the TwiML named them.

    With PUBLIC_URL, exactly its host and scheme. Without it, the Host header with both
    schemes: a websocket scope does not say whether TLS was used (daphne's own TLS, or a
    proxy in front), and the stream's one-time token, not the scheme, is what proves the call.
    Twilio's signatures over the https form are accepted as well.
    """
    path = scope["path"] + (f"?{scope['query_string'].decode()}" if scope.get("query_string") else "")
    if settings.PUBLIC_URL:
        scheme, _, host = settings.PUBLIC_URL.partition("://")
        urls = [f"{'wss' if scheme == 'https' else 'ws'}://{host}{path}"]
    else:
        host = dict(scope.get("headers", [])).get(b"host", b"").decode("latin-1")
        urls = [f"wss://{host}{path}", f"ws://{host}{path}"]
    return urls + [
        "https" + url.removeprefix("wss") if url.startswith("wss") else "http" + url.removeprefix("ws") for url in urls
    ]


def stream_signature_is_valid(scope: Scope) -> bool:
    """Check the handshake's X-Twilio-Signature: Twilio signs the stream URL with no parameters.

    Required: a handshake without one is refused before anything is opened for it.
    """
    signature = dict(scope.get("headers", [])).get(b"x-twilio-signature")
    if signature is None:
        return False
    return any(signature_is_valid(url, {}, signature.decode("latin-1")) for url in stream_urls(scope))
