"""The carriers' webhooks: one set of views, each carrier reached through its `Carrier`.

Every webhook is checked before it runs: 503 while the carrier has no auth token (nothing
could verify it), 403 without the carrier's valid signature for the public URL (nothing is
created). Routes come from the registry (voiceagent/urls.py).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import services
from .carriers.base import Carrier
from .carriers.plivo.answer import transfer_xml
from .carriers.plivo.carrier import transfer_number
from .carriers.public import public_url, shown_url, websocket_url
from .carriers.registry import carrier as carrier_named
from .models import CallStatus
from .routing import media_stream_path
from .tokens import issue_stream_token

logger = logging.getLogger(__name__)

CarrierView = Callable[..., HttpResponse]


def carrier_webhook(view: CarrierView) -> Callable[..., HttpResponse]:
    """POST only, no CSRF (the signature is the proof), then 503 / 403 before `view(request, carrier)`."""

    @csrf_exempt
    @require_POST
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, carrier: str, **kwargs) -> HttpResponse:
        chosen = carrier_named(carrier)
        if not chosen.configured():
            setting = settings.CARRIER_TOKEN_SETTINGS[chosen.name]
            logger.error("%s webhook %s refused: %s is not set", chosen.label, request.path, setting)
            return HttpResponse(f"{chosen.label} is not configured here: set {setting}.", status=503)
        if not chosen.webhook_is_signed(request):
            _warn_rejected(request, chosen)
            return HttpResponseForbidden(f"Invalid {chosen.label} signature.")
        return view(request, chosen, *args, **kwargs)

    return wrapper


def _warn_rejected(request: HttpRequest, carrier: Carrier) -> None:
    """One warning per rejection; a signed request to another URL than the one checked names both.

    A PUBLIC_URL that is not the URL typed into the carrier's console (or a proxy whose headers
    are not trusted) rejects every genuine request: the log must say so, not only "forged".
    Never the token or the signature.
    """
    checked, shown = public_url(request), shown_url(request)
    if not request.headers.get(carrier.signature_header) or shown == checked:
        logger.warning("rejected unsigned or forged request to %s", request.path)
        return
    valid = "it is valid for the latter" if carrier.webhook_is_signed_for(request, shown) else "valid for neither"
    logger.warning(
        "rejected a signed request: the signature was checked against %s but the request came to %s (%s). "
        "Set PUBLIC_URL to the public base typed into %s's console, or TRUST_PROXY_HEADERS=on behind a proxy.",
        checked,
        shown,
        valid,
        carrier.label,
    )


def _xml(body: str) -> HttpResponse:
    return HttpResponse(body, content_type="text/xml")


@carrier_webhook
def answer(request: HttpRequest, carrier: Carrier) -> HttpResponse:
    """A call comes in: connect it to its agent over a media stream, or refuse it politely."""
    inbound = carrier.inbound_call(request)
    if inbound is None:
        return HttpResponseBadRequest("The call's id and To are required.")
    call = services.call_receive(
        carrier=carrier.name,
        call_sid=inbound.call_id,
        from_number=inbound.from_number,
        to_number=inbound.to_number,
        direction=inbound.direction,
    )
    if call.status != CallStatus.CONNECTING:
        return _xml(carrier.refusal(services.refusal_message(call)))
    path = media_stream_path(carrier.name, call.call_sid, issue_stream_token(call.call_sid))
    return _xml(carrier.stream_answer(websocket_url(request, path)))


@carrier_webhook
def status(request: HttpRequest, carrier: Carrier) -> HttpResponse:
    """The carrier's final word on the call (status callback, hangup URL)."""
    final = carrier.final_status(request)
    services.carrier_status_record(call_sid=final.call_id, status=final.status, duration=final.duration)
    return HttpResponse(status=204)


@carrier_webhook
def plivo_transfer(request: HttpRequest, carrier: Carrier, token: str) -> HttpResponse:
    """Plivo fetches a transfer's XML from the URL we gave it: `<Dial>` the number the token names."""
    number = transfer_number(token)
    if number is None:
        return HttpResponseForbidden("Unknown or expired transfer.")
    return _xml(transfer_xml(number))
