"""Plivo's dialect: the answer and hangup webhooks (X-Plivo-Signature-V3), Plivo XML, audio streams.

Plivo posts the answer URL with ``CallUUID`` and numbers without a leading ``+``, reads the
``<Stream>`` element (its text is the URL), and signs the websocket handshake too, as a GET of
the stream URL's http(s) form. On the stream: ``start`` (no ``connected`` before it), ``media``
with integer sequence numbers and chunks, ``dtmf``; it answers ``checkpoint`` with
``playedStream`` once the audio before it has played and ``clearAudio`` with ``clearedAudio``,
dropping the pending checkpoints unanswered. It sends no ``stop``: the socket closes, then the
hangup URL is posted. Signatures are computed with the plivo SDK's own functions.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Mapping
from typing import Any

from plivo.utils.signature_v3 import construct_get_url, construct_post_url, get_signature_v3

from calls.simulator.dialect import CallInfo, Message, StreamContext, WebhookRequest
from calls.simulator.webhook import Refusal, StreamInstruction, read_response, spoken_refusal
from calls.simulator.wire import Clear, Malformed, Mark, ServerMessage, decode_media, load_object, media_body

ANSWER_PATH = "/plivo/answer/"
HANGUP_PATH = "/plivo/hangup/"
SIMULATED_AUTH_ID = "MASIMULATED" + "0" * 9  # 20 characters, like a real auth id
# What the call needs of <Stream> (a one-way or L16 stream, or one that does not hold the call, fails).
STREAM_NEEDS = {"bidirectional": "true", "keepCallAlive": "true", "contentType": "audio/x-mulaw;rate=8000"}


def plivo_sign(auth_token: str, method: str, url: str, params: Mapping[str, str], nonce: str) -> str:
    """``X-Plivo-Signature-V3`` as Plivo computes it: HMAC-SHA256 over the URL, params and nonce."""
    base = construct_get_url(url, dict(params)) if method == "GET" else construct_post_url(url, dict(params))
    return get_signature_v3(auth_token.encode(), base.decode(), nonce.encode()).decode()


def new_nonce() -> str:
    """A one-time ``X-Plivo-Signature-V3-Nonce``: 20 random digits, as Plivo sends."""
    return f"{secrets.randbelow(10**20):020d}"


def signed_headers(auth_token: str, method: str, url: str, params: Mapping[str, str]) -> dict[str, str]:
    nonce = new_nonce()
    signature = plivo_sign(auth_token, method, url, params, nonce)
    return {"X-Plivo-Signature-V3": signature, "X-Plivo-Signature-V3-Nonce": nonce}


def http_form(ws_url: str) -> str:
    """The URL Plivo signs a stream handshake over: wss:// as https://, ws:// as http://."""
    scheme, sep, rest = ws_url.partition("://")
    return {"wss": "https", "ws": "http"}.get(scheme, scheme) + sep + rest


def parse_plivo_xml(body: str) -> StreamInstruction | Refusal:
    """Read the answer XML the way Plivo acts on it for our purposes."""
    root = read_response(body, "answer XML")
    if isinstance(root, Refusal):
        return root
    stream = root.find("Stream")
    if stream is not None and (stream.text or "").strip():
        errors = tuple(
            f'<Stream {name}="{stream.get(name, "")}">: the call needs {name}="{wanted}"'
            for name, wanted in STREAM_NEEDS.items()
            if stream.get(name, "").lower() != wanted.lower()
        )
        headers = stream.get("extraHeaders", "")
        pairs = (pair.partition("=") for pair in headers.split(",") if pair.strip())
        parameters = {key.strip(): value.strip() for key, _, value in pairs}
        return StreamInstruction(url=(stream.text or "").strip(), custom_parameters=parameters, errors=errors)
    return spoken_refusal(root, "Speak") or Refusal(
        say_text=None, error="answer XML has neither <Stream>URL</Stream> nor <Speak>"
    )


def parse_plivo_server_message(raw: str | bytes, stream_id: str) -> ServerMessage:
    """Parse one websocket message from the server to Plivo (``playAudio``, ``checkpoint``, ``clearAudio``)."""
    message = load_object(raw)
    if isinstance(message, Malformed):
        return message
    event = message.get("event")
    if event == "playAudio":
        media = message.get("media")
        media = media if isinstance(media, dict) else {}
        encoding = (media.get("contentType"), media.get("sampleRate"))
        if encoding != ("audio/x-mulaw", 8000):
            return Malformed(f"playAudio as {encoding!r}, not ('audio/x-mulaw', 8000)")
        return decode_media(media.get("payload"))
    if event not in ("checkpoint", "clearAudio"):
        return Malformed(f"unknown event {event!r}")
    if message.get("streamId") != stream_id:
        return Malformed(f"{event} with streamId {message.get('streamId')!r}")
    if event == "clearAudio":
        return Clear()
    name = message.get("name")
    return Mark(name) if isinstance(name, str) else Malformed("checkpoint without a name")


class PlivoDialect:
    """Plivo places the call; numbered messages from ``start``; the hangup URL at the end."""

    name = "plivo"
    label = "Plivo"
    call_id_name = "CallUUID"
    default_to_number = "+15005550009"
    default_account_id = SIMULATED_AUTH_ID
    stream_user_agent: str | None = None
    echoes_marks_on_clear = False

    def new_call_id(self) -> str:
        return str(uuid.uuid4())

    def new_stream_id(self) -> str:
        return str(uuid.uuid4())

    def answer_request(self, base_url: str, call: CallInfo, auth_token: str) -> WebhookRequest:
        url = base_url.rstrip("/") + ANSWER_PATH
        params = {
            **_parties(call),
            "CallStatus": "ringing",
            "Event": "StartApp",
        }
        return WebhookRequest(url, params, signed_headers(auth_token, "POST", url, params))

    def parse_answer(self, body: str) -> StreamInstruction | Refusal:
        return parse_plivo_xml(body)

    def handshake_headers(self, url: str, auth_token: str) -> dict[str, str]:
        return signed_headers(auth_token, "GET", http_form(url), {})

    def preamble(self, stream: StreamContext) -> list[Message]:
        return []

    def start_message(self, seq: int, stream: StreamContext) -> Message:
        start = {
            "callId": stream.call_id,
            "streamId": stream.stream_id,
            "accountId": stream.account_id,
            "tracks": ["inbound"],
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000},
        }
        return {"event": "start", "sequenceNumber": seq, "start": start, "extra_headers": _headers(stream)}

    def media_message(
        self, seq: int, stream: StreamContext, *, chunk: int, timestamp_ms: int, payload: bytes
    ) -> Message:
        media: dict[str, Any] = media_body(chunk=chunk, timestamp_ms=timestamp_ms, payload=payload)
        media["chunk"] = chunk  # a number on Plivo, a string on Twilio
        return _on_stream("media", seq, stream, {"media": media, "extra_headers": _headers(stream)})

    def dtmf_message(self, seq: int, stream: StreamContext, *, digit: str, timestamp_ms: int) -> Message:
        dtmf = {"track": "inbound", "digit": digit, "timestamp": str(timestamp_ms)}
        return _on_stream("dtmf", seq, stream, {"dtmf": dtmf, "extra_headers": _headers(stream)})

    def mark_played_message(self, seq: int, stream: StreamContext, *, name: str) -> Message:
        return _on_stream("playedStream", seq, stream, {"name": name})

    def cleared_message(self, seq: int, stream: StreamContext) -> Message | None:
        return _on_stream("clearedAudio", seq, stream, {})

    def stop_message(self, seq: int, stream: StreamContext) -> Message | None:
        return None  # Plivo documents no stop: the socket just closes

    def parse_server_message(self, raw: str | bytes, stream: StreamContext) -> ServerMessage:
        return parse_plivo_server_message(raw, stream.stream_id)

    def hangup_request(
        self, base_url: str, call: CallInfo, auth_token: str, *, duration_s: int
    ) -> WebhookRequest | None:
        url = base_url.rstrip("/") + HANGUP_PATH
        params = {
            **_parties(call),
            "CallStatus": "completed",
            "Duration": str(duration_s),
            "BillDuration": str(duration_s),
            "HangupCause": "NORMAL_CLEARING",
            "Event": "Hangup",
        }
        return WebhookRequest(url, params, signed_headers(auth_token, "POST", url, params))


def _parties(call: CallInfo) -> dict[str, str]:
    # Plivo writes numbers as digits, without the leading "+".
    return {
        "CallUUID": call.call_id,
        "From": call.from_number.removeprefix("+"),
        "To": call.to_number.removeprefix("+"),
        "Direction": "inbound",
    }


def _headers(stream: StreamContext) -> str:
    # extraHeaders come back as a string; "{}" when the answer set none.
    return json.dumps(dict(stream.parameters), separators=(",", ":"))


def _on_stream(event: str, seq: int, stream: StreamContext, body: Message) -> Message:
    return {"event": event, "sequenceNumber": seq, "streamId": stream.stream_id, **body}
