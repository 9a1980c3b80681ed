"""The realtime stand-in, driven by a real websockets client over loopback.

No Django settings needed: the stand-in is plain asyncio. Servers bind port 0.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import random
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, ConnectionClosedError, InvalidStatus

from calls.audio import CLIP_TEXT, clip_ms, load_clip
from calls.standin import RealtimeStandin, StandinOptions, StandinSession
from calls.standin.vad import ULAW_TO_LINEAR, EnergyVad, VadEvent, frame_energy

KEY = "fake-test-standin-key"
LOUD = b"\x00" * 160  # 20 ms at full scale (µ-law 0x00 = -32124)
SILENCE = b"\xff" * 160  # 20 ms of digital silence (µ-law 0xFF = 0)
Event = dict[str, Any]


@contextlib.asynccontextmanager
async def connected(
    options: StandinOptions | None = None,
) -> AsyncIterator[tuple[RealtimeStandin, ClientConnection, StandinSession]]:
    """A running stand-in, a client connected to it (session.created consumed)."""
    async with RealtimeStandin(options=options) as standin:
        headers = {"Authorization": f"Bearer {KEY}"}
        async with connect(f"{standin.url}?model=gpt-realtime", additional_headers=headers) as ws:
            session = await standin.wait_for_session()
            assert (await recv(ws))["type"] == "session.created"
            yield standin, ws, session


async def recv(ws: ClientConnection) -> Event:
    async with asyncio.timeout(5):
        return json.loads(await ws.recv())


async def recv_until(ws: ClientConnection, event_type: str) -> list[Event]:
    """Server events up to and including the first one of ``event_type``."""
    events = [await recv(ws)]
    while events[-1]["type"] != event_type:
        events.append(await recv(ws))
    return events


async def send(ws: ClientConnection, event_type: str, **fields: Any) -> None:
    await ws.send(json.dumps({"type": event_type, **fields}))


async def append(ws: ClientConnection, audio: bytes, size: int = 160) -> None:
    for start in range(0, len(audio), size):
        chunk = base64.b64encode(audio[start : start + size]).decode()
        await send(ws, "input_audio_buffer.append", audio=chunk)


def types(events: list[Event]) -> list[str]:
    return [event["type"] for event in events]


def only(events: list[Event], event_type: str) -> Event:
    [event] = [e for e in events if e["type"] == event_type]
    return event


def audio_of(events: list[Event]) -> bytes:
    deltas = (e["delta"] for e in events if e["type"] == "response.output_audio.delta")
    return b"".join(base64.b64decode(d) for d in deltas)


# -- clips and VAD (pure) ------------------------------------------------------------


def test_clips_are_shipped_small_and_plausibly_long() -> None:
    for name in CLIP_TEXT:
        assert 0 < len(load_clip(name)) < 100_000, name
        assert len(load_clip(name)) % 160 == 0, name  # whole 20 ms Twilio frames
    assert 1500 <= clip_ms("caller_question") <= 2500
    assert 3000 <= clip_ms("answer") <= 4500
    with pytest.raises(KeyError):
        load_clip("../settings")


def test_ulaw_table_matches_g711() -> None:
    assert (ULAW_TO_LINEAR[0x00], ULAW_TO_LINEAR[0x80]) == (-32124, 32124)
    assert ULAW_TO_LINEAR[0xFF] == ULAW_TO_LINEAR[0x7F] == 0
    assert (ULAW_TO_LINEAR[0xFE], ULAW_TO_LINEAR[0x7E]) == (8, -8)
    assert frame_energy(SILENCE) == 0 and frame_energy(LOUD) == 32124


def test_vad_needs_three_frames_and_trailing_silence_across_odd_chunks() -> None:
    vad = EnergyVad(threshold=500, silence_ms=100)
    assert vad.feed(SILENCE * 2 + LOUD * 2 + SILENCE) == []  # a 40 ms blip is not speech
    audio = LOUD * 3 + SILENCE * 5
    events = [event for i in range(0, len(audio), 70) for event in vad.feed(audio[i : i + 70])]
    assert events == [VadEvent("speech_started", 100), VadEvent("speech_stopped", 260)]


def test_standin_package_imports_no_django() -> None:
    code = "import sys, calls.standin; print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


# -- handshake and session ------------------------------------------------------------


@pytest.mark.asyncio
async def test_handshake_records_model_and_key_and_sends_pcmu_session() -> None:
    async with RealtimeStandin() as standin:
        headers = {"Authorization": f"Bearer {KEY}"}
        async with connect(f"{standin.url}?model=gpt-realtime", additional_headers=headers) as ws:
            created = await recv(ws)
            session = await standin.wait_for_session()
    assert standin.url.startswith("ws://127.0.0.1:") and standin.url.endswith("/v1/realtime")
    assert (session.model, session.authorization) == ("gpt-realtime", f"Bearer {KEY}")
    assert created["type"] == "session.created" and created["event_id"].startswith("event_")
    assert created["session"]["type"] == "realtime" and created["session"]["model"] == "gpt-realtime"
    assert created["session"]["audio"]["input"]["format"] == {"type": "audio/pcmu"}
    assert created["session"]["audio"]["output"]["format"] == {"type": "audio/pcmu"}
    await asyncio.wait_for(session.closed.wait(), 5)
    assert standin.sessions == [session]


@pytest.mark.asyncio
async def test_session_update_merges_and_its_silence_duration_drives_the_vad() -> None:
    async with connected() as (_, ws, session):
        update = {"instructions": "Be brief.", "audio": {"input": {"turn_detection": {"silence_duration_ms": 700}}}}
        await send(ws, "session.update", session=update)
        updated = (await recv(ws))["session"]
        await append(ws, LOUD * 10 + SILENCE * 30)  # 200 ms speech, 600 ms silence
        await send(ws, "conversation.item.create", item={"type": "message", "role": "user", "content": []})
        before = await recv_until(ws, "conversation.item.added")
        await append(ws, SILENCE * 5)  # 700 ms of silence now
        after = await recv_until(ws, "input_audio_buffer.speech_stopped")
    assert session.session_updates == [update]
    assert updated["instructions"] == "Be brief." and updated["audio"]["input"]["format"]["type"] == "audio/pcmu"
    assert updated["audio"]["input"]["turn_detection"]["silence_duration_ms"] == 700
    assert types(before) == ["input_audio_buffer.speech_started", "conversation.item.added"]
    assert before[0]["audio_start_ms"] == 0 and after[-1]["audio_end_ms"] == 900


# -- responses ---------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_response_create_streams_the_greeting_clip_with_its_transcript() -> None:
    async with connected() as (_, ws, session):
        await send(ws, "response.create")
        events = await recv_until(ws, "response.done")
    clip, text = load_clip("greeting"), CLIP_TEXT["greeting"]
    assert types(events)[:4] == [
        "response.created",
        "response.output_item.added",
        "conversation.item.added",
        "response.content_part.added",
    ]
    assert types(events)[-5:] == [
        "response.output_audio.done",
        "response.output_audio_transcript.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.done",
    ]
    assert audio_of(events) == clip
    deltas = [e for e in events if e["type"].endswith("delta")]
    assert "".join(e["delta"] for e in deltas if "transcript" in e["type"]) == text
    assert only(events, "response.output_audio_transcript.done")["transcript"] == text
    item_id = only(events, "response.output_item.added")["item"]["id"]
    assert {(e["item_id"], e["output_index"], e["content_index"]) for e in deltas} == {(item_id, 0, 0)}
    assert session.audio_sent == {item_id: len(clip)}
    done = events[-1]["response"]
    assert done["status"] == "completed" and done["output"][0]["content"][0]["transcript"] == text
    assert done["usage"]["output_token_details"]["audio_tokens"] == len(clip) // 8 // 50
    assert len({e["event_id"] for e in events}) == len(events)


@pytest.mark.asyncio
async def test_input_audio_is_recorded_byte_for_byte_and_wait_for_returns_in_order() -> None:
    data = random.Random(7).randbytes(5003)
    async with connected(StandinOptions(vad_threshold=10**6)) as (_, ws, session):
        await append(ws, data, size=997)
        first = await session.wait_for("input_audio_buffer.append")
        second = await session.wait_for("input_audio_buffer.append")
        await send(ws, "input_audio_buffer.clear")
        assert (await recv(ws))["type"] == "input_audio_buffer.cleared"
    assert bytes(session.input_audio) == data
    assert base64.b64decode(first["audio"]) + base64.b64decode(second["audio"]) == data[:1994]
    assert session.received_types == ["input_audio_buffer.append"] * 6 + ["input_audio_buffer.clear"]


@pytest.mark.asyncio
async def test_caller_clip_ends_a_turn_that_is_transcribed_and_answered() -> None:
    async with connected() as (_, ws, _session):
        await append(ws, load_clip("caller_question") + SILENCE * 30)
        events = await recv_until(ws, "response.done")
    assert types(events)[:6] == [
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.input_audio_transcription.completed",
        "response.created",
    ]
    started, stopped, committed, added, transcribed = events[:5]
    assert {started["item_id"], stopped["item_id"], committed["item_id"], transcribed["item_id"]} == {
        added["item"]["id"]
    }
    assert added["item"]["role"] == "user" and committed["previous_item_id"] is None
    assert 0 <= started["audio_start_ms"] < 300
    assert clip_ms("caller_question") <= stopped["audio_end_ms"] <= clip_ms("caller_question") + 600
    assert transcribed["transcript"] == CLIP_TEXT["caller_question"]
    assert audio_of(events) == load_clip("answer") and events[-1]["response"]["status"] == "completed"


@pytest.mark.asyncio
async def test_no_transcription_event_when_transcription_is_switched_off() -> None:
    async with connected() as (_, ws, _session):
        await send(ws, "session.update", session={"audio": {"input": {"transcription": None}}})
        await recv(ws)
        await append(ws, LOUD * 5 + SILENCE * 20)
        events = await recv_until(ws, "response.created")
    assert "conversation.item.input_audio_transcription.completed" not in types(events)
    assert "input_audio_buffer.committed" in types(events)


@pytest.mark.asyncio
async def test_cancel_mid_stream_ends_cancelled_and_no_delta_follows() -> None:
    async with connected(StandinOptions(pace=0.05)) as (_, ws, session):
        await send(ws, "response.create")
        events = await recv_until(ws, "response.output_audio.delta")
        await send(ws, "response.cancel")
        events += await recv_until(ws, "response.done")
        await send(ws, "response.cancel")  # nothing active any more
        after = await recv_until(ws, "error")
    done = events[-1]["response"]
    assert done["status"] == "cancelled" and done["status_details"]["reason"] == "client_cancelled"
    assert done["usage"]["output_tokens"] > 0
    assert not {"response.output_audio.done", "response.output_item.done"} & set(types(events))
    assert types(after) == ["error"] and after[0]["error"]["code"] == "response_cancel_not_active"
    item_id = done["output"][0]["id"]
    assert session.audio_sent[item_id] == len(audio_of(events)) < len(load_clip("greeting"))
    assert session.cancels == 2


@pytest.mark.asyncio
async def test_second_response_create_while_streaming_is_an_error() -> None:
    async with connected(StandinOptions(pace=0.05)) as (_, ws, _session):
        await send(ws, "response.create")
        await recv_until(ws, "response.output_audio.delta")
        await send(ws, "response.create")
        events = await recv_until(ws, "error")
    assert events[-1]["error"]["type"] == "invalid_request_error"
    assert events[-1]["error"]["code"] == "conversation_already_has_active_response"
    assert types(events).count("response.created") == 0


@pytest.mark.asyncio
async def test_caller_speech_during_a_response_barges_in_and_gets_an_answer() -> None:
    async with connected(StandinOptions(pace=0.05)) as (_, ws, session):
        await send(ws, "response.create")
        greeting = await recv_until(ws, "response.output_audio.delta")
        await append(ws, LOUD * 5)
        interrupted = await recv_until(ws, "response.done")
        await append(ws, SILENCE * 25)
        answer = await recv_until(ws, "response.output_audio.delta")
    done = interrupted[-1]["response"]
    assert "input_audio_buffer.speech_started" in types(interrupted)  # and so before response.done
    assert done["status"] == "cancelled" and done["status_details"]["reason"] == "turn_detected"
    assert session.cancels == 0
    greeting_item = only(greeting, "response.output_item.added")["item"]["id"]
    assert only(answer, "input_audio_buffer.committed")["previous_item_id"] == greeting_item
    assert only(answer, "response.created")["response"]["id"] != done["id"]
    assert audio_of(answer) == load_clip("answer")[:800]


# -- truncation and other client events ------------------------------------------------------


@pytest.mark.asyncio
async def test_truncate_within_sent_audio_is_confirmed_and_beyond_it_is_an_error() -> None:
    async with connected() as (_, ws, session):
        await send(ws, "response.create")
        item_id = (await recv_until(ws, "response.done"))[-1]["response"]["output"][0]["id"]
        full_ms = len(load_clip("greeting")) // 8
        replies = []
        for item, end_ms in ((item_id, 1000), (item_id, full_ms), (item_id, full_ms + 1), ("item_nope", 10)):
            await send(ws, "conversation.item.truncate", item_id=item, content_index=0, audio_end_ms=end_ms)
            replies.append(await recv(ws))
    ok, boundary, too_long, unknown = replies
    assert ok == {
        **ok,
        "type": "conversation.item.truncated",
        "item_id": item_id,
        "content_index": 0,
        "audio_end_ms": 1000,
    }
    assert boundary["type"] == "conversation.item.truncated"
    assert too_long["type"] == "error" and too_long["error"]["type"] == "invalid_request_error"
    assert "audio_end_ms" in too_long["error"]["message"]
    assert unknown["error"]["code"] == "item_truncate_invalid_item_id"
    assert [t["audio_end_ms"] for t in session.truncates] == [1000, full_ms, full_ms + 1, 10]


@pytest.mark.asyncio
async def test_item_create_gets_an_id_and_unknown_events_get_an_error() -> None:
    async with connected() as (_, ws, session):
        await send(ws, "conversation.item.create", item={"type": "message", "role": "user", "content": []})
        first = await recv(ws)
        await ws.send(json.dumps({"type": "no.such.event", "event_id": "evt_client_1"}))
        error = await recv(ws)
        await send(ws, "conversation.item.create", item={"id": "item_mine", "type": "message", "role": "user"})
        second = await recv(ws)
    assert first["type"] == "conversation.item.added" and first["item"]["id"].startswith("item_")
    assert first["previous_item_id"] is None and second["previous_item_id"] == first["item"]["id"]
    assert second["item"]["id"] == "item_mine"
    assert (error["error"]["code"], error["error"]["event_id"]) == ("unknown_event", "evt_client_1")
    assert list(session.items) == [first["item"]["id"], "item_mine"]


@pytest.mark.asyncio
async def test_malformed_json_gets_an_error_and_the_socket_stays_open() -> None:
    async with connected() as (_, ws, session):
        await ws.send("{not json")
        error = await recv(ws)
        await send(ws, "session.update", session={"instructions": "still here"})
        updated = await recv(ws)
    assert error["type"] == "error" and error["error"]["type"] == "invalid_request_error"
    assert updated["type"] == "session.updated" and updated["session"]["instructions"] == "still here"
    assert session.received_types == ["session.update"]


# -- fault injection and lifecycle -------------------------------------------------------------


@pytest.mark.asyncio
async def test_refuse_answers_the_handshake_with_503() -> None:
    async with RealtimeStandin(options=StandinOptions(refuse=True)) as standin:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(f"{standin.url}?model=gpt-realtime"):
                pass
    assert refused.value.response.status_code == 503
    assert standin.sessions == [] and standin.refused == 1


@pytest.mark.asyncio
async def test_close_after_events_closes_with_1011_after_that_many_events() -> None:
    async with connected(StandinOptions(close_after_events=3)) as (_, ws, session):
        await send(ws, "response.create")
        events = [await recv(ws), await recv(ws)]
        with pytest.raises(ConnectionClosedError) as closed:
            await recv(ws)
        await asyncio.wait_for(session.closed.wait(), 5)
    assert types(events) == ["response.created", "response.output_item.added"]
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1011


@pytest.mark.asyncio
async def test_sessions_are_returned_in_connection_order_and_stop_closes_them() -> None:
    standin = RealtimeStandin()
    await standin.start()
    try:
        async with connect(f"{standin.url}?model=a") as ws_a, connect(f"{standin.url}?model=b") as ws_b:
            first, second = await standin.wait_for_session(), await standin.wait_for_session()
            await recv(ws_a), await recv(ws_b)
            await standin.stop()
            with pytest.raises(ConnectionClosed) as gone:
                await recv(ws_a)
    finally:
        await standin.stop()
    assert (first.model, second.model) == ("a", "b") and first.closed.is_set() and second.closed.is_set()
    assert gone.value.rcvd is not None and gone.value.rcvd.code == 1001  # going away
    with pytest.raises(TimeoutError):
        await standin.wait_for_session(timeout=0.01)
