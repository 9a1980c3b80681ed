"""End to end: a real daphne (with channels-redis on a real redis-server), a real websocket,
the realtime stand-in and the simulated carrier, through the public endpoints."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from calls.audio import CLIP_TEXT, load_clip
from calls.simulator import CallScript, SimulatedCall
from calls.simulator.webhook import StreamInstruction, parse_twiml, requests_poster, sign
from calls.standin import RealtimeStandin, StandinOptions

from .servers import PLIVO_E2E_TOKEN, CallServer, call_server

pytestmark = [pytest.mark.e2e, pytest.mark.redis]

AUTH_TOKEN = "e2e-auth-token"


class Server(CallServer):
    def transcript(self, call_sid: str) -> list[tuple]:
        return self.rows(
            "SELECT t.role, t.text, t.full_text, t.interrupted, t.heard_ms FROM calls_transcriptitem t"
            ' JOIN calls_call c ON c.id = t.call_id WHERE c.call_sid = ? ORDER BY t."order"',
            call_sid,
        )

    def call(self, call_sid: str) -> tuple:
        return self.rows("SELECT status, end_reason, total_tokens FROM calls_call WHERE call_sid = ?", call_sid)[0]


@pytest.fixture(scope="module")
def server(tmp_path_factory, redis_url):
    workdir = tmp_path_factory.mktemp("e2e")
    with call_server(workdir, Server, TWILIO_AUTH_TOKEN=AUTH_TOKEN, REDIS_URL=redis_url) as served:
        yield served


# Both carriers, through the same endpoints' code: each with its own webhook, signature and wire.
CARRIERS = {"twilio": AUTH_TOKEN, "plivo": PLIVO_E2E_TOKEN}
each_carrier = pytest.mark.parametrize("carrier", list(CARRIERS))


def simulated(server, carrier: str) -> SimulatedCall:
    return SimulatedCall(base_url=server.url, auth_token=CARRIERS[carrier], carrier=carrier)


@each_carrier
async def test_a_call_through_daphne_reaches_the_model_and_back(server, carrier):
    async with RealtimeStandin(port=server.standin_port) as standin:
        call = simulated(server, carrier)
        result = await call.run(CallScript(caller_audio=load_clip("caller_question"), hangup_after_ms=6000))
        model = await standin.wait_for_session()
        async with asyncio.timeout(10):
            await model.closed.wait()  # the bridge closes the model session when the call ends
    await server.call_finalised(call.call_sid)

    assert not result.refused and not result.protocol_errors, result
    greeting = load_clip("greeting")
    assert bytes(result.played[: len(greeting)]) == greeting  # the greeting's audio, untouched
    assert model.input_audio == result.caller_bytes_sent  # the caller's audio, byte for byte
    assert model.session_updates[0]["audio"]["input"]["format"] == {"type": "audio/pcmu"}
    assert model.authorization is None  # no key configured: no bearer header sent
    assert server.transcript(call.call_sid) == [
        ("agent", CLIP_TEXT["greeting"], "", 0, None),
        ("caller", CLIP_TEXT["caller_question"], "", 0, None),
        ("agent", CLIP_TEXT["answer"], "", 0, None),
    ]
    status, reason, tokens = server.call(call.call_sid)
    assert (status, reason) == ("completed", "caller_hung_up") and tokens > 0
    assert server.rows("SELECT carrier FROM calls_call WHERE call_sid = ?", call.call_sid) == [(carrier,)]


@each_carrier
async def test_barge_in_over_the_greeting_truncates_to_what_the_caller_heard(server, carrier):
    async with RealtimeStandin(port=server.standin_port) as standin:
        call = simulated(server, carrier)
        script = CallScript(caller_audio=load_clip("caller_question"), barge_in_after_ms=1200, hangup_after_ms=5000)
        result = await call.run(script)
        model = await standin.wait_for_session()
        async with asyncio.timeout(10):
            await model.closed.wait()
    await server.call_finalised(call.call_sid)

    assert result.clears, "the bridge never cleared the caller's playback"
    clear = result.clears[0]
    assert clear.was_playing
    (truncate,) = model.truncates
    greeting_item = truncate["item_id"]
    # Never ahead of what the caller had played when the clear arrived (by more than a frame): a
    # truncate at what was sent, not heard, would be. Behind it by the clear's transit and both
    # sides' scheduling, which a loaded machine stretches (CI's five passes on two cores: 21 and
    # 66 ms), so that side is bounded loosely; tests/test_bridge_barge_in.py asserts it exactly.
    assert -20 <= clear.played_ms_at_clear - truncate["audio_end_ms"] <= 250, (truncate, clear)
    assert clear.received_within_window_bytes == 0  # no stale audio after the clear
    role, text, full_text, interrupted, heard_ms = server.transcript(call.call_sid)[0]
    assert (role, interrupted, full_text) == ("agent", 1, CLIP_TEXT["greeting"])
    assert heard_ms == truncate["audio_end_ms"]
    assert full_text.startswith(text) and len(text) < len(full_text)
    assert model.audio_sent[greeting_item] > heard_ms * 8  # most of the greeting was never heard


async def test_the_model_ends_the_call_with_a_tool_and_the_goodbye_is_heard_first(server):
    options = StandinOptions(tool_calls=[("end_call", {"reason": "caller is done"})])
    async with RealtimeStandin(port=server.standin_port, options=options) as standin:
        call = SimulatedCall(base_url=server.url, auth_token=AUTH_TOKEN)
        result = await call.run(CallScript(caller_audio=load_clip("caller_question"), hangup_after_ms=15000))
        model = await standin.wait_for_session()
        async with asyncio.timeout(10):
            await model.closed.wait()
    await server.call_finalised(call.call_sid)

    (output,) = model.tool_outputs
    assert json.loads(output["output"])["ok"] is True  # the tool's result reached the model
    assert result.closed_by_server  # the bridge hung up, not the caller
    goodbye = load_clip("goodbye")
    assert bytes(result.played[-len(goodbye) :]) == goodbye  # every byte of the goodbye played first
    assert server.call(call.call_sid)[:2] == ("completed", "agent_ended")
    assert ("tool", 'end_call → {"ok": true, "next": "Say a short goodbye now."}') in [
        row[:2] for row in server.transcript(call.call_sid)
    ]


async def ringing_call(server, call_sid: str) -> str:
    """Twilio's "a call comes in" for `call_sid`: the stream URL our TwiML gives it."""
    url = server.url + "/twilio/voice/"
    params = {"CallSid": call_sid, "AccountSid": "AC" + "0" * 32, "From": "+15550100001", "To": "+15005550006"}
    response = await requests_poster(url, params, {"X-Twilio-Signature": sign(AUTH_TOKEN, url, params)})
    instruction = parse_twiml(response.body)
    assert isinstance(instruction, StreamInstruction), response.body
    return instruction.url


async def handshake_status(url: str, headers: dict[str, str]) -> int:
    try:
        async with connect(url, additional_headers=headers, proxy=None, open_timeout=5) as ws:
            await ws.close()
            return 101
    except InvalidStatus as exc:
        return exc.response.status_code


async def test_refused_streams_never_open_a_model_session(server):
    async with RealtimeStandin(port=server.standin_port) as standin:
        stream_url = await ringing_call(server, "CA" + "e" * 32)
        signed = {"X-Twilio-Signature": sign(AUTH_TOKEN, stream_url, {})}
        other_url = await ringing_call(server, "CA" + "f" * 32)
        # The token of one call on the path of another: signed, but not this call's token.
        swapped = stream_url.rsplit("/", 2)[0] + "/" + other_url.rsplit("/", 2)[1] + "/"
        attempts = {
            "unsigned": await handshake_status(stream_url, {}),
            "forged": await handshake_status(stream_url, {"X-Twilio-Signature": sign("not-the-token", stream_url, {})}),
            "swapped token": await handshake_status(swapped, {"X-Twilio-Signature": sign(AUTH_TOKEN, swapped, {})}),
        }
        assert attempts == {"unsigned": 403, "forged": 403, "swapped token": 403}
        assert standin.sessions == []  # no model session, so nothing billed, for any of them

        async with connect(stream_url, additional_headers=signed, proxy=None) as genuine:
            await standin.wait_for_session()  # the genuine stream opens one at once
            assert await handshake_status(stream_url, signed) == 403  # its token, replayed: refused
            await genuine.close()
        assert len(standin.sessions) == 1
