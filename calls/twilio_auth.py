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


def shown_url(request: HttpRequest) -> str:
    """The URL the request itself shows, X-Forwarded-Proto/Host included whether trusted or not.

    Only for telling a wrong setup apart from a forgery: never checked against, since a client
    chooses these headers. Each part is cut short, as it goes into a log line.
    """
    meta = request.META
    scheme = meta.get("HTTP_X_FORWARDED_PROTO", request.scheme).split(",")[0].strip()[:16]
    host = meta.get("HTTP_X_FORWARDED_HOST") or meta.get("HTTP_HOST") or meta.get("SERVER_NAME", "")
    return f"{scheme}://{host.split(',')[0].strip()[:128]}{request.get_full_path()[:256]}"


def twilio_signature_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer 403, before the view runs, unless X-Twilio-Signature matches the request."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        signature = request.headers.get("X-Twilio-Signature", "")
        checked, params = public_url(request), request.POST.dict()
        if not signature_is_valid(checked, params, signature):
            _warn_rejected(request, checked, params, signature)
            return HttpResponseForbidden("Invalid Twilio signature.")
        return view(request, *args, **kwargs)

    return wrapper


def _warn_rejected(request: HttpRequest, checked: str, params: dict[str, str], signature: str) -> None:
    """One warning per rejection; a signed request to another URL than the one checked names both.

    A PUBLIC_URL that is not the URL typed into Twilio's console (or a proxy whose headers are
    not trusted) rejects every genuine request: the log must say so, not only "forged".
    """
    shown = shown_url(request)
    if not signature or shown == checked:
        logger.warning("rejected unsigned or forged request to %s", request.path)
        return
    verdict = "it is valid for the latter" if signature_is_valid(shown, params, signature) else "valid for neither"
    logger.warning(
        "rejected a signed request: the signature was checked against %s but the request came to %s (%s). "
        "Set PUBLIC_URL to the public base typed into Twilio's console, or TRUST_PROXY_HEADERS=on behind a proxy.",
        checked,
        shown,
        verdict,
    )


def stream_urls(scope: dict) -> list[str]:
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


def stream_signature_is_valid(scope: dict) -> bool:
    """Check the handshake's X-Twilio-Signature: Twilio signs the stream URL with no parameters.

    Required: a handshake without one is refused before anything is opened for it.
    """
    signature = dict(scope.get("headers", [])).get(b"x-twilio-signature")
    if signature is None:
        return False
    return any(signature_is_valid(url, {}, signature.decode("latin-1")) for url in stream_urls(scope))
