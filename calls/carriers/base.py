"""What a carrier is to voiceagent: one package per carrier (Twilio, Plivo…) behind this interface.

The webhooks, the media consumer and the runner know carriers only through it, so a third
carrier is a new package plus one line in `registry.py`. The carrier's media format is the
sans-io `TelephonyWire` of `calls.bridge.wire`; everything here may use Django.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from django.http import HttpRequest

from calls.bridge.wire import TelephonyWire

Scope = Mapping[str, Any]  # an ASGI connection scope


@dataclass(frozen=True, slots=True)
class ControlResult:
    """What the carrier's REST API said. `detail` is its reason when it refused (no credentials in it)."""

    ok: bool
    detail: str = ""


@dataclass(frozen=True, slots=True)
class InboundCall:
    """A ringing call, as the carrier's answer webhook describes it (numbers as the carrier sent them)."""

    call_id: str
    from_number: str
    to_number: str
    direction: str = "inbound"


@dataclass(frozen=True, slots=True)
class FinalStatus:
    """The carrier's last word on a call (status callback, hangup URL)."""

    call_id: str
    status: str
    duration: str | None


@dataclass(frozen=True, slots=True)
class OutgoingCall:
    """An outbound call to ask the carrier for: numbers in E.164, our webhooks' public URLs."""

    to_number: str
    from_number: str
    answer_url: str  # fetched (signed) when the callee picks up: answers the stream XML
    status_url: str  # the final status (completed, busy, no-answer, failed…) and duration
    amd_url: str  # the answering-machine verdict, asynchronously, while the stream already runs


@dataclass(frozen=True, slots=True)
class PlacedCall:
    """The carrier's answer to placing a call: its call id, or its refusal and whether trying again can help."""

    ok: bool
    call_id: str = ""
    detail: str = ""
    retryable: bool = False


class CallControl(Protocol):
    """Call control over the carrier's REST API, its base URL a setting."""

    @property
    def available(self) -> bool: ...

    async def hang_up(self, call_id: str) -> ControlResult: ...

    async def transfer(self, call_id: str, number: str) -> ControlResult: ...

    def place_call(self, call: OutgoingCall) -> PlacedCall:
        """Start an outbound call (blocking: admin actions, commands and tasks call it); returns once
        the carrier has accepted or refused it."""
        ...


class Carrier(Protocol):
    """One carrier: its webhooks (answer and final status), its stream's handshake and wire, its REST."""

    name: str  # stored on PhoneNumber and Call; the prefix of its endpoints (`<name>/media/…`)
    label: str
    answer_path: str  # the answer webhook, e.g. "twilio/voice/"
    status_path: str  # the final-status webhook, e.g. "twilio/status/"
    signature_header: str

    def configured(self) -> bool:
        """Its auth token is set: without one its webhooks answer 503 and nothing is accepted unsigned."""
        ...

    def webhook_is_signed(self, request: HttpRequest) -> bool:
        """The request carries the carrier's valid signature for the public URL it was sent to."""
        ...

    def webhook_is_signed_for(self, request: HttpRequest, url: str) -> bool:
        """Whether its signature is valid for `url` instead (to say what a wrong PUBLIC_URL is)."""
        ...

    def stream_is_signed(self, scope: Scope) -> bool:
        """The media websocket's handshake carries the carrier's valid signature."""
        ...

    def inbound_call(self, request: HttpRequest) -> InboundCall | None:
        """The answer webhook's call, or None if the form lacks what routing needs."""
        ...

    def final_status(self, request: HttpRequest) -> FinalStatus: ...

    def stream_answer(self, stream_url: str) -> str:
        """The XML answer that opens a bidirectional µ-law stream to `stream_url`."""
        ...

    def refusal(self, message: str) -> str:
        """The XML answer that speaks `message` and hangs up."""
        ...

    def wire(self) -> TelephonyWire: ...

    def control(self) -> CallControl: ...
