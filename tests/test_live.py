"""The staff live page: its websocket (who may listen, what arrives), the page, and hang-up."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from calls.bridge.actions import TranscriptEntry
from calls.live import LIVE_GROUP, call_group, call_state_message, transcript_message
from calls.models import Call, CallStatus, TranscriptItem
from voiceagent.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)

SID = "CA" + "5" * 32


@pytest.fixture
def live_call(demo_number, demo_caller) -> Call:
    demo_number.label = "Main line"
    demo_number.save()
    call = Call.objects.create(
        call_sid=SID,
        from_number=demo_caller.number,
        to_number=demo_number.number,
        agent=demo_number.agent,
        phone_number=demo_number,
        caller=demo_caller,
        status=CallStatus.IN_PROGRESS,
    )
    TranscriptItem.objects.create(call=call, order=0, role="agent", text="Hello from Acme!", provider_item_id="it0")
    return call


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def open_feed(cookie: bytes | None) -> tuple[WebsocketCommunicator, bool]:
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if cookie:
        headers.append((b"cookie", cookie))
    communicator = WebsocketCommunicator(application, "/ws/live/", headers=headers)
    connected, _ = await communicator.connect()
    return communicator, connected


# --- The websocket -----------------------------------------------------------------------


@pytest.mark.asyncio
async def test_staff_receive_a_transcript_line_as_it_is_published(operator, live_call):
    communicator, connected = await open_feed(await sync_to_async(session_cookie)(operator))
    assert connected
    entry = TranscriptEntry(key="it1", order=1, role="caller", text="What are your hours?", offset_ms=4300)
    await get_channel_layer().group_send(LIVE_GROUP, transcript_message(SID, entry))
    message = await communicator.receive_json_from(5)
    assert message == {
        "type": "live.transcript",
        "call_sid": SID,
        "entry": {
            "key": "it1",
            "order": 1,
            "role": "caller",
            "text": "What are your hours?",
            "offset_ms": 4300,
            "full_text": "",
            "interrupted": False,
            "heard_ms": None,
        },
    }
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_a_call_starting_arrives_with_who_is_calling(operator, live_call):
    communicator, connected = await open_feed(await sync_to_async(session_cookie)(operator))
    assert connected
    await get_channel_layer().group_send(LIVE_GROUP, call_state_message(SID, "started"))
    message = await communicator.receive_json_from(5)
    assert (message["type"], message["state"]) == ("live.call", "started")
    call = message["call"]
    assert call["caller"] == "Jordan" and call["agent"] == "Receptionist"
    assert (call["caller_name"], call["from_number"], call["to_number"]) == ("Jordan", "+15550100001", "+15005550006")
    assert call["line"] == "Main line" and call["elapsed_ms"] >= 0
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_a_call_ending_then_ended_arrive_as_they_are_published_without_a_lookup(operator, live_call):
    communicator, connected = await open_feed(await sync_to_async(session_cookie)(operator))
    assert connected
    for state in ["ending", "ended"]:
        await get_channel_layer().group_send(LIVE_GROUP, call_state_message(SID, state, "staff_ended"))
        message = await communicator.receive_json_from(5)
        assert (message["state"], message["reason"], message["call"]) == (state, "staff_ended", None)
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_anonymous_visitors_are_refused(live_call):
    _communicator, connected = await open_feed(None)
    assert not connected


@pytest.mark.asyncio
async def test_logged_in_users_who_are_not_staff_are_refused(django_user_model, live_call):
    user = await django_user_model.objects.acreate(username="pat")
    _communicator, connected = await open_feed(await sync_to_async(session_cookie)(user))
    assert not connected


@pytest.mark.asyncio
async def test_staff_without_the_view_call_permission_are_refused(django_user_model, live_call):
    user = await django_user_model.objects.acreate(username="intern", is_staff=True)
    _communicator, connected = await open_feed(await sync_to_async(session_cookie)(user))
    assert not connected


# --- The page and hang-up ----------------------------------------------------------------


def test_the_page_lists_calls_in_progress_with_what_was_said(client, operator, live_call):
    Call.objects.create(call_sid="CA-done", from_number="+1", to_number="+2", status=CallStatus.COMPLETED)
    client.force_login(operator)
    response = client.get(reverse("live-calls"))
    assert response.status_code == 200
    (call,) = response.context["calls"]
    assert call["call_sid"] == SID and call["caller"] == "Jordan"
    assert (call["from_number"], call["line"], call["agent"]) == ("+15550100001", "Main line", "Receptionist")
    Call.objects.filter(pk=live_call.pk).update(answered_at=timezone.now() - timedelta(seconds=75))
    (call,) = client.get(reverse("live-calls")).context["calls"]
    assert 75_000 <= call["elapsed_ms"] < 3_600_000  # measured by the server, from the answer
    assert [entry["text"] for entry in call["entries"]] == ["Hello from Acme!"]
    assert response.context["can_hang_up"] is True
    assert 'id="live-initial"' in response.content.decode()
    assert reverse("live-calls") in client.get(reverse("admin:index")).content.decode()  # linked from the index


def test_the_page_is_for_staff_only(client, django_user_model):
    response = client.get(reverse("live-calls"))
    assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))
    client.force_login(django_user_model.objects.create_user("intern", is_staff=True))
    assert client.get(reverse("live-calls")).status_code == 403


@pytest.mark.asyncio
async def test_hang_up_records_who_and_sends_the_command_to_the_call(client, operator, live_call):
    layer = get_channel_layer()  # the in-memory layer: the test listens where the call's consumer would
    channel = await layer.new_channel()
    await layer.group_add(call_group(SID), channel)
    await sync_to_async(client.force_login)(operator)
    response = await sync_to_async(client.post)(reverse("live-hangup", args=[SID]))
    assert response.status_code == 200 and json.loads(response.content) == {"ok": True}
    assert await asyncio.wait_for(layer.receive(channel), 5) == {"type": "call.hangup", "by": "olivia"}
    assert (await Call.objects.aget(pk=live_call.pk)).ended_by == "olivia"


def test_hang_up_needs_the_permission_and_a_call_in_progress(client, django_user_model, operator, live_call):
    client.force_login(django_user_model.objects.create_user("viewer", is_staff=True))
    assert client.post(reverse("live-hangup", args=[SID])).status_code == 403
    client.force_login(operator)
    assert client.get(reverse("live-hangup", args=[SID])).status_code == 405  # a command: POST only
    Call.objects.filter(pk=live_call.pk).update(status=CallStatus.COMPLETED)
    assert client.post(reverse("live-hangup", args=[SID])).status_code == 409
    live_call.refresh_from_db()
    assert live_call.ended_by == ""
