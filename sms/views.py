"""Twilio's messaging webhooks: "A message comes in" and the messages' status callback.

Signed like every webhook (calls/views.py's `carrier_webhook`: 503 without a token, 403 without
a valid signature, nothing stored). The incoming message is answered with an empty
`<Response/>` at once: Twilio waits at most 15 s, and the reply goes out later by REST.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from twilio.twiml.messaging_response import MessagingResponse

from calls.carriers.base import Carrier
from calls.views import carrier_webhook

from . import services


@carrier_webhook
def incoming(request: HttpRequest, carrier: Carrier) -> HttpResponse:
    form = request.POST
    if not (form.get("MessageSid") and form.get("From") and form.get("To")):
        return HttpResponseBadRequest("MessageSid, From and To are required.")
    body = form.get("Body", "")
    media = form.get("NumMedia", "0")
    if media.isdigit() and int(media):  # MMS: the model reads text only; staff and the model are told
        body = f"{body}\n[{media} attachment(s), not shown]".strip()
    services.sms_receive(message_sid=form["MessageSid"][:64], from_number=form["From"], to_number=form["To"], body=body)
    return HttpResponse(str(MessagingResponse()), content_type="text/xml")


@carrier_webhook
def status(request: HttpRequest, carrier: Carrier) -> HttpResponse:
    form = request.POST
    services.sms_status_record(
        message_sid=form.get("MessageSid", ""),
        status=form.get("MessageStatus", ""),
        error_code=form.get("ErrorCode", ""),
    )
    return HttpResponse(status=204)
