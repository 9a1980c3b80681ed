"""Faults: a server killed mid-call, a model outage that hits one call and not another."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from django.utils import timezone

from calls import services
from calls.audio import load_clip
from calls.models import Call, CallStatus
from calls.simulator import CallScript, SimulatedCall
from calls.standin import RealtimeStandin

from .servers import call_server, manage

AUTH_TOKEN = "faults-auth-token"


@pytest.mark.django_db
def test_the_sweep_closes_only_calls_no_bridge_can_still_hold(demo_number, demo_caller):
    def call(sid: str, status: str, age: timedelta) -> Call:
        made = services.call_receive(call_sid=sid, from_number=demo_caller.number, to_number=demo_number.number)
        Call.objects.filter(pk=made.pk).update(status=status, answered_at=timezone.now() - age)
        Call.objects.filter(pk=made.pk).update(started_at=timezone.now() - age)
        return made

    limit = demo_number.agent.max_call_seconds
    dead = call("CA-dead", CallStatus.IN_PROGRESS, timedelta(seconds=limit + 121))
    alive = call("CA-alive", CallStatus.IN_PROGRESS, timedelta(seconds=limit - 1))
    never = call("CA-never", CallStatus.CONNECTING, timedelta(minutes=11))
    assert services.calls_close_stale() == 2
    assert Call.objects.get(pk=dead.pk).end_reason == "server_restart"
    assert Call.objects.get(pk=never.pk).end_reason == "no_stream"
    assert Call.objects.get(pk=alive.pk).ended_at is None
    assert services.calls_close_stale(everything=True) == 1  # the restart of the only server
    assert Call.objects.get(pk=alive.pk).status == CallStatus.FAILED


@pytest.fixture
def server(tmp_path):
    with call_server(tmp_path, TWILIO_AUTH_TOKEN=AUTH_TOKEN, POSTCALL_ENABLED="off") as served:
        yield served


@pytest.mark.e2e
async def test_a_killed_server_loses_nothing_already_said_and_the_call_is_closed_on_restart(server):
    async with RealtimeStandin(port=server.standin_port) as standin:
        call = SimulatedCall(base_url=server.url, auth_token=AUTH_TOKEN)
        running = asyncio.create_task(call.run(CallScript(caller_audio=load_clip("caller_question"))))
        await standin.wait_for_session()  # the webhook has created the call by now
        (call_id,) = server.rows("SELECT id FROM calls_call WHERE call_sid = ?", call.call_sid)[0]
        saved = await asyncio.to_thread(server.process.output.wait_for, f"call {call_id}: agent turn 0 saved", 15)
        assert saved, server.process.output.tail()
        server.process.kill()  # SIGKILL mid-call: no cleanup runs
        await asyncio.wait_for(running, 20)
    assert server.rows("SELECT status FROM calls_call WHERE id = ?", call_id) == [("in_progress",)]
    assert server.rows("SELECT role FROM calls_transcriptitem WHERE call_id = ?", call_id) == [("agent",)]
    await asyncio.to_thread(manage, server.env, "close_stale_calls", "--all")
    assert server.rows("SELECT status, end_reason FROM calls_call WHERE id = ?", call_id) == [
        ("failed", "server_restart")
    ]
    assert server.rows("SELECT role FROM calls_transcriptitem WHERE call_id = ?", call_id) == [("agent",)]


@pytest.mark.e2e
async def test_a_model_outage_ends_the_calls_it_hits_and_no_other(server):
    async with RealtimeStandin(port=server.standin_port) as standin:
        steady = SimulatedCall(base_url=server.url, auth_token=AUTH_TOKEN)
        first = asyncio.create_task(
            steady.run(CallScript(caller_audio=load_clip("caller_question"), hangup_after_ms=3000))
        )
        await standin.wait_for_session()  # the first call has its model session
        standin.options.refuse = True  # from now on the model refuses new sessions
        unlucky = SimulatedCall(base_url=server.url, auth_token=AUTH_TOKEN)
        second = await unlucky.run(CallScript(caller_audio=load_clip("caller_question"), max_call_ms=8000))
        standin.options.refuse = False
        result = await asyncio.wait_for(first, 30)
    await server.call_finalised(unlucky.call_sid)
    await server.call_finalised(steady.call_sid)
    apology = load_clip("apology")
    assert second.closed_by_server and bytes(second.played[: len(apology)]) == apology
    assert server.rows("SELECT end_reason FROM calls_call WHERE call_sid = ?", unlucky.call_sid) == [
        ("model_unavailable",)
    ]
    assert not result.closed_by_server and result.played  # the first call went on to its end
    assert server.rows("SELECT end_reason FROM calls_call WHERE call_sid = ?", steady.call_sid) == [("caller_hung_up",)]
