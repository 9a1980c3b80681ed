"""What differs between carriers, as the simulated carrier speaks it: one :class:`Dialect` each.

The call (:mod:`calls.simulator.carrier`) and its stream (:mod:`calls.simulator.stream`) are
the same for every carrier: a signed answer webhook, a paced bidirectional stream of 20 ms
µ-law frames, audio played at real time, marks answered once played. A dialect supplies the
rest: the webhooks' paths, forms and signatures, how the answer XML is read, the handshake's
signature, every message's JSON, how the server's messages map onto the simulator's
:data:`~calls.simulator.wire.ServerMessage` events, and how the call ends. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from calls.simulator.webhook import Refusal, StreamInstruction
from calls.simulator.wire import ServerMessage

Message = dict[str, Any]


@dataclass(frozen=True)
class CallInfo:
    """The call as the carrier knows it. Numbers are E.164; a dialect writes them its own way."""

    call_id: str
    account_id: str
    from_number: str
    to_number: str


@dataclass(frozen=True)
class StreamContext:
    """One stream's identity, for the messages that carry it."""

    stream_id: str
    call_id: str
    account_id: str
    parameters: Mapping[str, str] = field(default_factory=dict)  # <Parameter>s, extraHeaders


@dataclass(frozen=True)
class WebhookRequest:
    """A signed form POST the carrier makes to the server."""

    url: str
    params: dict[str, str]
    headers: dict[str, str]


class Dialect(Protocol):
    """One carrier's side of a call. Message builders get the message's sequence number."""

    name: str  # the carrier's name in voiceagent: "twilio", "plivo"
    label: str  # for log lines
    call_id_name: str  # what the carrier calls its call id: "CallSid", "CallUUID"
    default_to_number: str  # the demo number seed_demo creates for this carrier
    default_account_id: str
    stream_user_agent: str | None  # None: the websockets library's own
    echoes_marks_on_clear: bool  # Twilio echoes pending marks on a clear; Plivo drops them

    def new_call_id(self) -> str: ...

    def new_stream_id(self) -> str: ...

    def answer_request(self, base_url: str, call: CallInfo, auth_token: str) -> WebhookRequest:
        """The "a call comes in" webhook, signed with ``auth_token``."""

    def parse_answer(self, body: str) -> StreamInstruction | Refusal:
        """What the carrier does with the server's answer XML."""

    def handshake_headers(self, url: str, auth_token: str) -> dict[str, str]:
        """The signature headers of the stream's websocket handshake."""

    def preamble(self, stream: StreamContext) -> list[Message]:
        """Unnumbered messages sent before ``start``."""

    def start_message(self, seq: int, stream: StreamContext) -> Message: ...

    def media_message(
        self, seq: int, stream: StreamContext, *, chunk: int, timestamp_ms: int, payload: bytes
    ) -> Message:
        """One inbound (caller) frame; ``chunk`` counts from 1, ``timestamp_ms`` from ``start``."""

    def dtmf_message(self, seq: int, stream: StreamContext, *, digit: str, timestamp_ms: int) -> Message: ...

    def mark_played_message(self, seq: int, stream: StreamContext, *, name: str) -> Message:
        """The answer to a mark (checkpoint) whose audio has been played."""

    def cleared_message(self, seq: int, stream: StreamContext) -> Message | None:
        """The acknowledgement of a clear, or ``None`` when the carrier sends none."""

    def stop_message(self, seq: int, stream: StreamContext) -> Message | None:
        """What the carrier sends when the caller hangs up, or ``None``: it just closes the socket."""

    def parse_server_message(self, raw: str | bytes, stream: StreamContext) -> ServerMessage: ...

    def hangup_request(
        self, base_url: str, call: CallInfo, auth_token: str, *, duration_s: int
    ) -> WebhookRequest | None:
        """The webhook posted once the call has ended, or ``None`` when the carrier posts none."""
