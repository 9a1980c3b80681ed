"""Twilio as a `Carrier`: what the webhooks, the media consumer and the runner use."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from calls.carriers.base import FinalStatus, InboundCall, Scope
from calls.carriers.public import public_url

from . import answer, signatures
from .control import TwilioControl
from .wire import TwilioWire


class TwilioCarrier:
    name = "twilio"
    label = "Twilio"
    answer_path = "twilio/voice/"  # "A call comes in" in the number's console page
    status_path = "twilio/status/"  # the status callback
    signature_header = "X-Twilio-Signature"

    def configured(self) -> bool:
        return bool(settings.TWILIO_AUTH_TOKEN)

    def webhook_is_signed(self, request: HttpRequest) -> bool:
        signature = request.headers.get(self.signature_header, "")
        return signatures.signature_is_valid(public_url(request), request.POST.dict(), signature)

    def webhook_is_signed_for(self, request: HttpRequest, url: str) -> bool:
        """Whether the request's signature would be valid had it been made for `url` (diagnostics)."""
        signature = request.headers.get(self.signature_header, "")
        return signatures.signature_is_valid(url, request.POST.dict(), signature)

    def stream_is_signed(self, scope: Scope) -> bool:
        return signatures.stream_signature_is_valid(scope)

    def inbound_call(self, request: HttpRequest) -> InboundCall | None:
        form = request.POST
        if not form.get("CallSid") or not form.get("To"):
            return None
        return InboundCall(form["CallSid"], form.get("From", ""), form["To"], form.get("Direction", "inbound"))

    def final_status(self, request: HttpRequest) -> FinalStatus:
        form = request.POST
        return FinalStatus(form.get("CallSid", ""), form.get("CallStatus", ""), form.get("CallDuration"))

    def stream_answer(self, stream_url: str) -> str:
        return answer.stream_answer(stream_url)

    def refusal(self, message: str) -> str:
        return answer.refusal(message)

    def wire(self) -> TwilioWire:
        return TwilioWire()

    def control(self) -> TwilioControl:
        return TwilioControl.from_settings()
