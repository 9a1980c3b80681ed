"""The simulated Twilio, against pure inputs and against a tiny in-process fake server."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import pytest
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import Connect, VoiceResponse
from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response

from calls.simulator import (
    CallerTurn,
    CallResult,
    CallScript,
    Clear,
    Malformed,
    Mark,
    MarkEcho,
    PlayAudio,
    PlaybackQueue,
    Refusal,
    SimulatedCall,
    StreamInstruction,
    WebhookResponse,
    parse_server_message,
    parse_twiml,
    run_many,
)
from calls.simulator.script import BARGE_IN_GRACE_MS

from .simulator_helpers import (
    SILENCE,
    TIMEOUT_S,
    StreamRecorder,
    assert_barged_in,
    assert_cleared_mid_answer,
    is_loud,
    loud,
    payload,
    tone,
    ulaw,
)

TOKEN = "test-auth-token"
BASE_URL = "https://voice.example.test"


# --- µ-law test audio -------------------------------------------------------------


def test_ulaw_encoder_matches_g711() -> None:
    assert ulaw(0) == 0xFF
    assert ulaw(32767) == 0x80 and ulaw(-32768) == 0x00
    assert is_loud(tone(160)) and not is_loud(SILENCE * 160)


# --- pure parts -----------------------------------------------------------------


def drain(queue: PlaybackQueue, slots: int) -> list[tuple[bytes, list[str]]]:
    return [queue.play_frame() for _ in range(slots)]


def test_playback_plays_160_bytes_per_slot_and_echoes_a_mark_once_its_audio_played() -> None:
    queue = PlaybackQueue()
    queue.enqueue_audio(tone(800))
    queue.enqueue_mark("greeting")
    slots = drain(queue, 5)
    assert [len(frame) for frame, _ in slots] == [160] * 5
    assert all(marks == [] for _, marks in slots)
    assert queue.played_total == 640  # the fifth frame is still playing
    frame, marks = queue.play_frame()
    assert (frame, marks) == (b"", ["greeting"])
    assert bytes(queue.played) == tone(800)
    assert queue.segments[0].start_ms == 20 and queue.segments[0].end_ms == 120


def test_playback_frame_spans_messages_and_mark_between_them_waits_for_the_frame() -> None:
    queue = PlaybackQueue()
    queue.enqueue_audio(b"\x01" * 100)
    queue.enqueue_mark("a")
    queue.enqueue_audio(b"\x02" * 100)
    frame, marks = queue.play_frame()
    assert frame == b"\x01" * 100 + b"\x02" * 60 and marks == []
    assert queue.pending_marks == ["a"]
    frame, marks = queue.play_frame()
    assert frame == b"\x02" * 40 and marks == ["a"]


def test_playback_mark_on_an_idle_queue_is_due_at_the_next_slot() -> None:
    queue = PlaybackQueue()
    queue.enqueue_mark("idle")
    assert queue.play_frame() == (b"", ["idle"])
    assert queue.segments == []


def test_playback_clear_drops_audio_and_returns_every_pending_mark() -> None:
    queue = PlaybackQueue()
    queue.enqueue_audio(tone(320))
    queue.enqueue_mark("first")
    queue.enqueue_audio(tone(1600))
    queue.enqueue_mark("second")
    drain(queue, 3)  # two frames played, the third in flight
    assert queue.played_since_clear == 320 and queue.queued_bytes == 1600 - 160
    assert queue.clear() == ["second"]  # "first" was already due and returned
    assert queue.queued_bytes == 0 and not queue.playing
    assert queue.segments[-1].cleared and queue.segments[-1].end_ms == 60
    assert queue.played_since_clear == 0 and queue.played_total == 320
    assert drain(queue, 2) == [(b"", []), (b"", [])]


def test_playback_runs_restart_after_the_queue_empties() -> None:
    queue = PlaybackQueue()
    queue.enqueue_audio(tone(320))
    drain(queue, 4)  # two frames, then idle
    queue.enqueue_audio(tone(160))
    drain(queue, 2)
    assert queue.played_in_run == 160 and queue.played_since_clear == 480
    assert [(s.start_ms, s.end_ms, s.played_bytes) for s in queue.segments] == [
        (20, 60, 320),
        (100, 120, 160),
    ]


def advance(queue: PlaybackQueue, to_ms: int) -> None:
    """Run the playback clock until the slot starting at ``to_ms``."""
    while queue.now_ms < to_ms:
        queue.play_frame()


def test_caller_speaks_after_the_greeting_drained_and_hangs_up_once_answered() -> None:
    queue = PlaybackQueue()
    caller = CallerTurn(CallScript(caller_audio=tone(200), drained_after_ms=100))
    assert caller.next_frame(0, queue) == SILENCE * 160  # nothing heard yet
    queue.enqueue_audio(tone(320))
    advance(queue, 80)  # the greeting plays 20..60 ms
    assert caller.next_frame(140, queue) == SILENCE * 160
    assert caller.next_frame(160, queue) == tone(160) and caller.started_ms == 160
    assert caller.next_frame(180, queue) == tone(200)[160:] + SILENCE * 120
    assert caller.ended_ms == 185
    advance(queue, 200)
    assert caller.hangup_due(200, queue) is None  # the greeting is no answer
    queue.enqueue_audio(tone(160))
    advance(queue, 260)  # the answer plays 220..240 ms
    assert caller.hangup_due(320, queue) is None
    assert caller.hangup_due(340, queue) == "answered"


def test_caller_barges_in_relative_to_the_first_playback_and_respects_timeouts() -> None:
    queue = PlaybackQueue()
    script = CallScript(
        caller_audio=tone(160),
        speak_after_ms=0,
        barge_in_after_ms=100,
        hangup_after_ms=300,
        max_call_ms=1000,
    )
    caller = CallerTurn(script)
    assert caller.next_frame(0, queue) == SILENCE * 160  # barge-in overrides speak_after
    queue.enqueue_audio(tone(1600))
    queue.play_frame()  # the first agent audio starts at 20 ms
    assert caller.next_frame(100, queue) == SILENCE * 160
    assert caller.next_frame(120, queue) == tone(160) and caller.ended_ms == 140
    assert caller.hangup_due(420, queue) is None  # still talking over the agent
    assert caller.hangup_due(440, queue) == "hangup_after_ms"
    assert CallerTurn(script).hangup_due(1000, queue) == "max_call_ms"


def test_a_held_call_stays_on_after_the_answer_until_its_time() -> None:
    queue = PlaybackQueue()
    caller = CallerTurn(CallScript(caller_audio=tone(160), speak_after_ms=0, hold_ms=600, drained_after_ms=20))
    caller.next_frame(0, queue)
    assert caller.ended_ms == 20
    queue.enqueue_audio(tone(160))
    advance(queue, 100)  # the answer has played and drained: an unheld caller would leave now
    assert caller.hangup_due(100, queue) is None
    assert caller.hangup_due(580, queue) is None  # long after hangup_after_ms would have fired, too
    assert caller.hangup_due(600, queue) == "held"
    held_long = CallScript(caller_audio=b"", hold_ms=5000, max_call_ms=1000)
    assert CallerTurn(held_long).hangup_due(1000, queue) == "max_call_ms"  # the hard bound still holds


def test_a_call_held_after_the_last_turn_stays_on_from_its_end_and_waits_out_unanswered_turns() -> None:
    queue = PlaybackQueue()
    script = CallScript(caller_audio=tone(160), speak_after_ms=0, turns=2, hold_after_ms=400, hangup_after_ms=100)
    script.drained_after_ms = 20
    caller = CallerTurn(script)
    caller.next_frame(0, queue)
    advance(queue, 1000)
    assert caller.hangup_due(1000, queue) is None  # unanswered, long past hangup_after_ms: still waiting
    queue.enqueue_audio(tone(160))
    advance(queue, 1060)  # answered at last: played 1020..1040, drained by 1060
    caller.next_frame(1060, queue)
    assert caller.ends_ms == [20, 1080]
    queue.enqueue_audio(tone(160))
    advance(queue, 1200)  # the last answer has played and drained: an unheld caller would leave now
    assert caller.hangup_due(1200, queue) is None
    assert caller.hangup_due(1460, queue) is None
    assert caller.hangup_due(1480, queue) == "held"


def test_a_clear_while_or_just_after_the_caller_talks_is_a_barge_in_and_otherwise_not() -> None:
    queue = PlaybackQueue()
    caller = CallerTurn(CallScript(caller_audio=tone(320), speak_after_ms=100))
    assert not caller.talking_over(50)  # before they said anything: the server cut its own audio
    for frame_ms in (0, 20, 100, 120):
        caller.next_frame(frame_ms, queue)
    assert caller.ended_ms == 140
    assert caller.talking_over(110)
    assert caller.talking_over(140 + BARGE_IN_GRACE_MS)  # voice detection reports speech late
    assert not caller.talking_over(141 + BARGE_IN_GRACE_MS)  # long after: a staff hang-up, say


def speak_turn(caller: CallerTurn, queue: PlaybackQueue, from_ms: int) -> int:
    """Run the caller's frames from ``from_ms`` until their turn has ended; the next slot's ms."""
    frame_ms = from_ms
    while caller.speaking or frame_ms == from_ms:
        caller.next_frame(frame_ms, queue)
        frame_ms += 20
    return frame_ms


def test_a_later_turn_starts_only_once_the_answer_to_the_previous_one_has_drained() -> None:
    queue = PlaybackQueue()
    script = CallScript(caller_audio=tone(160), speak_after_ms=0, turns=2, drained_after_ms=40, turn_pause_ms=60)
    caller = CallerTurn(script)
    speak_turn(caller, queue, 0)
    assert caller.ends_ms == [20] and not caller.done_talking
    advance(queue, 100)  # the agent takes its time: silence is no answer, the caller waits
    assert caller.hangup_due(100, queue) is None and caller.next_frame(100, queue) == SILENCE * 160
    queue.enqueue_audio(tone(320))
    advance(queue, 160)  # the answer plays 120..160 ms
    assert queue.segments[-1].end_ms == 160
    for frame_ms in (140, 160, 200, 240):  # playing, then drained (200), then pausing until 260
        assert caller.hangup_due(frame_ms, queue) is None  # answered, but a turn is still to say
        assert caller.next_frame(frame_ms, queue) == SILENCE * 160
    assert caller.starts_ms == [0]
    assert caller.next_frame(260, queue) == tone(160) and caller.starts_ms == [0, 260]
    assert caller.ends_ms == [20, 280] and caller.done_talking


def test_after_n_turns_each_answered_the_caller_hangs_up_and_says_no_more() -> None:
    queue = PlaybackQueue()
    caller = CallerTurn(CallScript(caller_audio=tone(200), speak_after_ms=0, turns=3, drained_after_ms=20))
    frame_ms = 0
    for _ in range(3):
        assert caller.hangup_due(frame_ms, queue) is None
        frame_ms = speak_turn(caller, queue, frame_ms)
        assert caller.hangup_due(frame_ms, queue) is None  # not answered yet
        queue.enqueue_audio(tone(160))
        advance(queue, frame_ms + 60)  # the answer plays and drains
        frame_ms += 60
    assert caller.hangup_due(frame_ms, queue) == "answered"
    assert len(caller.starts_ms) == len(caller.ends_ms) == 3
    assert caller.next_frame(frame_ms, queue) == SILENCE * 160 and len(caller.starts_ms) == 3


def test_an_unanswered_turn_ends_the_call_after_hangup_after_ms_and_a_barge_in_is_the_first_turn_only() -> None:
    queue = PlaybackQueue()
    script = CallScript(caller_audio=tone(160), barge_in_after_ms=40, turns=2, hangup_after_ms=300)
    caller = CallerTurn(script)
    queue.enqueue_audio(tone(1600))
    queue.play_frame()  # the greeting starts at 20 ms
    assert caller.next_frame(40, queue) == SILENCE * 160
    assert caller.next_frame(60, queue) == tone(160) and caller.ends_ms == [80]
    queue.clear()  # the server cut its greeting for the barge-in, and never answers
    assert caller.next_frame(100, queue) == SILENCE * 160  # the cut greeting is no answer
    assert caller.hangup_due(360, queue) is None
    assert caller.hangup_due(380, queue) == "hangup_after_ms" and caller.starts_ms == [60]


def test_caller_presses_digits_once_each_in_order() -> None:
    caller = CallerTurn(CallScript(caller_audio=b"", dtmf=[(60, "#"), (20, "1")]))
    assert caller.digits_due(0) == []
    assert caller.digits_due(60) == ["1", "#"]
    assert caller.digits_due(80) == []


def test_twiml_stream_with_parameters() -> None:
    response = VoiceResponse()
    connect = Connect()
    connect.stream(url="wss://h/twilio/media/").parameter(name="call_token", value="t1")
    response.append(connect)
    assert parse_twiml(str(response)) == StreamInstruction(
        url="wss://h/twilio/media/", custom_parameters={"call_token": "t1"}
    )


def test_twiml_say_and_hangup_is_a_refusal_and_garbage_is_an_error() -> None:
    response = VoiceResponse()
    response.say("Sorry, this line is private.")
    response.hangup()
    assert parse_twiml(str(response)) == Refusal(say_text="Sorry, this line is private.")
    garbage = parse_twiml("<html>oops")
    assert isinstance(garbage, Refusal) and garbage.error


def test_server_messages_parse_to_typed_events_or_malformed() -> None:
    def msg(**body: Any) -> str:
        return json.dumps({"streamSid": "MZ1", **body})

    payload = base64.b64encode(b"\x01\x02").decode()
    assert parse_server_message(msg(event="media", media={"payload": payload}), "MZ1") == (PlayAudio(b"\x01\x02"))
    assert parse_server_message(msg(event="mark", mark={"name": "m"}), "MZ1") == Mark("m")
    assert parse_server_message(msg(event="clear"), "MZ1") == Clear()
    for raw in (
        msg(event="clear").replace("MZ1", "MZ2"),
        msg(event="media", media={"payload": "!!"}),
        msg(event="mark", mark={}),
        msg(event="hello"),
        b"\x00binary",
        "[1]",
    ):
        assert isinstance(parse_server_message(raw, "MZ1"), Malformed), raw


def test_simulator_imports_no_django() -> None:
    code = "import sys, calls.simulator; print(any(m == 'django' for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


# --- a tiny fake server: webhook poster + media-stream websocket ----------------


class FakeStream(StreamRecorder):
    """The server side of one media stream, as a test drives it."""

    stream_sid = ""

    async def send(self, event: str, **body: Any) -> None:
        message = {"event": event, "streamSid": self.stream_sid, **body}
        await self.ws.send(json.dumps(message))

    async def media(self, audio: bytes) -> None:
        await self.send("media", media={"payload": base64.b64encode(audio).decode()})

    async def mark(self, name: str) -> None:
        await self.send("mark", mark={"name": name})


Behaviour = Callable[[FakeStream], Awaitable[None]]


async def listen(stream: FakeStream) -> None:
    """Say nothing; just record what the simulated Twilio sends."""


class FakeServer:
    """Validates what our server would validate, answers TwiML, runs a behaviour."""

    def __init__(self, behaviour: Behaviour, twiml: str | None, reject_ws: bool) -> None:
        self.behaviour = behaviour
        self.twiml = twiml
        self.reject_ws = reject_ws
        self.port = 0
        self.webhooks: list[tuple[str, dict[str, str], dict[str, str]]] = []
        self.handshakes: list[Request] = []
        self.streams: list[FakeStream] = []

    @property
    def stream_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/twilio/media/"

    def stream_twiml(self) -> str:
        response = VoiceResponse()
        connect = Connect()
        connect.stream(url=self.stream_url).parameter(name="call_token", value="tok-1")
        response.append(connect)
        return str(response)

    async def poster(self, url: str, params: Mapping[str, str], headers: Mapping[str, str]) -> WebhookResponse:
        self.webhooks.append((url, dict(params), dict(headers)))
        signature = headers.get("X-Twilio-Signature", "")
        if not RequestValidator(TOKEN).validate(url, dict(params), signature):
            return WebhookResponse(403, "bad signature")
        return WebhookResponse(200, self.twiml or self.stream_twiml())

    def check_handshake(self, ws: ServerConnection, request: Request) -> Response | None:
        self.handshakes.append(request)
        signature = request.headers.get("X-Twilio-Signature", "")
        if self.reject_ws or not RequestValidator(TOKEN).validate(self.stream_url, {}, signature):
            return ws.respond(403, "forbidden\n")
        return None

    async def handle(self, ws: ServerConnection) -> None:
        stream = FakeStream(ws)
        self.streams.append(stream)
        reader = asyncio.create_task(stream.read_all())
        stream.stream_sid = (await stream.next("start"))["streamSid"]
        await self.behaviour(stream)
        await reader  # until the simulated Twilio hangs up


@asynccontextmanager
async def fake_twilio(
    behaviour: Behaviour = listen, twiml: str | None = None, reject_ws: bool = False
) -> AsyncIterator[FakeServer]:
    fake = FakeServer(behaviour, twiml, reject_ws)
    async with serve(fake.handle, "127.0.0.1", 0, process_request=fake.check_handshake) as server:
        fake.port = server.sockets[0].getsockname()[1]
        async with asyncio.timeout(TIMEOUT_S):
            yield fake


def call_for(fake: FakeServer, **kwargs: Any) -> SimulatedCall:
    return SimulatedCall(base_url=BASE_URL, auth_token=TOKEN, poster=fake.poster, **kwargs)


# --- the simulated call against the fake ------------------------------------------


@pytest.mark.asyncio
async def test_call_is_signed_paced_and_ends_with_stop() -> None:
    utterance = tone(400)
    kinds: list[str] = []
    async with fake_twilio() as fake:
        call = call_for(fake, on_event=lambda kind, _: kinds.append(kind))
        script = CallScript(caller_audio=utterance, speak_after_ms=40, hangup_after_ms=60)
        result = await call.run(script)

    ((url, params, _headers),) = fake.webhooks
    assert url == BASE_URL + "/twilio/voice/" and result.webhook_status == 200
    assert params["CallSid"] == call.call_sid and params["From"] == "+15550100001"
    assert (params["CallStatus"], params["Direction"]) == ("ringing", "inbound")
    (handshake,) = fake.handshakes
    assert "Origin" not in handshake.headers
    assert RequestValidator(TOKEN).validate(fake.stream_url, {}, handshake.headers["X-Twilio-Signature"])
    received = fake.streams[0].received
    assert received[0] == {"event": "connected", "protocol": "Call", "version": "1.0.0"}
    assert received[1] == {
        "event": "start",
        "sequenceNumber": "1",
        "streamSid": result.stream_sid,
        "start": {
            "streamSid": result.stream_sid,
            "accountSid": call.account_sid,
            "callSid": call.call_sid,
            "tracks": ["inbound"],
            "customParameters": {"call_token": "tok-1"},
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        },
    }
    assert result.stream_sid.startswith("MZ") and result.custom_parameters == {"call_token": "tok-1"}

    media = fake.streams[0].events("media")
    assert [m["media"]["chunk"] for m in media] == [str(k) for k in range(1, 8)]
    assert [m["media"]["timestamp"] for m in media] == [str(20 * k) for k in range(7)]
    assert {m["media"]["track"] for m in media} == {"inbound"}
    assert [len(payload(m)) for m in media] == [160] * 7
    assert [loud(m) for m in media] == [False, False, True, True, True, False, False]
    assert b"".join(payload(m) for m in media[2:5]) == utterance + SILENCE * 80
    assert bytes(result.caller_bytes_sent) == b"".join(payload(m) for m in media)
    assert bytes(result.utterance_bytes_sent) == utterance
    assert (result.utterance_started_ms, result.utterance_ended_ms) == (40, 90)

    numbers = [m["sequenceNumber"] for m in received[1:]]
    assert numbers == [str(n) for n in range(1, len(received))]
    assert received[-1] == {
        "event": "stop",
        "sequenceNumber": numbers[-1],
        "streamSid": result.stream_sid,
        "stop": {"accountSid": call.account_sid, "callSid": call.call_sid},
    }
    assert result.stop_sent and not result.closed_by_server
    assert result.ended_by == "hangup_after_ms" and result.close_code == 1000
    order = ["webhook", "twiml", "connected", "start", "speak", "utterance_end", "hangup"]
    assert [kind for kind in kinds if kind in order] == order


@pytest.mark.asyncio
async def test_webhook_signed_with_another_token_is_refused_and_opens_no_stream() -> None:
    async with fake_twilio() as fake:
        call = SimulatedCall(BASE_URL, "not-the-token", poster=fake.poster)
        result = await call.run(CallScript(caller_audio=b""))
    assert result.refused and result.webhook_status == 403
    assert result.webhook_body == "bad signature" and result.ended_by == "refused"
    assert fake.handshakes == [] and result.stream_sid == ""


@pytest.mark.asyncio
async def test_say_and_hangup_twiml_refuses_the_call_without_a_stream() -> None:
    response = VoiceResponse()
    response.say("Sorry, this number only takes calls from known callers.")
    response.hangup()
    async with fake_twilio(twiml=str(response)) as fake:
        result = await call_for(fake).run(CallScript(caller_audio=b""))
    assert result.refused and result.webhook_status == 200
    assert result.say_text == "Sorry, this number only takes calls from known callers."
    assert fake.handshakes == [] and result.ended_by == "refused"


@pytest.mark.asyncio
async def test_rejected_stream_handshake_is_recorded() -> None:
    async with fake_twilio(reject_ws=True) as fake:
        result = await call_for(fake).run(CallScript(caller_audio=b""))
    assert len(fake.handshakes) == 1 and fake.streams == []
    assert result.handshake_status == 403 and result.ended_by == "handshake_failed"
    assert not result.stop_sent


@pytest.mark.asyncio
async def test_mark_is_echoed_only_after_the_audio_before_it_played() -> None:
    echoes: list[dict[str, Any]] = []

    async def greet(stream: FakeStream) -> None:
        await stream.media(tone(800))  # 100 ms
        await stream.mark("greeting")
        echoes.append(await stream.next("mark"))

    async with fake_twilio(greet) as fake:
        script = CallScript(caller_audio=tone(160), drained_after_ms=200, hangup_after_ms=200)
        result = await call_for(fake).run(script)

    assert echoes[0]["mark"] == {"name": "greeting"}
    assert echoes[0]["streamSid"] == result.stream_sid
    (echo,) = result.mark_echoes
    assert (echo.name, echo.played_bytes, echo.by_clear) == ("greeting", 800, False)
    assert echo.at_ms >= 100  # the line clock can run late, never early
    assert bytes(result.played) == tone(800) and result.received_audio_bytes == 800
    (segment,) = result.segments
    assert segment.end_ms is not None and segment.end_ms - segment.start_ms == 100
    # Default script: speak once the greeting has drained for drained_after_ms.
    assert result.utterance_started_ms == segment.end_ms + 200
    assert result.ended_by == "hangup_after_ms" and result.first_audio_ms is not None


@pytest.mark.asyncio
async def test_each_caller_turn_follows_the_answer_to_the_previous_one() -> None:
    utterance, answers = tone(320), [tone(400), tone(480)]
    spoken: list[dict[str, Any]] = []

    async def answer_each_turn(stream: FakeStream) -> None:
        for answer in answers:  # the server answers a turn once the caller has gone quiet after it
            await stream.next("media", loud)
            await stream.next("media", lambda message: not loud(message))
            await stream.media(answer)

    async with fake_twilio(answer_each_turn) as fake:
        call = call_for(fake, on_event=lambda kind, data: spoken.append(data) if kind == "speak" else None)
        script = CallScript(caller_audio=utterance, speak_after_ms=40, turns=2, drained_after_ms=100)
        result = await call.run(script)

    assert result.ended_by == "answered"
    assert bytes(result.utterance_bytes_sent) == utterance * 2
    first, second = result.segments  # one answer to each turn
    assert (first.played_bytes, second.played_bytes) == (400, 480)
    assert result.turns_started_ms == [40, first.end_ms + 100] and [data["turn"] for data in spoken] == [1, 2]
    assert result.turns_ended_ms == [80, first.end_ms + 140] and result.utterance_ended_ms == 80
    assert second.start_ms > result.turns_ended_ms[1]
    media = fake.streams[0].events("media")
    loud_frames = [int(message["media"]["timestamp"]) for message in media if loud(message)]
    assert loud_frames == [40, 60, first.end_ms + 100, first.end_ms + 120]


@pytest.mark.asyncio
async def test_clear_echoes_pending_marks_at_once_and_drops_queued_audio() -> None:
    stale = b"\x11" * 320

    async def interrupted(stream: FakeStream) -> None:
        await stream.media(tone(800))
        await stream.mark("early")
        await stream.media(tone(8000)[800:])
        await stream.mark("late")
        await stream.mark("later")
        await stream.next("mark")  # "early": playback is under way
        await stream.send("clear")
        await stream.next("mark")
        await stream.next("mark")
        await stream.media(stale)  # a buggy bridge leaking audio after the clear

    async with fake_twilio(interrupted) as fake:
        script = CallScript(caller_audio=b"", speak_after_ms=0, drained_after_ms=100)
        result = await call_for(fake).run(script)

    names = [m["mark"]["name"] for m in fake.streams[0].events("mark")]
    assert names == ["early", "late", "later"] == result.marks_echoed
    clear = assert_cleared_mid_answer(result, answer=tone(8000), first_mark_bytes=800, stale=stale)
    assert clear.marks_echoed == ["late", "later"] and clear.marks_dropped == []
    assert [e.played_bytes for e in result.mark_echoes[1:]] == [clear.played_bytes_total] * 2
    assert all(e.by_clear for e in result.mark_echoes[1:])


@pytest.mark.asyncio
async def test_barge_in_talks_over_the_greeting() -> None:
    seen: dict[str, dict[str, Any]] = {}

    async def agent(stream: FakeStream) -> None:
        await stream.media(tone(16000))  # a 2 s greeting
        await stream.mark("greeting-end")
        seen["first_loud"] = await stream.next("media", loud)
        await stream.send("clear")  # what the bridge does on speech_started
        await stream.next("media", lambda m: not loud(m))  # the caller stopped
        await stream.media(tone(480))
        await stream.mark("answer-end")
        await stream.next("mark", lambda m: m["mark"]["name"] == "answer-end")

    async with fake_twilio(agent) as fake:
        script = CallScript(caller_audio=tone(3200), barge_in_after_ms=200)
        script.drained_after_ms = 100
        result = await call_for(fake).run(script)

    clear = assert_barged_in(result, after_ms=200, greeting_bytes=16000)
    assert seen["first_loud"]["media"]["timestamp"] == str(result.utterance_started_ms)
    assert result.mark_echoes == [
        MarkEcho("greeting-end", result.mark_echoes[0].at_ms, clear.played_bytes_total, True),
        MarkEcho("answer-end", result.mark_echoes[1].at_ms, clear.played_bytes_total + 480, False),
    ]
    assert result.audio_after_clear == [0] and clear.received_after_bytes == 480
    assert result.ended_by == "answered" and result.stop_sent


@pytest.mark.asyncio
async def test_a_clear_is_reported_as_a_barge_in_only_when_the_caller_was_talking() -> None:
    async def agent(stream: FakeStream) -> None:
        await stream.media(tone(8000))  # a 1 s greeting, cut by the server before anyone speaks
        await stream.next("media")
        await stream.send("clear")
        await stream.media(tone(16000))  # the answer, which the caller talks over
        await stream.next("media", loud)
        await stream.send("clear")
        await stream.next("media", lambda m: not loud(m))

    clears: list[dict[str, Any]] = []
    async with fake_twilio(agent) as fake:
        script = CallScript(caller_audio=tone(1600), barge_in_after_ms=400, hangup_after_ms=100, max_call_ms=4000)
        call = call_for(fake, on_event=lambda kind, data: clears.append(data) if kind == "clear" else None)
        result = await call.run(script)
    assert [clear["barge_in"] for clear in clears] == [False, True]
    assert call.result is result and len(result.clears) == 2


@pytest.mark.asyncio
async def test_server_closing_first_is_recorded_and_bad_messages_are_ignored() -> None:
    async def rude(stream: FakeStream) -> None:
        await stream.ws.send(json.dumps({"event": "media", "streamSid": "MZwrong"}))
        await stream.ws.send("not json")
        await stream.media(b"\x00" * 160)
        await stream.ws.close(4000, "bye")

    async with fake_twilio(rude) as fake:
        result = await call_for(fake).run(CallScript(caller_audio=b"", max_call_ms=5000))

    assert result.closed_by_server and result.ended_by == "server_closed"
    assert (result.close_code, result.close_reason) == (4000, "bye")
    assert not result.stop_sent and fake.streams[0].events("stop") == []
    assert len(result.protocol_errors) == 2 and result.received_audio_bytes == 160


@pytest.mark.asyncio
async def test_dtmf_and_max_call_ms() -> None:
    async with fake_twilio() as fake:
        script = CallScript(caller_audio=tone(160), dtmf=[(40, "1"), (60, "#")])
        script.max_call_ms = 200  # nobody speaks first, so the caller never talks
        result = await call_for(fake).run(script)

    stream = fake.streams[0]
    assert stream.events("dtmf") == [
        {
            "event": "dtmf",
            "sequenceNumber": "3",
            "streamSid": result.stream_sid,
            "dtmf": {"track": "inbound_track", "digit": "1"},
        },
        {
            "event": "dtmf",
            "sequenceNumber": "5",
            "streamSid": result.stream_sid,
            "dtmf": {"track": "inbound_track", "digit": "#"},
        },
    ]
    assert len(stream.events("media")) == 9 and not any(map(loud, stream.events("media")))
    assert result.ended_by == "max_call_ms" and result.utterance_started_ms is None
    assert result.dtmf_sent == ["1", "#"] and len(stream.events("stop")) == 1


@pytest.mark.asyncio
async def test_run_many_places_calls_concurrently() -> None:
    async with fake_twilio() as fake:
        calls = [(call_for(fake), CallScript(caller_audio=b"", max_call_ms=100)) for _ in range(3)]
        results = await run_many(calls)
    assert [r.call_sid for r in results] == [call.call_sid for call, _ in calls]
    assert all(isinstance(r, CallResult) and r.ended_by == "max_call_ms" for r in results)
    started = {stream.received[1]["start"]["callSid"] for stream in fake.streams}
    assert started == {call.call_sid for call, _ in calls}


# --- the default webhook poster over real HTTP ------------------------------------


class VoiceWebhook(BaseHTTPRequestHandler):
    seen: list[tuple[bool, dict[str, str]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        params = dict(parse_qsl(body))
        host, port = self.server.server_address[:2]
        url = f"http://{host}:{port}{self.path}"
        valid = RequestValidator(TOKEN).validate(url, params, self.headers.get("X-Twilio-Signature", ""))
        self.seen.append((valid, {**params, "User-Agent": self.headers["User-Agent"]}))
        response = VoiceResponse()
        response.say("Goodbye.")
        response.hangup()
        reply = str(response).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.mark.asyncio
async def test_default_poster_sends_a_form_twilio_would_sign() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), VoiceWebhook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base_url = f"http://127.0.0.1:{server.server_address[1]}"
        async with asyncio.timeout(TIMEOUT_S):
            result = await SimulatedCall(base_url, TOKEN).run(CallScript(caller_audio=b""))
    finally:
        server.shutdown()
        server.server_close()
    ((valid, params),) = VoiceWebhook.seen
    assert valid and params["CallSid"] == result.call_sid
    assert params["User-Agent"] == "TwilioProxy/1.1" and params["ApiVersion"] == "2010-04-01"
    assert result.refused and result.say_text == "Goodbye." and result.webhook_status == 200
