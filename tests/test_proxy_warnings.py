"""Wrong proxy and TLS setups say so in the log: a PUBLIC_URL that is not the URL Twilio signed,
proxy headers that are not trusted, and TRUST_PROXY_HEADERS on a server reached directly."""

from __future__ import annotations

import logging

import pytest
from asgiref.sync import iscoroutinefunction
from twilio.request_validator import RequestValidator

from calls.models import Call
from voiceagent.proxy import ProxyHeadersCheck

TOKEN = "proxy-warnings-auth-token"
FORM = {"CallSid": "CA" + "b" * 32, "AccountSid": "AC" + "0" * 32, "From": "+15550100001", "To": "+15005550006"}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def twilio_token(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.PUBLIC_URL = ""
    settings.ALLOWED_HOSTS = ["voice.example.com", "testserver"]


def signed_for(url: str) -> str:
    return RequestValidator(TOKEN).compute_signature(url, FORM)


def warnings_of(caplog, logger: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == logger and r.levelno == logging.WARNING]


def test_a_public_url_other_than_the_one_signed_names_both_urls(client, settings, caplog):
    settings.PUBLIC_URL = "http://a.example"
    signature = signed_for("https://voice.example.com/twilio/voice/")
    response = client.post(
        "/twilio/voice/", FORM, HTTP_X_TWILIO_SIGNATURE=signature, HTTP_HOST="voice.example.com", secure=True
    )
    assert response.status_code == 403 and not Call.objects.exists()
    [line] = warnings_of(caplog, "calls.views")
    assert "checked against http://a.example/twilio/voice/" in line
    assert "came to https://voice.example.com/twilio/voice/ (it is valid for the latter)" in line
    assert "PUBLIC_URL" in line
    assert signature not in caplog.text and TOKEN not in caplog.text


def test_untrusted_forwarded_proto_names_both_urls(client, caplog):
    """PUBLIC_URL unset, TRUST_PROXY_HEADERS off: the proxy's https is not believed."""
    signature = signed_for("https://testserver/twilio/voice/")
    response = client.post("/twilio/voice/", FORM, HTTP_X_TWILIO_SIGNATURE=signature, HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 403
    [line] = warnings_of(caplog, "calls.views")
    assert "checked against http://testserver/twilio/voice/" in line
    assert "came to https://testserver/twilio/voice/ (it is valid for the latter)" in line
    assert "TRUST_PROXY_HEADERS" in line and signature not in line


def test_a_forgery_to_another_url_is_valid_for_neither(client, settings, caplog):
    settings.PUBLIC_URL = "http://a.example"
    response = client.post("/twilio/voice/", FORM, HTTP_X_TWILIO_SIGNATURE="Zm9yZ2Vk", secure=True)
    assert response.status_code == 403
    [line] = warnings_of(caplog, "calls.views")
    assert "came to https://testserver/twilio/voice/ (valid for neither)" in line


@pytest.mark.parametrize("signature", ["", "Zm9yZ2Vk"], ids=["unsigned", "forged"])
def test_a_rejection_where_the_urls_agree_names_no_second_url(client, caplog, signature):
    headers = {"HTTP_X_TWILIO_SIGNATURE": signature} if signature else {}
    assert client.post("/twilio/voice/", FORM, **headers).status_code == 403
    assert warnings_of(caplog, "calls.views") == ["rejected unsigned or forged request to /twilio/voice/"]


def test_trusting_proxy_headers_is_right_when_the_proxy_sets_them(client, settings, caplog):
    settings.TRUST_PROXY_HEADERS = True
    settings.USE_X_FORWARDED_HOST = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    signature = signed_for("https://voice.example.com/twilio/voice/")
    headers = {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_HOST": "voice.example.com"}
    response = client.post("/twilio/voice/", FORM, HTTP_X_TWILIO_SIGNATURE=signature, **headers)
    assert response.status_code == 200
    assert warnings_of(caplog, "calls.views") == [] and warnings_of(caplog, "voiceagent.proxy") == []


def test_trust_proxy_headers_without_a_proxy_is_warned_about_once(client, settings, caplog):
    settings.TRUST_PROXY_HEADERS = True
    client.get("/healthz")
    client.get("/healthz")
    [line] = warnings_of(caplog, "voiceagent.proxy")
    assert line.startswith("TRUST_PROXY_HEADERS is on, but a request to /healthz came without X-Forwarded-Proto")


def test_no_proxy_warning_when_the_setting_is_off(client, caplog):
    client.get("/healthz")
    assert warnings_of(caplog, "voiceagent.proxy") == []


async def test_the_proxy_warning_also_runs_in_an_async_middleware_chain(async_client, settings, caplog):
    """daphne serves Django through the ASGI handler: the check stays async there (no thread hop)."""
    settings.TRUST_PROXY_HEADERS = True

    async def view(request):
        return None

    assert iscoroutinefunction(ProxyHeadersCheck(view))
    response = await async_client.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    await async_client.get("/healthz")
    [line] = warnings_of(caplog, "voiceagent.proxy")
    assert "/healthz came without X-Forwarded-Proto" in line
