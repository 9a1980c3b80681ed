"""Outbound calls end to end: `place_call` against a real daphne (channels-redis on a real redis),
the realtime stand-in, and the local fake Twilio REST server, which answers the call, fetches
our answer URL signed, streams like Twilio, posts the answering-machine verdict and the status."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from calls.audio import CLIP_TEXT, load_clip
from calls.simulator import CallScript
from calls.simulator.twilio_outbound import Callee
from calls.simulator.twilio_rest import FakeTwilioRest
from calls.simulator.webhook import requests_poster, sign
from calls.standin import RealtimeStandin

from .servers import ROOT, CallServer, call_server

pytestmark = [pytest.mark.e2e, pytest.mark.redis]

AUTH_TOKEN = "e2e-auth-token"
ACCOUNT_SID = "AC" + "7" * 32
AGENT = "Demo receptionist"
PERSON = "+15550100001"  # the demo's allowlisted caller (seed_demo)
MACHINE = "+15550100077"  # a number that is no caller of ours


@pytest.fixture(scope="module")
def twilio():
    with FakeTwilioRest(ACCOUNT_SID, AUTH_TOKEN) as fake:
        yield fake


@pytest.fixture(scope="module")
def server(tmp_path_factory, redis_url, twilio):
    workdir = tmp_path_factory.mktemp("e2e-outbound")
    overrides = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_API_URL": twilio.url, "REDIS_URL": redis_url}
    with call_server(workdir, CallServer, TWILIO_AUTH_TOKEN=AUTH_TOKEN, **overrides) as served:
        yield served


def place_call(server, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "manage.py", "place_call", "--agent", AGENT, *args]
    return subprocess.run(command, cwd=ROOT, env=server.env, capture_output=True, text=True, timeout=60)


async def played_out(server, twilio, count: int, *args: str):
    """Place the call, wait until the fake has played it out; (command output, the fake's call, the model)."""
    async with RealtimeStandin(port=server.standin_port) as standin:
        done = await asyncio.to_thread(place_call, server, *args)
        assert done.returncode == 0, done.stderr
        placed = (await asyncio.to_thread(twilio.outbound.wait_for_call, count))[-1]
        assert await asyncio.to_thread(placed.done.wait, 40), "the fake never finished the call"
        model = await standin.wait_for_session()
        async with asyncio.timeout(10):
            await model.closed.wait()
    await server.call_finalised(placed.sid)
    return done.stdout, placed, model


def call_row(server, sid: str) -> tuple:
    return server.rows(
        "SELECT direction, outcome, status, end_reason, purpose, attempt_number, duration_seconds FROM calls_call"
        " WHERE call_sid = ?",
        sid,
    )[0]


def transcript(server, sid: str) -> list[tuple]:
    return server.rows(
        "SELECT t.role, t.text FROM calls_transcriptitem t JOIN calls_call c ON c.id = t.call_id"
        ' WHERE c.call_sid = ? ORDER BY t."order"',
        sid,
    )


async def test_a_person_answers_and_the_agent_opens_with_the_purpose(server, twilio):
    script = CallScript(caller_audio=load_clip("caller_question"), hangup_after_ms=6000)
    twilio.outbound.callees[PERSON] = Callee(answered_by="human", amd_on="start", script=script)
    purpose = "Remind them of tomorrow's 10:00 appointment"
    out, placed, model = await played_out(server, twilio, 1, "--to", PERSON, "--purpose", purpose)

    assert f"carrier call id: {placed.sid}" in out and "call id: " in out
    form = placed.form
    assert (form["To"], form["From"]) == (PERSON, "+15005550006")  # the agent's first number
    assert (form["MachineDetection"], form["AsyncAmd"]) == ("DetectMessageEnd", "true")
    assert form["AsyncAmdStatusCallback"] == server.url + "/twilio/amd/"
    assert form["Url"].startswith(server.url + "/twilio/outbound/")
    assert placed.result.webhook_status == 200 and not placed.result.protocol_errors, placed.result
    assert (placed.amd_status, placed.status_status) == (204, 204)

    instructions = model.session_updates[0]["instructions"]
    assert purpose in instructions and "outbound call" in instructions  # this call's context only
    assert bytes(placed.result.played[: len(load_clip("greeting"))]) == load_clip("greeting")
    direction, outcome, status, reason, stored_purpose, attempt, duration = call_row(server, placed.sid)
    assert (direction, outcome, status, reason, stored_purpose, attempt) == (
        "outbound",
        "human",
        "completed",
        "caller_hung_up",
        purpose,
        1,
    )
    assert duration is not None
    assert [role for role, _ in transcript(server, placed.sid)] == ["agent", "caller", "agent"]
    assert server.rows("SELECT status, outcome, attempts_made FROM outbound_outboundcall ORDER BY id DESC LIMIT 1") == [
        ("reached", "human", 1)
    ]


async def test_a_machine_gets_the_voicemail_after_the_beep_then_the_agent_hangs_up(server, twilio):
    greeting = CallScript(caller_audio=load_clip("caller_question"), speak_after_ms=200, max_call_ms=30000)
    twilio.outbound.callees[MACHINE] = Callee(answered_by="machine_end_beep", amd_on="utterance_end", script=greeting)
    purpose = "Tell them their order is ready for pick-up"
    before = len(twilio.outbound.placed)
    _out, placed, model = await played_out(server, twilio, before + 1, "--to", MACHINE, "--purpose", purpose)

    voicemail = [
        item for item in model.items.values() if item.get("role") == "user" and "answering machine" in str(item)
    ]
    assert len(voicemail) == 1 and purpose in str(voicemail[0])  # the model was told, with the purpose
    assert placed.result.closed_by_server  # the agent hung up, not the machine
    answer = load_clip("answer")
    assert bytes(placed.result.played[-len(answer) :]) == answer  # the whole message was played
    hang_ups = [r for r in twilio.requests if r.call_sid == placed.sid and r.form.get("Status") == "completed"]
    assert hang_ups, "the agent did not hang up through the REST API"
    direction, outcome, status, reason, *_ = call_row(server, placed.sid)
    assert (direction, outcome, status, reason) == ("outbound", "voicemail_left", "completed", "voicemail_left")
    assert CLIP_TEXT["answer"] in [text for role, text in transcript(server, placed.sid) if role == "agent"]


async def test_unsigned_amd_callbacks_are_refused_and_change_nothing(server, twilio):
    sid = next(iter(twilio.outbound.placed))
    url = server.url + "/twilio/amd/"
    params = {"CallSid": sid, "AnsweredBy": "fax"}
    unsigned = await requests_poster(url, params, {})
    forged = await requests_poster(url, params, {"X-Twilio-Signature": sign("not-the-token", url, params)})
    assert (unsigned.status, forged.status) == (403, 403)
    assert call_row(server, sid)[1] == "human"


async def test_a_refused_number_is_one_failed_attempt_with_the_carriers_message(server, twilio):
    twilio.outbound.callees["+15550100099"] = Callee(
        refuse=(400, 21211, "The 'To' number is not a valid phone number.")
    )
    done = await asyncio.to_thread(place_call, server, "--to", "+15550100099")
    assert done.returncode != 0 and "21211" in done.stderr
    rows = server.rows(
        "SELECT o.status, a.outcome, a.detail FROM outbound_attempt a JOIN outbound_outboundcall o"
        " ON o.id = a.outbound_id WHERE o.to_number = ?",
        "+15550100099",
    )
    assert rows == [
        ("gave_up", "failed", "Twilio 21211: Unable to create record: The 'To' number is not a valid phone number.")
    ]
