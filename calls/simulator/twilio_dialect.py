"""Twilio's dialect: the voice webhook, TwiML, and Media Streams messages (webhook.py, wire.py)."""

from __future__ import annotations

import secrets

from calls.simulator.dialect import CallInfo, Message, StreamContext, WebhookRequest
from calls.simulator.webhook import TWILIO_USER_AGENT, Refusal, StreamInstruction, parse_twiml, sign
from calls.simulator.wire import (
    ServerMessage,
    connected_message,
    media_body,
    parse_server_message,
    start_body,
)

SIMULATED_ACCOUNT_SID = "ACsimulated" + "0" * 23  # 34 characters, like a real one
VOICE_WEBHOOK_PATH = "/twilio/voice/"


class TwilioDialect:
    """Twilio places the call; ``connected`` then numbered messages; ``stop`` at the end."""

    name = "twilio"
    label = "Twilio"
    call_id_name = "CallSid"
    default_to_number = "+15005550006"
    default_account_id = SIMULATED_ACCOUNT_SID
    stream_user_agent: str | None = "Twilio.TmeWs/1.0"
    echoes_marks_on_clear = True

    def new_call_id(self) -> str:
        return "CA" + secrets.token_hex(16)

    def new_stream_id(self) -> str:
        return "MZ" + secrets.token_hex(16)

    def answer_request(self, base_url: str, call: CallInfo, auth_token: str) -> WebhookRequest:
        url = base_url.rstrip("/") + VOICE_WEBHOOK_PATH
        params = {
            "CallSid": call.call_id,
            "AccountSid": call.account_id,
            "From": call.from_number,
            "To": call.to_number,
            "Caller": call.from_number,
            "Called": call.to_number,
            "CallStatus": "ringing",
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
        }
        headers = {"X-Twilio-Signature": sign(auth_token, url, params), "User-Agent": TWILIO_USER_AGENT}
        return WebhookRequest(url, params, headers)

    def parse_answer(self, body: str) -> StreamInstruction | Refusal:
        return parse_twiml(body)

    def handshake_headers(self, url: str, auth_token: str) -> dict[str, str]:
        # Twilio signs the handshake over the stream URL with no params.
        return {"X-Twilio-Signature": sign(auth_token, url, {})}

    def preamble(self, stream: StreamContext) -> list[Message]:
        return [connected_message()]

    def start_message(self, seq: int, stream: StreamContext) -> Message:
        start = start_body(
            stream_sid=stream.stream_id,
            account_sid=stream.account_id,
            call_sid=stream.call_id,
            custom_parameters=dict(stream.parameters),
        )
        return _numbered("start", seq, stream, {"start": start})

    def media_message(
        self, seq: int, stream: StreamContext, *, chunk: int, timestamp_ms: int, payload: bytes
    ) -> Message:
        media = media_body(chunk=chunk, timestamp_ms=timestamp_ms, payload=payload)
        return _numbered("media", seq, stream, {"media": media})

    def dtmf_message(self, seq: int, stream: StreamContext, *, digit: str, timestamp_ms: int) -> Message:
        return _numbered("dtmf", seq, stream, {"dtmf": {"track": "inbound_track", "digit": digit}})

    def mark_played_message(self, seq: int, stream: StreamContext, *, name: str) -> Message:
        return _numbered("mark", seq, stream, {"mark": {"name": name}})

    def cleared_message(self, seq: int, stream: StreamContext) -> Message | None:
        return None  # the echoed marks are Twilio's only answer to a clear

    def stop_message(self, seq: int, stream: StreamContext) -> Message | None:
        stop = {"accountSid": stream.account_id, "callSid": stream.call_id}
        return _numbered("stop", seq, stream, {"stop": stop})

    def parse_server_message(self, raw: str | bytes, stream: StreamContext) -> ServerMessage:
        return parse_server_message(raw, stream.stream_id)

    def hangup_request(
        self, base_url: str, call: CallInfo, auth_token: str, *, duration_s: int
    ) -> WebhookRequest | None:
        return None  # status callbacks are not simulated for Twilio


def _numbered(event: str, seq: int, stream: StreamContext, body: Message) -> Message:
    return {"event": event, "sequenceNumber": str(seq), **body, "streamSid": stream.stream_id}
