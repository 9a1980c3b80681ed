"""The media-stream consumer through Channels' WebsocketCommunicator, with a fake model."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from calls import services
from calls.consumers import MediaStreamConsumer
from calls.models import CallEvent, CallStatus, TranscriptItem
from calls.routing import media_stream_path
from calls.tokens import issue_stream_token
from voiceagent.asgi import application

from .consumer_helpers import (
    FRAME,
    closed,
    media,
    open_stream,
    refresh,
    signed_handshake,
    start_message,
)
from .fakes import FakeConnector

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def test_a_call_is_bridged_both_ways_and_recorded(connector, incoming_call):
    communicator = await open_stream(incoming_call)
    await asyncio.wait_for(connector.connected.wait(), 5)
    model = connector.models[0]
    (update,) = await model.wait_for("session.update")
    assert connector.requested == ["gpt-realtime"]
    assert update["session"]["audio"]["input"]["format"] == {"type": "audio/pcmu"}
    assert "Jordan" in update["session"]["instructions"]  # what staff know about the caller

    await communicator.send_to(start_message(incoming_call.call_sid))
    (greeting,) = await model.wait_for("response.create")
    assert "Hello from Acme!" in greeting["response"]["instructions"]

    await communicator.send_to(media())
    (append,) = await model.wait_for("input_audio_buffer.append")
    assert append["audio"] == FRAME  # byte for byte

    model.emit(type="response.created", response={"id": "r1"})
    model.emit(type="response.output_audio.delta", response_id="r1", item_id="i1", delta=FRAME)
    out = json.loads(await communicator.receive_from())
    assert out == {"event": "media", "streamSid": "MZ1", "media": {"payload": FRAME}}
    mark = json.loads(await communicator.receive_from())
    assert mark["event"] == "mark"
    model.emit(type="response.output_audio_transcript.done", response_id="r1", item_id="i1", transcript="Hi there.")
    model.emit(type="response.done", response={"id": "r1", "status": "completed", "usage": {"total_tokens": 42}})

    await communicator.send_to(json.dumps({"event": "mark", "streamSid": "MZ1", "mark": mark["mark"]}))
    await communicator.send_to(json.dumps({"event": "stop", "streamSid": "MZ1", "stop": {}}))
    assert (await communicator.receive_output(5))["type"] == "websocket.close"
    await asyncio.wait_for(model.closed.wait(), 5)
    await communicator.disconnect()

    call = await refresh(incoming_call)
    assert call.status == CallStatus.COMPLETED and call.end_reason == "caller_hung_up"
    assert call.stream_sid == "MZ1" and call.total_tokens == 42 and call.answered_at and call.ended_at
    texts = [t async for t in TranscriptItem.objects.filter(call=call).values_list("role", "text")]
    assert texts == [("agent", "Hi there.")]


async def refused(communicator: WebsocketCommunicator) -> bool:
    connected, _ = await communicator.connect()
    await communicator.disconnect()
    return not connected


async def test_a_reused_token_is_refused_at_the_handshake_and_recorded(connector, incoming_call):
    token = issue_stream_token(incoming_call.call_sid)
    genuine = await open_stream(incoming_call, token)
    assert await refused(signed_handshake(media_stream_path("twilio", incoming_call.call_sid, token)))
    assert len(connector.requested) == 1  # only the genuine stream's model session
    detail = (
        await CallEvent.objects.filter(call=incoming_call, kind="stream_rejected")
        .values_list("detail", flat=True)
        .afirst()
    )
    assert "already used" in detail
    await genuine.send_to(start_message(incoming_call.call_sid))
    await connector.models[0].wait_for("response.create")  # the replay did not disturb the genuine call
    await genuine.disconnect()


async def test_a_token_for_another_call_is_refused_at_the_handshake(connector, incoming_call):
    path = media_stream_path("twilio", incoming_call.call_sid, issue_stream_token("CA-someone-else"))
    assert await refused(signed_handshake(path))
    assert connector.requested == []
    assert (await refresh(incoming_call)).status == CallStatus.CONNECTING  # the genuine stream may still come
    assert await CallEvent.objects.filter(call=incoming_call, kind="stream_rejected").aexists()


async def test_a_start_naming_another_call_ends_the_stream_unanswered(connector, incoming_call):
    communicator = await open_stream(incoming_call)
    await communicator.send_to(start_message("CA-someone-else"))
    assert await closed(communicator)  # the core refused the start; the runner closed the socket
    await communicator.disconnect()
    call = await refresh(incoming_call)
    assert call.end_reason == "stream_rejected" and call.answered_at is None  # never live
    details = CallEvent.objects.filter(call=incoming_call, kind="stream_rejected").values_list("detail", flat=True)
    assert [d async for d in details] == ["start for another call (CA-someone-else)"]


async def test_a_stream_url_without_a_token_is_refused(connector, incoming_call):
    assert await refused(signed_handshake(f"/twilio/media/{incoming_call.call_sid}/"))
    assert connector.requested == []
    assert await CallEvent.objects.filter(call=incoming_call, kind="stream_rejected").aexists()


async def test_a_stream_for_an_unknown_call_is_rejected_at_the_handshake(connector, db):
    assert await refused(signed_handshake(media_stream_path("twilio", "CA-unknown", issue_stream_token("CA-unknown"))))
    assert await CallEvent.objects.filter(kind="stream_rejected", call=None).aexists()
    assert connector.requested == []  # no model session was opened


@pytest.mark.parametrize("signature", [None, "Zm9yZ2VkIHNpZ25hdHVyZQ=="], ids=["unsigned", "forged"])
async def test_an_unsigned_or_forged_handshake_is_refused_and_creates_nothing(connector, incoming_call, signature):
    path = media_stream_path("twilio", incoming_call.call_sid, issue_stream_token(incoming_call.call_sid))
    if signature is None:
        communicator = WebsocketCommunicator(application, path, headers=[(b"host", b"testserver")])
    else:
        communicator = signed_handshake(path, signature=signature)
    assert await refused(communicator)
    assert connector.requested == []
    assert not await CallEvent.objects.aexists()
    call = await refresh(incoming_call)
    assert call.stream_token_used_at is None  # the token was not spent by a stranger


async def test_a_start_for_another_call_ends_the_stream_and_is_recorded(connector, incoming_call):
    communicator = await open_stream(incoming_call)
    await communicator.send_to(start_message("CA-someone-else"))
    assert (await communicator.receive_output(5))["type"] == "websocket.close"
    await communicator.disconnect()
    await asyncio.wait_for(connector.models[0].closed.wait(), 5)
    call = await refresh(incoming_call)
    assert call.end_reason == "stream_rejected" and call.ended_at is not None
    assert await CallEvent.objects.filter(call=call, kind="stream_rejected", detail__contains="another call").aexists()


async def test_a_stream_that_never_starts_is_closed_and_recorded(connector, incoming_call, settings):
    settings.STREAM_START_TIMEOUT = 0.2
    communicator = await open_stream(incoming_call)
    assert (await communicator.receive_output(5))["type"] == "websocket.close"
    await communicator.disconnect()
    await asyncio.wait_for(connector.models[0].closed.wait(), 5)  # its model session is not left open
    call = await refresh(incoming_call)
    assert call.end_reason == "no_stream" and call.ended_at is not None
    assert await CallEvent.objects.filter(call=call, kind="stream_rejected", detail="no start within 0.2 s").aexists()


@pytest.mark.parametrize(
    "bad_frame",
    ["{not json", media(payload="%%%not-base64%%%"), media(payload=base64.b64encode(b"\xff" * 9000).decode())],
    ids=["malformed-json", "invalid-base64", "oversized"],
)
async def test_a_malformed_frame_ends_that_call_politely_and_keeps_what_was_said(connector, incoming_call, bad_frame):
    communicator = await open_stream(incoming_call)
    await communicator.send_to(start_message(incoming_call.call_sid))
    await asyncio.wait_for(connector.connected.wait(), 5)
    model = connector.models[0]
    await model.wait_for("response.create")
    model.emit(type="conversation.item.input_audio_transcription.completed", item_id="u1", transcript="Hello?")
    model.emit(type="input_audio_buffer.speech_started", item_id="u2")
    await model.wait_for("response.create")  # events are processed in order: the transcript is queued
    await communicator.send_to(bad_frame)
    apology = json.loads(await communicator.receive_from())
    assert apology["event"] == "media"  # the apology clip
    while (message := json.loads(await communicator.receive_from()))["event"] == "media":
        pass
    assert message == {"event": "mark", "streamSid": "MZ1", "mark": {"name": "farewell"}}
    await communicator.send_to(json.dumps({"event": "mark", "streamSid": "MZ1", "mark": {"name": "farewell"}}))
    assert (await communicator.receive_output(5))["type"] == "websocket.close"
    await communicator.disconnect()
    call = await refresh(incoming_call)
    assert call.end_reason == "bad_stream" and call.status == CallStatus.FAILED
    assert await TranscriptItem.objects.filter(call=call, text="Hello?").aexists()
    assert await CallEvent.objects.filter(call=call, kind="bad_frame").aexists()


async def test_model_unreachable_the_caller_hears_the_apology_and_the_reason_is_stored(monkeypatch, incoming_call):
    connector = FakeConnector(error=ConnectionRefusedError())
    monkeypatch.setattr(MediaStreamConsumer, "model_connector_factory", staticmethod(lambda: connector))
    communicator = await open_stream(incoming_call)
    await communicator.send_to(start_message(incoming_call.call_sid))
    first = json.loads(await communicator.receive_from())
    assert first["event"] == "media"
    await communicator.send_to(json.dumps({"event": "stop", "streamSid": "MZ1", "stop": {}}))
    assert await closed(communicator)
    await communicator.disconnect()
    call = await refresh(incoming_call)
    assert call.end_reason == "model_unavailable"
    assert "ConnectionRefusedError" in call.end_detail


async def test_model_dropping_mid_call_apologises_and_ends(connector, incoming_call):
    communicator = await open_stream(incoming_call)
    await communicator.send_to(start_message(incoming_call.call_sid))
    await asyncio.wait_for(connector.connected.wait(), 5)
    model = connector.models[0]
    await model.wait_for("response.create")
    model.hang_up()
    assert json.loads(await communicator.receive_from())["event"] == "media"
    await communicator.disconnect()  # the caller hangs up during the apology
    call = await refresh(incoming_call)
    assert call.end_reason == "model_closed" and call.ended_at is not None


async def test_the_socket_dropping_without_stop_closes_the_model_session(connector, incoming_call):
    communicator = await open_stream(incoming_call)
    await communicator.send_to(start_message(incoming_call.call_sid))
    await asyncio.wait_for(connector.connected.wait(), 5)
    model = connector.models[0]
    await model.wait_for("response.create")
    await communicator.disconnect()  # no stop: the carrier's socket just went away
    await asyncio.wait_for(model.closed.wait(), 1)  # nothing stays open (and billed) behind a dead call
    call = await refresh(incoming_call)
    assert call.end_reason == "carrier_disconnected" and call.status == CallStatus.COMPLETED


async def test_the_call_is_ended_politely_at_the_agent_s_maximum_length(connector, incoming_call):
    agent = await sync_to_async(lambda: incoming_call.agent)()  # read again when the stream opens
    agent.max_call_seconds = 1
    await agent.asave()
    communicator = await open_stream(incoming_call)
    await communicator.send_to(start_message(incoming_call.call_sid))
    while (message := json.loads(await communicator.receive_from(5)))["event"] != "mark":
        assert message["event"] == "media"  # the goodbye clip
    assert message["mark"]["name"] == "farewell"
    await communicator.send_to(json.dumps({"event": "mark", "streamSid": "MZ1", "mark": {"name": "farewell"}}))
    assert await closed(communicator)
    await communicator.disconnect()
    assert (await refresh(incoming_call)).end_reason == "max_duration"


async def test_staff_hang_up_crosses_the_channel_layer_and_ends_the_call_with_a_goodbye(connector, incoming_call):
    from channels.layers import get_channel_layer

    from calls.live import LIVE_GROUP

    layer = get_channel_layer()
    watcher = await layer.new_channel()
    await layer.group_add(LIVE_GROUP, watcher)
    communicator = await open_stream(incoming_call)
    await communicator.send_to(start_message(incoming_call.call_sid))
    assert (await asyncio.wait_for(layer.receive(watcher), 5))["state"] == "started"
    model = (await asyncio.wait_for(connector.connected.wait(), 5), connector.models[0])[1]
    model.emit(type="conversation.item.input_audio_transcription.completed", item_id="u1", transcript="Hi")
    live = await asyncio.wait_for(layer.receive(watcher), 5)
    assert live["type"] == "live.transcript" and live["entry"]["text"] == "Hi"

    assert await sync_to_async(services.call_request_hangup)(call_sid=incoming_call.call_sid, username="olivia")
    while (message := json.loads(await communicator.receive_from(5)))["event"] != "mark":
        assert message["event"] == "media"  # the goodbye
    # While the goodbye plays the call is "ending" for every staff page, not yet ended.
    ending = await asyncio.wait_for(layer.receive(watcher), 5)
    assert (ending["state"], ending["reason"]) == ("ending", "staff_ended")
    assert (await refresh(incoming_call)).status == "in_progress"
    await communicator.send_to(json.dumps({"event": "mark", "streamSid": "MZ1", "mark": {"name": "farewell"}}))
    assert await closed(communicator)
    await communicator.disconnect()
    ended = await asyncio.wait_for(layer.receive(watcher), 5)
    assert (ended["state"], ended["reason"]) == ("ended", "staff_ended")
    call = await refresh(incoming_call)
    assert (call.end_reason, call.ended_by, call.end_detail) == ("staff_ended", "olivia", "ended by olivia")


async def test_the_model_s_socket_opens_while_the_call_joins_its_group(connector, incoming_call, monkeypatch):
    """The model's handshake overlaps the join's round trip to the channel layer, not after it."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    group_add, joined = layer.group_add, asyncio.Event()
    seen_while_joining = []

    async def slow_group_add(group, channel):
        # A slow round trip to the layer. Were the model connected only after the join, this would
        # wait out the second and record False.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(connector.connected.wait(), 1)
        seen_while_joining.append(connector.connected.is_set())
        await group_add(group, channel)
        joined.set()

    monkeypatch.setattr(layer, "group_add", slow_group_add)
    communicator = await open_stream(incoming_call)  # returns at the accept, before the join
    await asyncio.wait_for(joined.wait(), 5)
    assert seen_while_joining == [True]
    await communicator.send_to(start_message(incoming_call.call_sid))
    (update,) = await connector.models[0].wait_for("session.update")
    assert update["session"]["instructions"]
    await communicator.disconnect()


async def test_audio_frames_never_hop_to_the_database_thread(connector, incoming_call, monkeypatch):
    import channels.consumer

    hops = 0

    async def counting_close_old_connections():
        nonlocal hops
        hops += 1

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counting_close_old_connections)
    communicator = await open_stream(incoming_call)
    await communicator.send_to(start_message(incoming_call.call_sid))
    await asyncio.wait_for(connector.connected.wait(), 5)
    model = connector.models[0]
    for _ in range(50):
        await communicator.send_to(media())
    await model.wait_for("input_audio_buffer.append", count=50)
    assert hops == 0
    await communicator.disconnect()


async def test_end_call_tool_runs_and_the_line_closes_only_after_the_goodbye_is_heard(connector, incoming_call):
    from tools.models import ToolInvocation, ToolSetting

    await ToolSetting.objects.acreate(agent_id=incoming_call.agent_id, tool="end_call")
    communicator = await open_stream(incoming_call)
    await communicator.send_to(start_message(incoming_call.call_sid))
    await asyncio.wait_for(connector.connected.wait(), 5)
    model = connector.models[0]
    (update,) = await model.wait_for("session.update")
    assert [tool["name"] for tool in update["session"]["tools"]] == ["end_call"]
    await model.wait_for("response.create")  # the greeting
    model.emit(
        type="response.function_call_arguments.done", response_id="r1", item_id="f1", call_id="call_9",
        name="end_call", arguments="{}",
    )  # fmt: skip
    (output,) = await model.wait_for("conversation.item.create")
    assert output["item"]["type"] == "function_call_output" and output["item"]["call_id"] == "call_9"
    await model.wait_for("response.create", count=2)  # the model is asked for its goodbye
    model.emit(type="response.created", response={"id": "bye"})
    model.emit(type="response.output_audio.delta", response_id="bye", item_id="g1", delta=FRAME)
    model.emit(type="response.done", response={"id": "bye", "status": "completed"})
    assert json.loads(await communicator.receive_from())["event"] == "media"
    mark = json.loads(await communicator.receive_from())
    assert await communicator.receive_nothing(0.2)  # still open: the goodbye is not heard yet
    await communicator.send_to(json.dumps({"event": "mark", "streamSid": "MZ1", "mark": mark["mark"]}))
    assert await closed(communicator)
    await communicator.disconnect()
    call = await refresh(incoming_call)
    assert call.end_reason == "agent_ended"
    invocation = await ToolInvocation.objects.aget(call=call)
    assert (invocation.name, invocation.error, invocation.provider_call_id) == ("end_call", "", "call_9")
    assert await TranscriptItem.objects.filter(call=call, role="tool", text__startswith="end_call").aexists()


async def test_calls_go_on_when_redis_is_down(connector, incoming_call, settings):
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "voiceagent.layers.ResilientRedisChannelLayer",
            "CONFIG": {"hosts": [{"address": "redis://127.0.0.1:1/0", "socket_connect_timeout": 0.2}]},
        }
    }
    channel_layers.backends.clear()  # build the layer from the settings above
    try:
        communicator = await open_stream(incoming_call)
        await communicator.send_to(start_message(incoming_call.call_sid))
        await asyncio.wait_for(connector.connected.wait(), 5)
        model = connector.models[0]
        await communicator.send_to(media())
        (append,) = await model.wait_for("input_audio_buffer.append")
        assert append["audio"] == FRAME
        model.emit(type="response.output_audio.delta", response_id="r1", item_id="i1", delta=FRAME)
        assert json.loads(await communicator.receive_from())["event"] == "media"
        await communicator.send_to(json.dumps({"event": "stop", "streamSid": "MZ1", "stop": {}}))
        assert await closed(communicator)
        await communicator.disconnect()
    finally:
        channel_layers.backends.clear()
    assert (await refresh(incoming_call)).end_reason == "caller_hung_up"


async def test_a_model_that_never_answers_the_handshake_times_out_into_the_apology(
    monkeypatch, incoming_call, settings
):
    class Silent:
        async def __call__(self, *, model: str, timeout: float):
            await asyncio.Event().wait()  # never connects

    settings.REALTIME_CONNECT_TIMEOUT = 0.2
    monkeypatch.setattr(MediaStreamConsumer, "model_connector_factory", staticmethod(Silent))
    communicator = await open_stream(incoming_call)
    await communicator.send_to(start_message(incoming_call.call_sid))
    assert json.loads(await communicator.receive_from(5))["event"] == "media"  # the apology
    await communicator.send_to(json.dumps({"event": "stop", "streamSid": "MZ1", "stop": {}}))
    assert await closed(communicator)
    await communicator.disconnect()
    call = await refresh(incoming_call)
    assert call.end_reason == "model_unavailable" and "TimeoutError" in call.end_detail


@pytest.fixture
def consumer_errors():
    """ERROR records of calls.consumers, as they are logged (on the event loop, by the listener task)."""
    records: asyncio.Queue[logging.LogRecord] = asyncio.Queue()

    class Errors(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.put_nowait(record)

    handler = Errors(logging.ERROR)
    logging.getLogger("calls.consumers").addHandler(handler)
    yield records
    logging.getLogger("calls.consumers").removeHandler(handler)


async def test_a_staff_command_that_fails_is_logged_and_the_call_goes_on(connector, incoming_call, consumer_errors):
    from channels.layers import get_channel_layer

    from calls.live import call_group

    communicator = await open_stream(incoming_call)
    await communicator.send_to(start_message(incoming_call.call_sid))
    await asyncio.wait_for(connector.connected.wait(), 5)
    model = connector.models[0]
    await get_channel_layer().group_send(call_group(incoming_call.call_sid), {"type": "call.no_such_command"})
    record = await asyncio.wait_for(consumer_errors.get(), 5)
    assert record.getMessage() == "staff command call.no_such_command failed"
    assert record.exc_info[0] is ValueError
    await communicator.send_to(media())
    (append,) = await model.wait_for("input_audio_buffer.append")
    assert append["audio"] == FRAME  # the caller's audio still reaches the model
    assert (await refresh(incoming_call)).status == CallStatus.IN_PROGRESS
    await communicator.disconnect()


async def test_a_channel_layer_that_fails_is_logged_and_retried_and_the_call_ends_cleanly(
    connector, incoming_call, monkeypatch, consumer_errors
):
    from channels.layers import get_channel_layer

    async def undecodable(channel: str) -> dict:
        raise ValueError("a message the layer could not decode")

    monkeypatch.setattr(get_channel_layer(), "receive", undecodable)
    communicator = await open_stream(incoming_call)
    await communicator.send_to(start_message(incoming_call.call_sid))
    await asyncio.wait_for(connector.connected.wait(), 5)
    first, again = [await asyncio.wait_for(consumer_errors.get(), 5) for _ in range(2)]  # retried after 0.1 s
    assert (
        first.getMessage()
        == again.getMessage()
        == ("staff commands for this call: the channel layer failed (ValueError)")
    )
    await communicator.send_to(media())
    (append,) = await connector.models[0].wait_for("input_audio_buffer.append")
    assert append["audio"] == FRAME
    await communicator.disconnect()  # raises if the application ended with an exception
    assert (await refresh(incoming_call)).end_reason == "carrier_disconnected"  # closed without stop
