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
