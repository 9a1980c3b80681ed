"""Twilio's webhooks and the health check."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.twiml.voice_response import Connect, Stream, VoiceResponse

from . import services
from .models import CallStatus
from .routing import media_stream_path
from .tokens import issue_stream_token
from .twilio_auth import public_url, twilio_signature_required

logger = logging.getLogger(__name__)


def twilio_configured(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """503 while TWILIO_AUTH_TOKEN is unset: nothing could verify the request, so none is accepted
    (a deployment may run another carrier only; its Twilio webhooks then answer this)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not settings.TWILIO_AUTH_TOKEN:
            logger.error("Twilio webhook %s refused: TWILIO_AUTH_TOKEN is not set", request.path)
            return HttpResponse("Twilio is not configured here: set TWILIO_AUTH_TOKEN.", status=503)
        return view(request, *args, **kwargs)

    return wrapper


def _twiml(response: VoiceResponse) -> HttpResponse:
    return HttpResponse(str(response), content_type="text/xml")


def media_stream_url(request: HttpRequest, call_sid: str) -> str:
    """The websocket Twilio opens: same public host, ws(s) scheme, this call's one-time token."""
    base = public_url(request).split("/twilio/", 1)[0]
    scheme, _, host = base.partition("://")
    path = media_stream_path(call_sid, issue_stream_token(call_sid))
    return f"{'wss' if scheme == 'https' else 'ws'}://{host}{path}"


@csrf_exempt
@require_POST
@twilio_configured
@twilio_signature_required
def voice(request: HttpRequest) -> HttpResponse:
    """ "A call comes in": connect it to its agent over a media stream, or refuse it politely."""
    form = request.POST
    if not form.get("CallSid") or not form.get("To"):
        return HttpResponseBadRequest("CallSid and To are required.")
    call = services.call_receive(
        call_sid=form["CallSid"],
        from_number=form.get("From", ""),
        to_number=form["To"],
        direction=form.get("Direction", "inbound"),
    )
    response = VoiceResponse()
    if call.status != CallStatus.CONNECTING:
        response.say(services.refusal_message(call))
        response.hangup()
        return _twiml(response)
    stream = Stream(url=media_stream_url(request, call.call_sid))
    connect = Connect()
    connect.append(stream)
    response.append(connect)
    return _twiml(response)


@csrf_exempt
@require_POST
@twilio_configured
@twilio_signature_required
def status(request: HttpRequest) -> HttpResponse:
    """Status callback: the carrier's final word on the call."""
    services.carrier_status_record(
        call_sid=request.POST.get("CallSid", ""),
        status=request.POST.get("CallStatus", ""),
        duration=request.POST.get("CallDuration"),
    )
    return HttpResponse(status=204)
