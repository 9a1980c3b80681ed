"""Behind a real proxy: Debian's nginx, configured by deploy/nginx/voiceagent.conf as README's
*Production* shows it, terminating TLS with a certificate the test makes, in front of two
daphne processes on one Redis and one database. Calls, the live view, staff hang-ups and
admin logins all go through nginx, as they do in production."""

from __future__ import annotations

import asyncio
import re
import ssl
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

import pytest
import requests
from requests.adapters import HTTPAdapter
from twilio.request_validator import RequestValidator
from websockets.asyncio.client import connect

from calls.audio import CLIP_TEXT, load_clip
from calls.simulator import CallResult, CallScript, SimulatedCall
from calls.standin import RealtimeStandin

from .servers import (
    PLIVO_E2E_TOKEN,
    CallServer,
    Nginx,
    PrivateCertificates,
    daphne_process,
    daphne_proxied_command,
    free_port,
    manage,
    migrate,
    nginx_server,
    server_env,
)
from .test_scale_out import next_message

pytestmark = [pytest.mark.e2e, pytest.mark.redis]

AUTH_TOKEN = "proxy-auth-token"
LOGIN = ("ops", "proxy-password-1")


@dataclass
class Site:
    """https://localhost:<port>, served by nginx in front of two daphne processes."""

    url: str
    port: int
    standin_port: int
    certs: PrivateCertificates
    daphnes: list[CallServer]
    nginx: Nginx

    def rows(self, sql: str, *params) -> list[tuple]:
        return self.daphnes[0].rows(sql, *params)

    def serving(self, needle: str, before: list[int], timeout: float = 15) -> int:
        """Which daphne logs `needle` once more than it had in `before` (its access log says who served what)."""
        for _ in range(int(timeout / 0.05)):
            for index, daphne in enumerate(self.daphnes):  # each waits briefly on its own log in turn
                if daphne.process.output.wait_for_count(needle, before[index] + 1, timeout=0.025):
                    return index
        raise AssertionError(f"no daphne logged {needle!r}")

    def counts(self, needle: str) -> list[int]:
        return [sum(needle in line for line in d.process.output.lines) for d in self.daphnes]


def proxied_site_env(workdir, port: int, standin_port: int, redis_url: str, **overrides: str) -> dict[str, str]:
    """The servers' environment behind nginx on https://localhost:<port>, migrated and seeded."""
    env = server_env(
        workdir,
        DEBUG="off",  # production settings: secure cookies, HSTS, ALLOWED_HOSTS enforced
        ALLOWED_HOSTS="localhost",
        PUBLIC_URL=f"https://localhost:{port}",
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        OPENAI_REALTIME_URL=f"ws://127.0.0.1:{standin_port}/v1/realtime",  # whichever process takes a call
        REDIS_URL=redis_url,
        POSTCALL_ENABLED="off",
        DJANGO_SUPERUSER_USERNAME=LOGIN[0],
        DJANGO_SUPERUSER_PASSWORD=LOGIN[1],
        **overrides,
    )
    migrate(env)
    manage(env, "seed_demo")
    return env


@pytest.fixture(scope="module")
def site(tmp_path_factory, redis_url) -> Iterator[Site]:
    workdir = tmp_path_factory.mktemp("proxy")  # one workdir: both daphnes serve the same SQLite file
    certs = PrivateCertificates(workdir)
    port, standin_port, upstreams = free_port(), free_port(), (free_port(), free_port())
    env = proxied_site_env(workdir, port, standin_port, redis_url)
    database = workdir / "e2e.sqlite3"
    with (
        daphne_process(env, daphne_proxied_command(upstreams[0])) as first,
        daphne_process(env, daphne_proxied_command(upstreams[1])) as second,
        nginx_server(workdir, port, upstreams, certs) as nginx,
    ):
        daphnes = [CallServer(f"https://localhost:{port}", standin_port, database, p, env) for p in (first, second)]
        yield Site(f"https://localhost:{port}", port, standin_port, certs, daphnes, nginx)


# --- Carriers: a call placed through the proxy, one case per carrier ------------------------


@dataclass(frozen=True)
class Carrier:
    """How a carrier's simulated call is placed, and where its media stream must be pointed."""

    name: str
    media_path: str
    place: Callable[[Site, CallScript, Callable[[str, dict], None] | None], Awaitable[tuple[str, CallResult]]]


async def place_twilio_call(site: Site, script: CallScript, on_event=None) -> tuple[str, CallResult]:
    call = SimulatedCall(base_url=site.url, auth_token=AUTH_TOKEN, cafile=str(site.certs.ca), on_event=on_event)
    return call.call_sid, await call.run(script)


async def place_plivo_call(site: Site, script: CallScript, on_event=None) -> tuple[str, CallResult]:
    call = SimulatedCall(
        base_url=site.url, auth_token=PLIVO_E2E_TOKEN, cafile=str(site.certs.ca), on_event=on_event, carrier="plivo"
    )
    return call.call_sid, await call.run(script)


CARRIERS = [
    Carrier("twilio", "/twilio/media/", place_twilio_call),
    Carrier("plivo", "/plivo/media/", place_plivo_call),
]


def transcript(site: Site, call_sid: str) -> list[tuple[str, str]]:
    sql = "SELECT t.role, t.text FROM calls_transcriptitem t JOIN calls_call c ON c.id = t.call_id"
    return site.rows(sql + ' WHERE c.call_sid = ? ORDER BY t."order"', call_sid)


async def call_finalised(site: Site, call_sid: str) -> int:
    """Wait for whichever daphne held the call to log that it finalised it (its rows are written)."""
    return await asyncio.to_thread(site.serving, f"call {call_sid} ended", [0, 0])


@pytest.mark.parametrize("carrier", CARRIERS, ids=lambda carrier: carrier.name)
async def test_a_call_through_nginx_is_signed_for_the_public_url_and_streams_over_wss(site, carrier):
    async with RealtimeStandin(port=site.standin_port):
        script = CallScript(caller_audio=load_clip("caller_question"), hangup_after_ms=6000)
        call_sid, result = await carrier.place(site, script)
    await call_finalised(site, call_sid)

    assert result.webhook_status == 200 and not result.error, result  # signed for https://localhost:<nginx>/…
    assert result.stream_url.startswith(f"wss://localhost:{site.port}{carrier.media_path}{call_sid}/")
    greeting = load_clip("greeting")
    assert bytes(result.played[: len(greeting)]) == greeting  # audio through nginx, untouched
    assert transcript(site, call_sid) == [
        ("agent", CLIP_TEXT["greeting"]),
        ("caller", CLIP_TEXT["caller_question"]),
        ("agent", CLIP_TEXT["answer"]),
    ]


def test_a_webhook_signed_for_the_upstream_url_is_refused(site):
    """What nginx forwards to is not what Twilio signed: the check uses the public URL."""
    form = {"CallSid": "CA" + "d" * 32, "From": "+15550100001", "To": "+15005550006"}
    upstream = site.daphnes[0].process.args[-2]  # daphne's -p
    signature = RequestValidator(AUTH_TOKEN).compute_signature(f"http://127.0.0.1:{upstream}/twilio/voice/", form)
    response = requests.post(
        f"{site.url}/twilio/voice/", form, headers={"X-Twilio-Signature": signature}, verify=site.certs.ca, timeout=10
    )
    assert response.status_code == 403


async def test_renewing_the_certificate_with_nginx_reload_keeps_the_call_in_progress(site):
    old = site.certs.der
    assert site.certs.served_by(site.port) == old
    events: list[str] = []

    def renew_once_audio_flows(kind: str, data: dict) -> None:
        events.append(kind)
        if kind == "first_audio":
            # In the simulator's own loop, so nothing else of the call happens until nginx has reloaded.
            site.certs.issue()
            site.nginx.reload()
            events.append("reloaded")

    async with RealtimeStandin(port=site.standin_port):
        script = CallScript(caller_audio=load_clip("caller_question"), hangup_after_ms=6000)
        call_sid, result = await CARRIERS[0].place(site, script, renew_once_audio_flows)
    await call_finalised(site, call_sid)

    assert "reloaded" in events, events  # the renewal itself did not fail inside the callback
    after = events[events.index("reloaded") :]
    # The caller spoke and heard the answer after the reload, on the socket opened before it.
    assert "speak" in after and "utterance_end" in after and "mark" in after[after.index("utterance_end") :]
    assert result.ended_by in {"answered", "hangup_after_ms"} and not result.closed_by_server, result
    assert transcript(site, call_sid)[-1] == ("agent", CLIP_TEXT["answer"])
    assert site.certs.served_by(site.port) == site.certs.der != old  # new connections get the new certificate


# --- Staff through the proxy ------------------------------------------------------------


class SourceAddress(HTTPAdapter):
    """Connect from another loopback address: a client nginx tells apart (127.0.0.0/8 is all local)."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, source_address=(self.address, 0), **kwargs)


def staff_session(site: Site, source: str = "127.0.0.1") -> requests.Session:
    session = requests.Session()
    session.mount("https://", SourceAddress(source))
    session.trust_env = False  # REQUESTS_CA_BUNDLE in the environment would win over `verify`
    session.verify = str(site.certs.ca)
    session.headers["Origin"] = site.url  # Django checks a secure POST's origin against the Host nginx passed on
    return session


def log_in(session: requests.Session, site: Site, password: str, **headers: str) -> requests.Response:
    page = session.get(f"{site.url}/admin/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    data = {"csrfmiddlewaretoken": token, "username": LOGIN[0], "password": password, "next": "/admin/"}
    return session.post(f"{site.url}/admin/login/", data=data, headers=headers, allow_redirects=False, timeout=10)


def test_the_login_throttle_keys_on_the_client_address_nginx_saw(site):
    limit = 5  # AXES_FAILURE_LIMIT's default
    throttled = staff_session(site, "127.0.0.2")
    for attempt in range(1, limit + 1):
        # A client's own X-Forwarded-For is replaced by nginx: it cannot pick an address to dodge the throttle.
        failed = log_in(throttled, site, "wrong-password", **{"X-Forwarded-For": f"203.0.113.{attempt}"})
        assert failed.status_code == (429 if attempt == limit else 200)  # the limit-th failure locks out
    assert log_in(throttled, site, LOGIN[1]).status_code == 429  # locked out from 127.0.0.2, right password or not
    elsewhere = log_in(staff_session(site, "127.0.0.3"), site, LOGIN[1])
    assert elsewhere.status_code == 302 and elsewhere.headers["Location"] == "/admin/"
    addresses = site.rows("SELECT DISTINCT ip_address FROM axes_accessattempt WHERE username = ?", LOGIN[0])
    assert addresses == [("127.0.0.2",)]  # neither nginx's 127.0.0.1 nor a forged address


def steer_next_request_away_from(site: Site, busy: int) -> None:
    """Make the last request nginx forwarded land on `busy`, so its round robin sends the next elsewhere."""
    for attempt in range(4):
        before = site.counts(f"GET /healthz?probe={attempt}")
        requests.get(f"{site.url}/healthz?probe={attempt}", verify=site.certs.ca, timeout=10)
        if site.serving(f"GET /healthz?probe={attempt}", before) == busy:
            return
    raise AssertionError("nginx did not alternate between the two daphne processes")


async def test_the_live_view_and_hang_up_cross_the_two_processes_through_nginx(site):
    staff = staff_session(site)
    assert (await asyncio.to_thread(log_in, staff, site, LOGIN[1])).status_code == 302
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in staff.cookies.items()), "Origin": site.url}
    context = ssl.create_default_context(cafile=site.certs.ca)
    before = site.counts("WSCONNECT /ws/live/")
    live_url = site.url.replace("https://", "wss://") + "/ws/live/"
    async with (
        connect(live_url, additional_headers=headers, ssl=context, proxy=None) as live,
        RealtimeStandin(port=site.standin_port),
    ):
        watching = await asyncio.to_thread(site.serving, "WSCONNECT /ws/live/", before)
        # The webhook then goes to the live view's process, and the media stream to the other.
        await asyncio.to_thread(steer_next_request_away_from, site, 1 - watching)
        script = CallScript(caller_audio=load_clip("caller_question"), hangup_after_ms=15000)
        call = SimulatedCall(base_url=site.url, auth_token=AUTH_TOKEN, cafile=str(site.certs.ca))
        running = asyncio.create_task(call.run(script))
        line = await next_message(live, lambda m: m.get("type") == "live.transcript")
        assert line["call_sid"] == call.call_sid and line["entry"]["role"] == "agent"
        holding = await asyncio.to_thread(site.serving, f"WSCONNECT /twilio/media/{call.call_sid}/", [0, 0])
        assert holding != watching, "the call and the live view landed on the same daphne"

        def hang_up() -> requests.Response:
            steer_next_request_away_from(site, holding)
            url = f"{site.url}/admin/live/{call.call_sid}/hangup/"
            return staff.post(url, headers={"X-CSRFToken": staff.cookies["csrftoken"]}, timeout=10)

        hang_up_count = site.counts(f"POST /admin/live/{call.call_sid}/hangup/")
        assert (await asyncio.to_thread(hang_up)).json() == {"ok": True}
        hang_up_served = await asyncio.to_thread(
            site.serving, f"POST /admin/live/{call.call_sid}/hangup/", hang_up_count
        )
        assert hang_up_served != holding, "the hang-up was served by the process holding the call"
        ended = await next_message(live, lambda m: m.get("type") == "live.call" and m["state"] == "ended")
        result = await asyncio.wait_for(running, 20)
    assert ended["call_sid"] == call.call_sid and ended["reason"] == "staff_ended"
    assert result.closed_by_server  # the process holding the call ended it, with a goodbye
    goodbye = load_clip("goodbye")
    assert bytes(result.played[-len(goodbye) :]) == goodbye
    assert await call_finalised(site, call.call_sid) == holding
    row = site.rows("SELECT end_reason, ended_by FROM calls_call WHERE call_sid = ?", call.call_sid)
    assert row == [("staff_ended", LOGIN[0])]
