"""Two daphne processes against one Redis and one database: a call on one, the live view and the
hang-up on the other. Nothing is shared but Redis and the database, as behind a proxy."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
import requests
from websockets.asyncio.client import connect

from calls.audio import load_clip
from calls.simulator import CallScript, SimulatedCall
from calls.standin import RealtimeStandin

from .servers import call_server

pytestmark = [pytest.mark.e2e, pytest.mark.redis]

AUTH_TOKEN = "scale-auth-token"
LOGIN = ("ops", "scale-out-password-1")


@pytest.fixture(scope="module")
def servers(tmp_path_factory, redis_url):
    workdir = tmp_path_factory.mktemp("scale")  # one workdir: both serve the same SQLite file
    env = {
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "REDIS_URL": redis_url,
        "POSTCALL_ENABLED": "off",
        "DJANGO_SUPERUSER_USERNAME": LOGIN[0],
        "DJANGO_SUPERUSER_PASSWORD": LOGIN[1],
    }
    with call_server(workdir, **env) as first, call_server(workdir, **env) as second:
        yield first, second


def staff_session(base_url: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base_url}/admin/login/", timeout=5)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    data = {"csrfmiddlewaretoken": token, "username": LOGIN[0], "password": LOGIN[1], "next": "/admin/"}
    session.post(f"{base_url}/admin/login/", data=data, timeout=5).raise_for_status()
    assert "sessionid" in session.cookies
    return session


async def next_message(ws, predicate, timeout: float = 15) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            message = json.loads(await ws.recv())
            if predicate(message):
                return message


async def test_the_live_view_and_hang_up_work_across_daphne_processes(servers):
    serving_call, serving_staff = servers
    staff = await asyncio.to_thread(staff_session, serving_staff.url)
    cookies = "; ".join(f"{k}={v}" for k, v in staff.cookies.items())
    live_url = serving_staff.url.replace("http://", "ws://") + "/ws/live/"
    headers = {"Cookie": cookies, "Origin": serving_staff.url}
    async with (
        connect(live_url, additional_headers=headers, proxy=None) as live,
        RealtimeStandin(port=serving_call.standin_port),
    ):
        call = SimulatedCall(base_url=serving_call.url, auth_token=AUTH_TOKEN)
        script = CallScript(caller_audio=load_clip("caller_question"), hangup_after_ms=15000)
        running = asyncio.create_task(call.run(script))
        line = await next_message(live, lambda m: m.get("type") == "live.transcript")
        assert line["call_sid"] == call.call_sid and line["entry"]["role"] == "agent"

        def hang_up() -> requests.Response:
            url = f"{serving_staff.url}/admin/live/{call.call_sid}/hangup/"
            return staff.post(url, headers={"X-CSRFToken": staff.cookies["csrftoken"]}, timeout=5)

        assert (await asyncio.to_thread(hang_up)).json() == {"ok": True}
        ended = await next_message(live, lambda m: m.get("type") == "live.call" and m["state"] == "ended")
        result = await asyncio.wait_for(running, 20)
    assert ended["call_sid"] == call.call_sid and ended["reason"] == "staff_ended"
    assert result.closed_by_server  # the process holding the call ended it, with a goodbye
    goodbye = load_clip("goodbye")
    assert bytes(result.played[-len(goodbye) :]) == goodbye
    await serving_call.call_finalised(call.call_sid)
    row = serving_call.rows("SELECT end_reason, ended_by FROM calls_call WHERE call_sid = ?", call.call_sid)
    assert row == [("staff_ended", LOGIN[0])]
