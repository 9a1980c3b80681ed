"""Twilio request signatures, checked against the URL Twilio actually called."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from twilio.request_validator import RequestValidator

logger = logging.getLogger(__name__)


def public_url(request: HttpRequest) -> str:
    """The URL Twilio signed: PUBLIC_URL when set (ngrok, a proxy), else the request's own."""
    if settings.PUBLIC_URL:
        return settings.PUBLIC_URL + request.get_full_path()
    return request.build_absolute_uri()


def signature_is_valid(url: str, params: dict[str, str], signature: str) -> bool:
    token = settings.TWILIO_AUTH_TOKEN
    return bool(token and signature) and RequestValidator(token).validate(url, params, signature)


def twilio_signature_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer 403, before the view runs, unless X-Twilio-Signature matches the request."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature_is_valid(public_url(request), request.POST.dict(), signature):
            logger.warning("rejected unsigned or forged request to %s", request.path)
            return HttpResponseForbidden("Invalid Twilio signature.")
        return view(request, *args, **kwargs)

    return wrapper


def stream_url(scope: dict) -> str:
    """The websocket URL Twilio opened (and signed), as the TwiML named it."""
    path = scope["path"] + (f"?{scope['query_string'].decode()}" if scope.get("query_string") else "")
    if settings.PUBLIC_URL:
        scheme, _, host = settings.PUBLIC_URL.partition("://")
        return f"{'wss' if scheme == 'https' else 'ws'}://{host}{path}"
    headers = dict(scope.get("headers", []))
    host = headers.get(b"host", b"").decode("latin-1")
    return f"{scope.get('scheme', 'ws')}://{host}{path}"


def stream_signature_is_valid(scope: dict) -> bool:
    """Check the handshake's X-Twilio-Signature: Twilio signs the stream URL with no parameters.

    Required: a handshake without one is refused before anything is opened for it.
    """
    signature = dict(scope.get("headers", [])).get(b"x-twilio-signature")
    if signature is None:
        return False
    url = stream_url(scope)
    https_url = "https" + url.removeprefix("wss") if url.startswith("wss") else "http" + url.removeprefix("ws")
    return any(signature_is_valid(candidate, {}, signature.decode("latin-1")) for candidate in (url, https_url))
