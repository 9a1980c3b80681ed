"""POST /twilio/voice/ and /twilio/status/, signed as Twilio signs them; GET /healthz."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.test import override_settings
from twilio.request_validator import RequestValidator

from agents.models import AccessPolicy, CallerStatus
from calls.models import Call, CallEvent, CallStatus
from calls.tokens import stream_token_call_sid

TOKEN = "test-auth-token-0123456789"
VOICE = "http://testserver/twilio/voice/"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("twilio_token")]


@pytest.fixture
def twilio_token(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.PUBLIC_URL = ""


def form(call_sid: str = "CA" + "a" * 32, from_: str = "+15550100001", to: str = "+15005550006") -> dict:
    return {"CallSid": call_sid, "AccountSid": "AC" + "0" * 32, "From": from_, "To": to, "CallStatus": "ringing"}


def post_signed(client, data: dict, url: str = VOICE, signed_url: str | None = None):
    signature = RequestValidator(TOKEN).compute_signature(signed_url or url, data)
    return client.post(url.removeprefix("http://testserver"), data, HTTP_X_TWILIO_SIGNATURE=signature)


def twiml(response) -> ET.Element:
    assert response["Content-Type"].startswith("text/xml")
    return ET.fromstring(response.content)


def test_unsigned_webhook_is_403_and_creates_nothing(client, demo_number, demo_caller):
    response = client.post("/twilio/voice/", form())
    assert response.status_code == 403
    assert not Call.objects.exists()


def test_forged_signature_is_403(client, demo_number, demo_caller):
    response = client.post("/twilio/voice/", form(), HTTP_X_TWILIO_SIGNATURE="Zm9yZ2Vk")
    assert response.status_code == 403
    assert not Call.objects.exists()


def test_signature_over_other_params_is_403(client, demo_number, demo_caller):
    signature = RequestValidator(TOKEN).compute_signature(VOICE, form(from_="+15550100002"))
    response = client.post("/twilio/voice/", form(), HTTP_X_TWILIO_SIGNATURE=signature)
    assert response.status_code == 403


def test_allowlisted_caller_gets_a_stream_with_a_token_bound_to_the_call(client, demo_number, demo_caller):
    response = post_signed(client, form())
    assert response.status_code == 200
    stream = twiml(response).find("./Connect/Stream")
    prefix = f"ws://testserver/twilio/media/{'CA' + 'a' * 32}/"
    assert stream.get("url").startswith(prefix) and stream.get("url").endswith("/")
    token = stream.get("url").removeprefix(prefix).removesuffix("/")
    assert stream_token_call_sid(token, max_age=60) == "CA" + "a" * 32  # the handshake itself proves the call
    call = Call.objects.get()
    assert call.status == CallStatus.CONNECTING and call.caller == demo_caller and call.agent == demo_number.agent


@override_settings(PUBLIC_URL="https://voice.example.com")
def test_public_url_is_what_twilio_signed_and_gives_a_wss_stream(client, demo_number, demo_caller):
    response = post_signed(client, form(), url=VOICE, signed_url="https://voice.example.com/twilio/voice/")
    assert response.status_code == 200
    stream = twiml(response).find("./Connect/Stream")
    assert stream.get("url").startswith("wss://voice.example.com/twilio/media/CA")


def test_webhook_retry_is_idempotent(client, demo_number, demo_caller):
    assert post_signed(client, form()).status_code == 200
    assert post_signed(client, form()).status_code == 200
    assert Call.objects.count() == 1


def test_a_retry_gets_the_first_decision_even_after_staff_changed_the_caller(client, demo_number, demo_caller):
    """The retry's insert finds the call (its CallSid is unique) and answers as the first webhook was answered."""
    first = twiml(post_signed(client, form()))
    demo_caller.status = CallerStatus.BLOCKED
    demo_caller.save()
    retried = twiml(post_signed(client, form()))
    assert first.find("./Connect/Stream") is not None and retried.find("./Connect/Stream") is not None
    call = Call.objects.get()
    assert call.status == CallStatus.CONNECTING
    assert not CallEvent.objects.filter(kind="refused").exists()


def test_a_retried_refusal_is_refused_again_and_recorded_once(client, demo_number, demo_caller):
    data = form(from_="+15550109999")  # not on the allowlist
    for _ in range(2):
        assert [child.tag for child in twiml(post_signed(client, data))] == ["Say", "Hangup"]
    call = Call.objects.get()
    assert call.end_reason == "caller_not_allowed"
    assert CallEvent.objects.filter(call=call, kind="refused").count() == 1


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        ("unknown_caller", "caller_not_allowed"),
        ("blocked_caller", "caller_blocked"),
        ("unknown_number", "unknown_number"),
        ("inactive_agent", "agent_unavailable"),
    ],
)
def test_refused_calls_get_a_polite_say_and_hangup_and_are_recorded(client, demo_number, demo_caller, setup, reason):
    data = form()
    if setup == "unknown_caller":
        data = form(from_="+15550109999")
    elif setup == "blocked_caller":
        demo_caller.status = CallerStatus.BLOCKED
        demo_caller.save()
    elif setup == "unknown_number":
        data = form(to="+15005550009")
    elif setup == "inactive_agent":
        demo_number.agent.is_active = False
        demo_number.agent.save()
    root = twiml(post_signed(client, data))
    assert [child.tag for child in root] == ["Say", "Hangup"]
    assert "Sorry" in root.find("Say").text
    call = Call.objects.get()
    assert call.status == CallStatus.REFUSED and call.end_reason == reason
    assert CallEvent.objects.filter(call=call, kind="refused").exists()


def test_anyone_policy_admits_unknown_callers_but_not_blocked_ones(client, demo_number, demo_caller):
    demo_number.access_policy = AccessPolicy.ANYONE
    demo_number.save()
    root = twiml(post_signed(client, form(call_sid="CA1", from_="+15550109999")))
    assert root.find("./Connect/Stream") is not None
    demo_caller.status = CallerStatus.BLOCKED
    demo_caller.save()
    root = twiml(post_signed(client, form(call_sid="CA2")))
    assert root.find("Hangup") is not None


def test_numbers_are_matched_in_e164_whatever_the_formatting(client, demo_number, demo_caller):
    root = twiml(post_signed(client, form(from_="+1 (555) 010-0001", to="+1 500-555-0006")))
    assert root.find("./Connect/Stream") is not None


def test_status_callback_records_the_carrier_status(client, demo_number, demo_caller):
    post_signed(client, form())
    status = form() | {"CallStatus": "completed", "CallDuration": "37"}
    response = post_signed(client, status, url="http://testserver/twilio/status/")
    assert response.status_code == 204
    call = Call.objects.get()
    assert call.carrier_status == "completed" and call.duration_seconds == 37
    assert call.status == CallStatus.FAILED  # the stream never started


def test_status_callback_unsigned_is_403(client):
    assert client.post("/twilio/status/", {"CallSid": "CA1"}).status_code == 403


def test_healthz_reports_each_dependency(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "channel_layer": "ok", "broker": "ok"},
    }


@pytest.mark.django_db(transaction=True)
def test_healthz_is_503_naming_the_dependency_that_failed(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"].startswith("error")
    assert response.json()["checks"]["database"] == "ok"


def test_rate_limits_are_off_unless_staff_set_them(client, demo_number, demo_caller):
    for index in range(5):
        root = twiml(post_signed(client, form(call_sid=f"CA-free-{index}")))
        assert root.find("./Connect/Stream") is not None


def test_a_number_over_its_hourly_limit_refuses_politely(client, demo_number, demo_caller):
    demo_number.max_calls_per_hour = 2
    demo_number.save()
    for index in range(2):
        assert twiml(post_signed(client, form(call_sid=f"CA-ok-{index}"))).find("./Connect/Stream") is not None
    root = twiml(post_signed(client, form(call_sid="CA-busy")))
    assert [child.tag for child in root] == ["Say", "Hangup"] and "busy" in root.find("Say").text
    assert Call.objects.get(call_sid="CA-busy").end_reason == "number_busy"
    # A refused call does not count: the limit is on calls that reached the agent.
    assert Call.objects.exclude(status=CallStatus.REFUSED).count() == 2


def test_a_caller_over_the_daily_limit_refuses_politely(client, demo_number, demo_caller):
    demo_caller.max_calls_per_day = 1
    demo_caller.save()
    assert twiml(post_signed(client, form(call_sid="CA-first"))).find("./Connect/Stream") is not None
    root = twiml(post_signed(client, form(call_sid="CA-second")))
    assert "limit" in root.find("Say").text
    assert Call.objects.get(call_sid="CA-second").end_reason == "caller_limit"
