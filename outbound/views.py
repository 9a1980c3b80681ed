"""The carrier's webhooks for outbound calls: the answer URL of an attempt, and the answering-machine verdict.

Both go through `calls.views.carrier_webhook` (503 without the carrier's token, 403 without its
signature: nothing changed). The final status comes to the carrier's usual status webhook.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden

from calls import services as call_services
from calls.carriers.base import Carrier
from calls.carriers.public import websocket_url
from calls.routing import media_stream_path
from calls.tokens import issue_stream_token
from calls.views import carrier_webhook

from . import services


@carrier_webhook
def answer(request: HttpRequest, carrier: Carrier, token: str) -> HttpResponse:
    """The callee picked up: open the media stream to the agent (a stream token made now, for this CallSid)."""
    call_sid = request.POST.get("CallSid", "")
    if not call_sid:
        return HttpResponseBadRequest("CallSid is required.")
    call = services.attempt_answered(token=token, call_sid=call_sid)
    if call is None:
        return HttpResponseForbidden("Unknown, expired or already answered outbound call.")
    path = media_stream_path(carrier.name, call.call_sid, issue_stream_token(call.call_sid))
    return HttpResponse(carrier.stream_answer(websocket_url(request, path)), content_type="text/xml")


@carrier_webhook
def amd(request: HttpRequest, carrier: Carrier) -> HttpResponse:
    """Asynchronous answering-machine detection: `AnsweredBy` for a call whose stream already runs."""
    call_sid, answered_by = request.POST.get("CallSid", ""), request.POST.get("AnsweredBy", "")
    if not call_sid or not answered_by:
        return HttpResponseBadRequest("CallSid and AnsweredBy are required.")
    if not call_services.call_answered_by(call_sid=call_sid, answered_by=answered_by):
        return HttpResponse(status=404)
    return HttpResponse(status=204)
