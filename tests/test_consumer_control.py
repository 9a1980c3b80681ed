"""The bridge and the carrier's REST API together: transfers, keypresses, hang-ups mid-answer.

The model is a fake (tests/fakes.py); Twilio's REST API is the local fake over real HTTP,
reached through TWILIO_API_URL as production reaches Twilio.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from calls.models import CallEvent, TranscriptItem
from calls.simulator.twilio_rest import Answer, FakeTwilioRest
from tools.models import ToolInvocation, ToolSetting

from .consumer_helpers import FRAME, closed, open_stream, refresh, start_message

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

ACCOUNT = "AC" + "3" * 32
DESK = "+15550100100"


@pytest.fixture
def twilio(settings):
    with FakeTwilioRest(ACCOUNT, settings.TWILIO_AUTH_TOKEN) as fake:
        settings.TWILIO_ACCOUNT_SID, settings.TWILIO_API_URL = ACCOUNT, fake.url
        yield fake


async def live_call(connector, call):
    communicator = await open_stream(call)
    await communicator.send_to(start_message(call.call_sid))
    await asyncio.wait_for(connector.connected.wait(), 5)
    model = connector.models[0]
    await model.wait_for("response.create")  # the greeting was asked for
    return communicator, model


async def ask_for_transfer(connector, incoming_call):
    """The model says its line and calls transfer_call in one answer; the line is played."""
    await ToolSetting.objects.acreate(
        agent_id=incoming_call.agent_id, tool="transfer_call", settings={"targets": {"front desk": DESK}}
    )
    communicator, model = await live_call(connector, incoming_call)
    model.emit(type="response.created", response={"id": "r1"})
    model.emit(type="response.output_audio.delta", response_id="r1", item_id="i1", delta=FRAME)
    model.emit(
        type="response.function_call_arguments.done", response_id="r1", item_id="f1", call_id="call_t",
        name="transfer_call", arguments='{"target": "front desk"}',
    )  # fmt: skip
    model.emit(type="response.done", response={"id": "r1", "status": "completed"})
    assert json.loads(await communicator.receive_from())["event"] == "media"
    mark = json.loads(await communicator.receive_from())
    await communicator.send_to(json.dumps({"event": "mark", "streamSid": "MZ1", "mark": mark["mark"]}))
    return communicator, model


async def test_a_transfer_the_carrier_accepts_ends_our_leg_as_transferred(connector, incoming_call, twilio):
    communicator, model = await ask_for_transfer(connector, incoming_call)
    (request,) = await asyncio.to_thread(twilio.wait_for_requests, 1)
    assert request.call_sid == incoming_call.call_sid and f"<Dial>{DESK}</Dial>" in request.form["Twiml"]
    assert await closed(communicator)
    await communicator.disconnect()
    call = await refresh(incoming_call)
    assert call.end_reason == "transferred" and call.end_detail == "transferred to front desk"
    assert not [m for m in model.sent if m["type"] == "conversation.item.create"]  # nobody left to answer


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (Answer(400, 21211, "Invalid 'To' Phone Number"), "Twilio 21211"),
        (Answer(500, None, "Internal error"), "Twilio 500"),
    ],
    ids=["4xx", "5xx"],
)
async def test_a_refused_transfer_keeps_the_caller_and_the_model_hears_why(
    connector, incoming_call, twilio, answer, reason
):
    twilio.answer(incoming_call.call_sid, answer)
    communicator, model = await ask_for_transfer(connector, incoming_call)
    (output,) = await model.wait_for("conversation.item.create")
    assert output["item"]["type"] == "function_call_output" and output["item"]["call_id"] == "call_t"
    error = json.loads(output["item"]["output"])["error"]
    assert error.startswith(f"transfer_failed: {reason}")
    await model.wait_for("response.create", count=2)  # "I couldn't put you through; can I take a message?"
    model.emit(type="response.output_audio.delta", response_id="r2", item_id="i2", delta=FRAME)
    assert json.loads(await communicator.receive_from())["event"] == "media"  # still connected, still talking
    await communicator.send_to(json.dumps({"event": "stop", "streamSid": "MZ1", "stop": {}}))
    assert await closed(communicator)
    await communicator.disconnect()
    call = await refresh(incoming_call)
    assert call.end_reason == "caller_hung_up"  # not "transferred": the caller was never cut off
    invocation = await ToolInvocation.objects.aget(call=call, provider_call_id="call_t")
    assert invocation.error.startswith(f"transfer_failed: {reason}")
    assert json.loads(invocation.result)["error"] == error
    event = await CallEvent.objects.aget(call=call, kind="transfer_failed")
    assert reason in event.detail and DESK in event.detail


async def test_a_keypress_is_answered_by_the_agent(connector, incoming_call):
    communicator, model = await live_call(connector, incoming_call)
    await communicator.send_to(
        json.dumps({"event": "dtmf", "streamSid": "MZ1", "dtmf": {"track": "inbound_track", "digit": "3"}})
    )
    (note,) = await model.wait_for("conversation.item.create")
    assert note["item"]["content"][0]["text"] == "The caller pressed the key 3."
    await model.wait_for("response.create", count=2)  # the greeting, then the answer to the key
    await communicator.send_to(json.dumps({"event": "stop", "streamSid": "MZ1", "stop": {}}))
    assert await closed(communicator)
    await communicator.disconnect()
    assert await TranscriptItem.objects.filter(
        call_id=incoming_call.pk, role="system", text__contains="key 3"
    ).aexists()


async def test_a_caller_hanging_up_mid_answer_stores_what_they_heard(connector, incoming_call):
    communicator, model = await live_call(connector, incoming_call)
    model.emit(type="response.created", response={"id": "r1"})
    model.emit(type="response.output_audio_transcript.delta", response_id="r1", item_id="i1", delta="Our hours are")
    for _ in range(50):  # 50 frames of 20 ms: a second of audio, queued at the carrier
        model.emit(type="response.output_audio.delta", response_id="r1", item_id="i1", delta=FRAME)
    for _ in range(100):  # media and mark for each
        await communicator.receive_from()
    await communicator.send_to(json.dumps({"event": "stop", "streamSid": "MZ1", "stop": {}}))
    assert await closed(communicator)
    await communicator.disconnect()
    turn = await TranscriptItem.objects.aget(call_id=incoming_call.pk, role="agent")
    assert turn.interrupted and turn.heard_ms is not None and turn.heard_ms < 1000
    assert turn.full_text == "Our hours are"
