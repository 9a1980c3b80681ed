"""daphne serving https:// and wss:// itself, from a certificate and key of our own (README,
*Production*, "TLS in daphne"): calls placed as Twilio places them, over TLS end to end."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest
import requests
from twilio.request_validator import RequestValidator

from calls.audio import CLIP_TEXT, load_clip
from calls.simulator import CallScript, SimulatedCall
from calls.standin import RealtimeStandin

from .servers import ROOT, CallServer, PrivateCertificates, daphne_tls_command, tls_call_server

pytestmark = pytest.mark.e2e

AUTH_TOKEN = "tls-auth-token"
FORM = {"CallSid": "CA" + "c" * 32, "AccountSid": "AC" + "0" * 32, "From": "+15550100001", "To": "+15005550006"}


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> PrivateCertificates:
    return PrivateCertificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def server(tmp_path_factory, certs):
    with tls_call_server(tmp_path_factory.mktemp("tls"), certs, TWILIO_AUTH_TOKEN=AUTH_TOKEN) as served:
        yield served


def port_of(server: CallServer) -> int:
    return int(server.url.rsplit(":", 1)[1])


def roles_and_texts(server: CallServer, call_sid: str) -> list[tuple[str, str]]:
    sql = "SELECT t.role, t.text FROM calls_transcriptitem t JOIN calls_call c ON c.id = t.call_id"
    return server.rows(sql + ' WHERE c.call_sid = ? ORDER BY t."order"', call_sid)


async def test_a_call_over_https_and_wss_with_our_own_certificate(server, certs):
    assert certs.served_by(port_of(server)) == certs.der  # daphne presents the certificate we gave it
    async with RealtimeStandin(port=server.standin_port):
        call = SimulatedCall(base_url=server.url, auth_token=AUTH_TOKEN, cafile=str(certs.ca))
        result = await call.run(CallScript(caller_audio=load_clip("caller_question"), hangup_after_ms=6000))
    await server.call_finalised(call.call_sid)

    assert result.webhook_status == 200 and not result.error, result
    # The TwiML names the public host with wss://, and the handshake signed over it was accepted.
    assert result.stream_url.startswith(f"wss://localhost:{port_of(server)}/twilio/media/{call.call_sid}/")
    greeting = load_clip("greeting")
    assert bytes(result.played[: len(greeting)]) == greeting
    assert roles_and_texts(server, call.call_sid) == [
        ("agent", CLIP_TEXT["greeting"]),
        ("caller", CLIP_TEXT["caller_question"]),
        ("agent", CLIP_TEXT["answer"]),
    ]


def test_signatures_are_checked_against_the_https_url(server, certs):
    url = f"{server.url}/twilio/voice/"
    for signed_url, status in ((url.replace("https://", "http://"), 403), (url, 200)):
        signature = RequestValidator(AUTH_TOKEN).compute_signature(signed_url, FORM)
        response = requests.post(url, FORM, headers={"X-Twilio-Signature": signature}, verify=certs.ca, timeout=10)
        assert response.status_code == status, signed_url


async def simulate_call(server: CallServer, *options: str) -> tuple[int, str]:
    command = [sys.executable, "manage.py", "simulate_call", "--base-url", server.url]
    process = await asyncio.create_subprocess_exec(
        *command, *options, cwd=ROOT, env=server.env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, output.decode()


async def test_simulate_call_trusts_a_private_certificate_given_with_cafile(server, certs):
    async with RealtimeStandin(port=server.standin_port):
        code, output = await simulate_call(server, "--cafile", str(certs.ca))
    assert code == 0, output
    assert f"Agent: {CLIP_TEXT['greeting']}" in output
    assert "Call completed: caller_hung_up" in output


async def test_simulate_call_refuses_a_private_certificate_without_cafile(server):
    code, output = await simulate_call(server)
    assert code != 0
    assert "CERTIFICATE_VERIFY_FAILED" in output


@pytest.fixture(scope="module")
def server_without_public_url(tmp_path_factory, certs):
    workdir = tmp_path_factory.mktemp("tls-no-public-url")
    with tls_call_server(workdir, certs, TWILIO_AUTH_TOKEN=AUTH_TOKEN, PUBLIC_URL="") as served:
        yield served


async def test_without_public_url_the_request_gives_the_https_and_wss_urls(server_without_public_url, certs):
    server = server_without_public_url
    async with RealtimeStandin(port=server.standin_port):
        call = SimulatedCall(base_url=server.url, auth_token=AUTH_TOKEN, cafile=str(certs.ca))
        result = await call.run(CallScript(caller_audio=load_clip("caller_question"), hangup_after_ms=1000))
    assert result.webhook_status == 200  # the webhook's https:// URL comes from the request itself
    assert result.stream_url.startswith(f"wss://localhost:{port_of(server)}/")
    assert result.error is None, result.error


def test_a_renewed_certificate_cannot_be_served_beside_the_running_daphne(server, certs, tmp_path):
    """README: renewing daphne's own certificate takes a restart. A second daphne on the new
    certificate cannot listen on the same port while the first holds it (no SO_REUSEPORT)."""
    renewed = PrivateCertificates(tmp_path)
    command = daphne_tls_command(port_of(server), renewed)
    second = subprocess.run(command, cwd=ROOT, env=server.env, capture_output=True, text=True, timeout=60)
    assert second.returncode != 0
    assert "Address already in use" in second.stdout + second.stderr
    assert certs.served_by(port_of(server)) == certs.der  # the first goes on with its certificate
