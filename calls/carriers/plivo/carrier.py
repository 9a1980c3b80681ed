"""Plivo as a `Carrier`: what the webhooks, the media consumer and the runner use."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.http import HttpRequest

from calls.carriers.base import ControlResult, FinalStatus, InboundCall, Scope
from calls.carriers.public import public_url

from . import answer, signatures
from .control import PlivoControl
from .wire import PlivoWire

TRANSFER_SALT = "calls.plivo-transfer"
TRANSFER_MAX_AGE_S = 300  # Plivo fetches the transfer's XML within moments of our request


def plivo_number(value: str) -> str:
    """Plivo sends numbers as digits without the `+` (14155550100): make them E.164-shaped."""
    value = value.strip()
    return f"+{value}" if value.isdigit() else value


class PlivoCarrier:
    name = "plivo"
    label = "Plivo"
    answer_path = "plivo/answer/"  # the application's Answer URL
    status_path = "plivo/hangup/"  # the application's Hangup URL
    signature_header = "X-Plivo-Signature-V3"

    def configured(self) -> bool:
        return bool(settings.PLIVO_AUTH_TOKEN)

    def webhook_is_signed(self, request: HttpRequest) -> bool:
        return self.webhook_is_signed_for(request, public_url(request))

    def webhook_is_signed_for(self, request: HttpRequest, url: str) -> bool:
        return signatures.webhook_signature_is_valid(
            method=request.method or "POST",
            url=url,
            params=request.POST.dict(),
            nonce=request.headers.get("X-Plivo-Signature-V3-Nonce", ""),
            signature=request.headers.get(self.signature_header, ""),
            auth_token=settings.PLIVO_AUTH_TOKEN,
        )

    def stream_is_signed(self, scope: Scope) -> bool:
        return signatures.stream_signature_is_valid(
            scope, public_url=settings.PUBLIC_URL, auth_token=settings.PLIVO_AUTH_TOKEN
        )

    def inbound_call(self, request: HttpRequest) -> InboundCall | None:
        form = request.POST
        if not form.get("CallUUID") or not form.get("To"):
            return None
        return InboundCall(
            form["CallUUID"],
            plivo_number(form.get("From", "")),
            plivo_number(form["To"]),
            form.get("Direction", "inbound"),
        )

    def final_status(self, request: HttpRequest) -> FinalStatus:
        form = request.POST
        duration = form.get("Duration") or form.get("BillDuration")
        return FinalStatus(form.get("CallUUID", ""), form.get("CallStatus", ""), duration)

    def stream_answer(self, stream_url: str) -> str:
        return answer.stream_answer(stream_url)

    def refusal(self, message: str) -> str:
        return answer.refusal(message)

    def wire(self) -> PlivoWire:
        return PlivoWire()

    def control(self) -> PlivoCallControl:
        return PlivoCallControl(PlivoControl.from_settings())


def transfer_token(number: str) -> str:
    return signing.dumps(number, salt=TRANSFER_SALT)


def transfer_number(token: str) -> str | None:
    """The number a transfer token was issued for, or None if it is forged or stale."""
    try:
        value = signing.loads(token, salt=TRANSFER_SALT, max_age=TRANSFER_MAX_AGE_S)
    except signing.BadSignature:
        return None
    return value if isinstance(value, str) else None


class PlivoCallControl:
    """`CallControl` for Plivo: a transfer points the caller's leg at our signed transfer URL,
    which answers the `<Dial>` (Plivo takes XML from a URL, not inline as Twilio does)."""

    def __init__(self, rest: PlivoControl) -> None:
        self._rest = rest

    @property
    def available(self) -> bool:
        return self._rest.available

    async def hang_up(self, call_id: str) -> ControlResult:
        return await self._rest.hang_up(call_id)

    async def transfer(self, call_id: str, number: str) -> ControlResult:
        if not settings.PUBLIC_URL:
            return ControlResult(False, "PUBLIC_URL is not set: Plivo fetches the transfer from a public URL")
        aleg_url = f"{settings.PUBLIC_URL}/plivo/transfer/{transfer_token(number)}/"
        return await self._rest.transfer(call_id, number, aleg_url=aleg_url)
