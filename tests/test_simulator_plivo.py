"""The simulated Plivo: its dialect against the server's own Plivo code, and calls against a fake server.

The fake checks what our server checks, with the same functions: webhook signatures with the
plivo SDK, the stream handshake with `stream_signature_is_valid`, every frame the simulator
sends with `PlivoWire.parse`; it answers with `answer.stream_answer`/`refusal` and speaks
through `PlivoWire.encode`, byte for byte what the server sends.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import ssl
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import pytest
from django.core.management import CommandError, call_command
from plivo.utils.signature_v3 import validate_v3_signature
from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response
from websockets.protocol import State

from calls.bridge import actions as act
from calls.bridge.events import CallerAudio, DigitPressed, PlaybackMarked, StreamStarted
from calls.carriers.plivo.answer import refusal, stream_answer
from calls.carriers.plivo.signatures import stream_signature_is_valid, webhook_signature_is_valid
from calls.carriers.plivo.wire import PlivoWire
from calls.simulator import (
    CallScript,
    Clear,
    Malformed,
    Mark,
    MarkEcho,
    PlayAudio,
    PlivoDialect,
    Refusal,
    SimulatedCall,
    StreamInstruction,
    WebhookResponse,
    parse_plivo_server_message,
    parse_plivo_xml,
)

from .servers import PrivateCertificates
from .simulator_helpers import (
    SILENCE,
    TIMEOUT_S,
    StreamRecorder,
    assert_barged_in,
    assert_cleared_mid_answer,
    loud,
    payload,
    tone,
)

TOKEN = "plivo-auth-token"
BASE_URL = "https://voice.example.test"
STREAM_ID = "87654321-4321-4321-4321-cba987654321"
WIRE = PlivoWire()


def b64(audio: bytes) -> str:
    return base64.b64encode(audio).decode()


def parsed(message: dict[str, Any]) -> object:
    """What our server's Plivo wire makes of a frame the simulated Plivo sent."""
    return WIRE.parse(json.dumps(message))


# --- pure parts -----------------------------------------------------------------


def test_the_servers_stream_answer_is_a_stream_and_its_refusal_a_refusal() -> None:
    url = "wss://voice.example.test/plivo/media/0e4c5d9e/tok/"
    assert parse_plivo_xml(stream_answer(url)) == StreamInstruction(url=url)
    with_headers = parse_plivo_xml(stream_answer(url, extra_headers={"calltoken": "abc123", "agent": "7"}))
    assert with_headers == StreamInstruction(url=url, custom_parameters={"calltoken": "abc123", "agent": "7"})
    message = "Sorry, this number only takes calls from known callers."
    assert parse_plivo_xml(refusal(message)) == Refusal(say_text=message)


def test_answers_plivo_would_not_carry_are_errors() -> None:
    one_way = parse_plivo_xml("<Response><Stream>wss://h/plivo/media/</Stream></Response>")
    assert isinstance(one_way, StreamInstruction) and len(one_way.errors) == 3
    assert 'bidirectional="true"' in one_way.errors[0]
    for body in ("<html>oops", "<Speak>hi</Speak>", "<Response><Stream/></Response>"):
        answer = parse_plivo_xml(body)
        assert isinstance(answer, Refusal) and answer.error, body


def test_what_the_server_sends_parses_to_the_simulators_events() -> None:
    def read(action: act.CallerAction, stream_id: str = STREAM_ID) -> object:
        return parse_plivo_server_message(WIRE.encode(action, stream_id), STREAM_ID)

    assert read(act.PlayAudio(payload=b64(b"\x01\x02"))) == PlayAudio(b"\x01\x02")
    assert read(act.PlaceMark(name="greeting")) == Mark("greeting")
    assert read(act.ClearPlayback()) == Clear()
    l16 = {"event": "playAudio", "media": {"contentType": "audio/x-l16", "sampleRate": 8000, "payload": "AA=="}}
    for raw in (
        WIRE.encode(act.ClearPlayback(), "another-stream"),
        WIRE.encode(act.PlaceMark(name="m"), "another-stream"),
        WIRE.encode(act.PlayAudio(payload="!!"), STREAM_ID),
        json.dumps(l16),
        json.dumps({"event": "checkpoint", "streamId": STREAM_ID}),
        json.dumps({"event": "media", "streamId": STREAM_ID}),  # Twilio's word, not Plivo's
        b"\x00binary",
        "[1]",
    ):
        assert isinstance(parse_plivo_server_message(raw, STREAM_ID), Malformed), raw


def test_the_handshake_of_a_wss_stream_is_signed_over_its_https_form() -> None:
    path = "/plivo/media/0e4c5d9e/tok/"
    headers = PlivoDialect().handshake_headers(f"wss://voice.example.test{path}", TOKEN)
    signature, nonce = headers["X-Plivo-Signature-V3"], headers["X-Plivo-Signature-V3-Nonce"]
    assert len(nonce) == 20 and nonce.isdigit()
    https = f"https://voice.example.test{path}"
    assert webhook_signature_is_valid(
        method="GET", url=https, params={}, nonce=nonce, signature=signature, auth_token=TOKEN
    )
    scope = {
        "path": path,
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    assert stream_signature_is_valid(scope, public_url=BASE_URL, auth_token=TOKEN)
    assert not stream_signature_is_valid(scope, public_url=BASE_URL, auth_token="another-token")


def test_a_plivo_call_has_plivos_ids_and_numbers() -> None:
    call = SimulatedCall(BASE_URL, TOKEN, carrier="plivo")
    assert uuid.UUID(call.call_sid).version == 4
    assert call.to_number == "+15005550009" and call.account_sid.startswith("MA") and len(call.account_sid) == 20
    assert call.webhook_url == BASE_URL + "/plivo/answer/"
    params = call.webhook_params()
    assert (params["From"], params["To"], params["CallUUID"]) == ("15550100001", "15005550009", call.call_sid)
    with pytest.raises(ValueError, match="no carrier 'telnyx'"):
        SimulatedCall(BASE_URL, TOKEN, carrier="telnyx")


# --- a tiny fake server: webhooks and the audio stream ----------------------------


class PlivoStream(StreamRecorder):
    """The server side of one audio stream, speaking through our server's PlivoWire."""

    stream_id = ""

    async def send(self, action: act.CallerAction) -> None:
        await self.ws.send(WIRE.encode(action, self.stream_id))

    async def play(self, audio: bytes) -> None:
        await self.send(act.PlayAudio(payload=b64(audio)))

    async def checkpoint(self, name: str) -> None:
        await self.send(act.PlaceMark(name=name))


def named(name: str) -> Callable[[dict[str, Any]], bool]:
    return lambda message: message["name"] == name


Behaviour = Callable[[PlivoStream], Awaitable[None]]


async def listen(stream: PlivoStream) -> None:
    """Say nothing; just record what the simulated Plivo sends."""


class FakePlivoServer:
    """Checks what our server checks, answers Plivo XML, runs a behaviour on the stream."""

    def __init__(self, behaviour: Behaviour, answer: str | None, reject_ws: bool, scheme: str) -> None:
        self.behaviour, self.answer, self.reject_ws, self.scheme = behaviour, answer, reject_ws, scheme
        self.port = 0
        self.webhooks: list[tuple[str, dict[str, str], dict[str, str]]] = []
        self.signed: list[bool] = []
        self.handshakes: list[Request] = []
        self.handshake_signed: list[bool] = []
        self.streams: list[PlivoStream] = []
        self.stream_open_at_hangup: list[bool] = []

    @property
    def hangups(self) -> list[dict[str, str]]:
        return [params for url, params, _ in self.webhooks if url.endswith("/plivo/hangup/")]

    def stream_url(self, call_uuid: str) -> str:
        host = "localhost" if self.scheme == "wss" else "127.0.0.1"
        return f"{self.scheme}://{host}:{self.port}/plivo/media/{call_uuid}/tok1/"

    async def poster(self, url: str, params: Mapping[str, str], headers: Mapping[str, str]) -> WebhookResponse:
        self.webhooks.append((url, dict(params), dict(headers)))
        nonce, signature = headers.get("X-Plivo-Signature-V3-Nonce", ""), headers.get("X-Plivo-Signature-V3", "")
        signed = bool(nonce) and validate_v3_signature("POST", url, nonce, TOKEN, signature, params=dict(params))
        self.signed.append(signed)
        if not signed:
            return WebhookResponse(403, "bad signature")
        if url.endswith("/plivo/hangup/"):
            self.stream_open_at_hangup.append(any(stream.ws.state is State.OPEN for stream in self.streams))
            return WebhookResponse(200, "")
        return WebhookResponse(200, self.answer or stream_answer(self.stream_url(params["CallUUID"])))

    def check_handshake(self, ws: ServerConnection, request: Request) -> Response | None:
        self.handshakes.append(request)
        path, _, query = request.path.partition("?")
        headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in request.headers.raw_items()]
        scope = {"scheme": self.scheme, "path": path, "query_string": query.encode(), "headers": headers}
        signed = stream_signature_is_valid(scope, public_url="", auth_token=TOKEN)
        self.handshake_signed.append(signed)
        if self.reject_ws or not signed:
            return ws.respond(403, "forbidden\n")
        return None

    async def handle(self, ws: ServerConnection) -> None:
        stream = PlivoStream(ws)
        self.streams.append(stream)
        reader = asyncio.create_task(stream.read_all())
        stream.stream_id = (await stream.next("start"))["start"]["streamId"]
        await self.behaviour(stream)
        await reader  # until the simulated Plivo hangs up


@asynccontextmanager
async def fake_plivo(
    behaviour: Behaviour = listen,
    answer: str | None = None,
    reject_ws: bool = False,
    tls: ssl.SSLContext | None = None,
) -> AsyncIterator[FakePlivoServer]:
    fake = FakePlivoServer(behaviour, answer, reject_ws, scheme="wss" if tls else "ws")
    async with serve(fake.handle, "127.0.0.1", 0, process_request=fake.check_handshake, ssl=tls) as server:
        fake.port = server.sockets[0].getsockname()[1]
        async with asyncio.timeout(TIMEOUT_S):
            yield fake


def call_for(fake: FakePlivoServer, **kwargs: Any) -> SimulatedCall:
    return SimulatedCall(base_url=BASE_URL, auth_token=TOKEN, poster=fake.poster, carrier="plivo", **kwargs)


# --- the simulated call against the fake ------------------------------------------


@pytest.mark.asyncio
async def test_call_is_signed_paced_parsed_by_our_wire_and_ends_with_the_hangup_webhook() -> None:
    utterance = tone(400)
    kinds: list[str] = []
    async with fake_plivo() as fake:
        call = call_for(fake, on_event=lambda kind, _: kinds.append(kind))
        script = CallScript(caller_audio=utterance, speak_after_ms=40, hangup_after_ms=60)
        result = await call.run(script)

    (url, params, headers), (hangup_url, hangup, _) = fake.webhooks
    assert fake.signed == [True, True] and result.webhook_status == 200
    assert url == BASE_URL + "/plivo/answer/" and len(headers["X-Plivo-Signature-V3-Nonce"]) == 20
    assert params == {
        "CallUUID": call.call_sid,
        "From": "15550100001",
        "To": "15005550009",
        "Direction": "inbound",
        "CallStatus": "ringing",
        "Event": "StartApp",
    }
    (handshake,) = fake.handshakes
    assert fake.handshake_signed == [True] and "Origin" not in handshake.headers
    assert result.stream_url == fake.stream_url(call.call_sid) and result.protocol_errors == []

    stream = fake.streams[0]
    start, *rest = stream.received
    assert start == {
        "event": "start",
        "sequenceNumber": 1,
        "start": {
            "callId": call.call_sid,
            "streamId": result.stream_sid,
            "accountId": call.account_sid,
            "tracks": ["inbound"],
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000},
        },
        "extra_headers": "{}",
    }
    assert uuid.UUID(result.stream_sid).version == 4
    assert parsed(start) == StreamStarted(stream_id=result.stream_sid, call_id=call.call_sid)
    media = stream.events("media")
    assert media == rest  # no connected before start, no stop at the end
    assert [m["sequenceNumber"] for m in media] == list(range(2, 9))
    assert [m["media"]["chunk"] for m in media] == list(range(1, 8))
    assert [m["media"]["timestamp"] for m in media] == [str(20 * k) for k in range(7)]
    assert {(m["streamId"], m["media"]["track"], m["extra_headers"]) for m in media} == {
        (result.stream_sid, "inbound", "{}")
    }
    assert [parsed(m) for m in media] == [CallerAudio(m["media"]["payload"], 160, result.stream_sid) for m in media]
    assert [loud(m) for m in media] == [False, False, True, True, True, False, False]
    assert b"".join(payload(m) for m in media[2:5]) == utterance + SILENCE * 80
    assert bytes(result.utterance_bytes_sent) == utterance

    # The caller hangs up: the socket closes (no stop), then Plivo posts the hangup URL.
    assert not result.stop_sent and not result.closed_by_server and result.close_code == 1000
    assert result.ended_by == "hangup_after_ms" and result.carrier == "plivo"
    assert hangup_url == BASE_URL + "/plivo/hangup/" and fake.stream_open_at_hangup == [False]
    assert hangup == {
        "CallUUID": call.call_sid,
        "From": "15550100001",
        "To": "15005550009",
        "Direction": "inbound",
        "CallStatus": "completed",
        "Duration": hangup["Duration"],
        "BillDuration": hangup["Duration"],
        "HangupCause": "NORMAL_CLEARING",
        "Event": "Hangup",
    }
    assert int(hangup["Duration"]) >= result.duration_ms / 1000
    assert result.hangup_webhook_status == 200
    order = ["webhook", "twiml", "connected", "start", "speak", "utterance_end", "hangup", "hangup_webhook"]
    assert [kind for kind in kinds if kind in order] == order


@pytest.mark.asyncio
async def test_checkpoint_is_answered_only_after_the_audio_before_it_played() -> None:
    answers: list[dict[str, Any]] = []

    async def greet(stream: PlivoStream) -> None:
        await stream.play(tone(800))  # 100 ms
        await stream.checkpoint("greeting")
        answers.append(await stream.next("playedStream"))
        await stream.play(tone(160_000))  # 20 s: still playing when the caller hangs up
        await stream.checkpoint("never-heard")

    async with fake_plivo(greet) as fake:
        script = CallScript(caller_audio=tone(160), speak_after_ms=0, hangup_after_ms=400)
        result = await call_for(fake).run(script)

    (answer,) = answers
    assert answer == {
        "event": "playedStream",
        "sequenceNumber": answer["sequenceNumber"],
        "streamId": result.stream_sid,
        "name": "greeting",
    }
    assert parsed(answer) == PlaybackMarked("greeting")
    assert fake.streams[0].events("playedStream") == [answer]  # "never-heard" is never answered
    (echo,) = result.mark_echoes
    assert (echo.name, echo.played_bytes, echo.by_clear) == ("greeting", 800, False)
    assert echo.at_ms >= 100  # the line clock can run late, never early
    assert result.marks_received == ["greeting", "never-heard"] and result.unplayed_bytes > 0


@pytest.mark.asyncio
async def test_clear_audio_drops_pending_checkpoints_and_is_acknowledged() -> None:
    stale = b"\x11" * 320
    acknowledged: list[dict[str, Any]] = []

    async def interrupted(stream: PlivoStream) -> None:
        await stream.play(tone(800))
        await stream.checkpoint("early")
        await stream.play(tone(8000)[800:])
        await stream.checkpoint("late")
        await stream.checkpoint("later")
        await stream.next("playedStream")  # "early": playback is under way
        await stream.send(act.ClearPlayback())
        acknowledged.append(await stream.next("clearedAudio"))
        await stream.play(stale)  # a buggy bridge leaking audio after the clear

    async with fake_plivo(interrupted) as fake:
        script = CallScript(caller_audio=b"", speak_after_ms=0, drained_after_ms=100)
        result = await call_for(fake).run(script)

    (ack,) = acknowledged
    assert ack == {"event": "clearedAudio", "sequenceNumber": ack["sequenceNumber"], "streamId": result.stream_sid}
    assert isinstance(ack["sequenceNumber"], int) and parsed(ack) is None  # the core needs nothing from it
    assert [m["name"] for m in fake.streams[0].events("playedStream")] == ["early"] == result.marks_echoed
    clear = assert_cleared_mid_answer(result, answer=tone(8000), first_mark_bytes=800, stale=stale)
    assert clear.marks_echoed == [] and clear.marks_dropped == ["late", "later"]
    assert result.hangup_webhook_status == 200


@pytest.mark.asyncio
async def test_barge_in_talks_over_the_greeting_as_on_twilio() -> None:
    seen: dict[str, dict[str, Any]] = {}

    async def agent(stream: PlivoStream) -> None:
        await stream.play(tone(16000))  # a 2 s greeting
        await stream.checkpoint("greeting-end")
        seen["first_loud"] = await stream.next("media", loud)
        await stream.send(act.ClearPlayback())  # what the bridge does on speech_started
        await stream.next("media", lambda m: not loud(m))  # the caller stopped
        await stream.play(tone(480))
        await stream.checkpoint("answer-end")
        await stream.next("playedStream", named("answer-end"))

    async with fake_plivo(agent) as fake:
        script = CallScript(caller_audio=tone(3200), barge_in_after_ms=200, drained_after_ms=100)
        result = await call_for(fake).run(script)

    clear = assert_barged_in(result, after_ms=200, greeting_bytes=16000)
    assert seen["first_loud"]["media"]["timestamp"] == str(result.utterance_started_ms)
    assert clear.marks_dropped == ["greeting-end"]
    assert result.mark_echoes == [
        MarkEcho("answer-end", result.mark_echoes[0].at_ms, clear.played_bytes_total + 480, False),
    ]
    assert result.audio_after_clear == [0] and clear.received_after_bytes == 480
    assert result.ended_by == "answered" and not result.stop_sent
    assert len(fake.streams[0].events("clearedAudio")) == 1


@pytest.mark.asyncio
async def test_dtmf_is_plivos_and_our_wire_reads_the_digits() -> None:
    async with fake_plivo() as fake:
        script = CallScript(caller_audio=b"", dtmf=[(40, "1"), (60, "#")], max_call_ms=200)
        result = await call_for(fake).run(script)

    digits = fake.streams[0].events("dtmf")
    assert digits == [
        {
            "event": "dtmf",
            "sequenceNumber": 3,
            "streamId": result.stream_sid,
            "dtmf": {"track": "inbound", "digit": "1", "timestamp": "40"},
            "extra_headers": "{}",
        },
        {
            "event": "dtmf",
            "sequenceNumber": 5,
            "streamId": result.stream_sid,
            "dtmf": {"track": "inbound", "digit": "#", "timestamp": "60"},
            "extra_headers": "{}",
        },
    ]
    assert [parsed(m) for m in digits] == [DigitPressed("1"), DigitPressed("#")]
    assert result.dtmf_sent == ["1", "#"] and result.ended_by == "max_call_ms"


@pytest.mark.asyncio
async def test_refused_caller_hears_the_speak_and_plivo_still_posts_the_hangup() -> None:
    message = "Sorry, this number only takes calls from known callers."
    async with fake_plivo(answer=refusal(message)) as fake:
        result = await call_for(fake).run(CallScript(caller_audio=b""))
    assert result.refused and result.say_text == message and result.ended_by == "refused"
    assert fake.handshakes == [] and result.stream_sid == ""
    assert [params["Event"] for _, params, _ in fake.webhooks] == ["StartApp", "Hangup"]
    assert result.hangup_webhook_status == 200


@pytest.mark.asyncio
async def test_webhooks_signed_with_another_token_are_refused() -> None:
    async with fake_plivo() as fake:
        result = await SimulatedCall(BASE_URL, "not-the-token", poster=fake.poster, carrier="plivo").run(
            CallScript(caller_audio=b"")
        )
    assert fake.signed == [False, False] and result.webhook_status == 403
    assert result.refused and fake.handshakes == [] and result.hangup_webhook_status == 403


@pytest.mark.asyncio
async def test_rejected_stream_handshake_is_recorded() -> None:
    async with fake_plivo(reject_ws=True) as fake:
        result = await call_for(fake).run(CallScript(caller_audio=b""))
    assert fake.handshake_signed == [True] and fake.streams == []
    assert result.handshake_status == 403 and result.ended_by == "handshake_failed"
    assert len(fake.hangups) == 1


@pytest.mark.asyncio
async def test_a_plivo_call_over_wss_trusts_the_cafile(tmp_path) -> None:
    certs = PrivateCertificates(tmp_path)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(certs.fullchain, certs.key)
    async with fake_plivo(tls=tls) as fake:
        result = await call_for(fake, cafile=str(certs.ca)).run(CallScript(caller_audio=b"", max_call_ms=100))
    # Signed over the https:// form of the wss:// URL, as our server checks it behind daphne's TLS.
    assert fake.handshake_signed == [True] and result.stream_url.startswith("wss://localhost:")
    assert result.ended_by == "max_call_ms" and len(fake.streams[0].events("media")) == 4


# --- the default webhook poster over real HTTP ------------------------------------


class PlivoWebhooks(BaseHTTPRequestHandler):
    seen: list[tuple[bool, str, dict[str, str]]] = []

    def do_POST(self) -> None:
        params = dict(parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode()))
        url = f"http://{self.headers['Host']}{self.path}"
        valid = webhook_signature_is_valid(
            method="POST",
            url=url,
            params=params,
            nonce=self.headers.get("X-Plivo-Signature-V3-Nonce", ""),
            signature=self.headers.get("X-Plivo-Signature-V3", ""),
            auth_token=TOKEN,
        )
        self.seen.append((valid, self.path, params))
        reply = refusal("Goodbye.").encode() if self.path == "/plivo/answer/" else b""
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def plivo_webhooks() -> Iterator[str]:
    """A real HTTP server taking Plivo's webhooks (it refuses every call); yields its base URL."""
    PlivoWebhooks.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), PlivoWebhooks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.asyncio
async def test_default_poster_sends_both_webhooks_as_plivo_signs_them(plivo_webhooks: str) -> None:
    async with asyncio.timeout(TIMEOUT_S):
        result = await SimulatedCall(plivo_webhooks, TOKEN, carrier="plivo").run(CallScript(caller_audio=b""))
    assert [(valid, path) for valid, path, _ in PlivoWebhooks.seen] == [
        (True, "/plivo/answer/"),
        (True, "/plivo/hangup/"),
    ]
    assert {params["CallUUID"] for _, _, params in PlivoWebhooks.seen} == {result.call_sid}
    assert result.refused and result.say_text == "Goodbye." and result.hangup_webhook_status == 200


@pytest.mark.django_db(transaction=True)
def test_simulate_call_places_a_plivo_call_signed_with_the_given_token(plivo_webhooks: str) -> None:
    out = io.StringIO()
    call_command("simulate_call", "--carrier", "plivo", "--base-url", plivo_webhooks, "--auth-token", TOKEN, stdout=out)
    assert [(valid, params["To"]) for valid, _, params in PlivoWebhooks.seen] == [(True, "15005550009")] * 2
    call_uuid = PlivoWebhooks.seen[0][2]["CallUUID"]
    assert f"Calling +15005550009 from +15550100001 (CallUUID {call_uuid})" in out.getvalue()
    assert "Refused: Goodbye." in out.getvalue()


def test_simulate_call_wants_the_carriers_token(settings) -> None:
    settings.PLIVO_AUTH_TOKEN = ""
    with pytest.raises(CommandError, match="No plivo auth token"):
        call_command("simulate_call", "--carrier", "plivo", "--base-url", "http://127.0.0.1:9")
