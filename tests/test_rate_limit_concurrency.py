"""Rate limits hold when webhooks arrive at the same moment (issue #12), on SQLite and PostgreSQL.

Ten signed webhooks for ten different calls are posted at once, each from its own thread and
database connection. Counting the recent calls and inserting the new one must happen as one
step, or several webhooks all count "2 of 3" and all get through.
"""

from __future__ import annotations

import pytest
from django.test import Client
from twilio.request_validator import RequestValidator

from calls.models import Call, CallStatus

from .database_helpers import run_together

TOKEN = "test-auth-token-0123456789"
VOICE = "http://testserver/twilio/voice/"
SIMULTANEOUS = 10

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def twilio_token(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.PUBLIC_URL = ""


def webhook(index: int, from_number: str = "+15550100001") -> str:
    """POST /twilio/voice/ for call number `index`, signed; the TwiML's first verb (Connect or Say)."""
    data = {"CallSid": f"CA-together-{index:02d}", "AccountSid": "AC" + "0" * 32, "From": from_number}
    data |= {"To": "+15005550006", "CallStatus": "ringing"}
    signature = RequestValidator(TOKEN).compute_signature(VOICE, data)
    response = Client().post("/twilio/voice/", data, HTTP_X_TWILIO_SIGNATURE=signature)
    assert response.status_code == 200
    return "Connect" if b"<Connect>" in response.content else "Say"


def test_a_number_s_hourly_limit_holds_under_simultaneous_webhooks(demo_number, demo_caller):
    demo_number.max_calls_per_hour = 3
    demo_number.save()
    answers = run_together(SIMULTANEOUS, webhook)
    assert sorted(answers) == ["Connect"] * 3 + ["Say"] * (SIMULTANEOUS - 3)
    assert Call.objects.exclude(status=CallStatus.REFUSED).count() == 3
    assert set(Call.objects.filter(status=CallStatus.REFUSED).values_list("end_reason", flat=True)) == {"number_busy"}


def test_a_caller_s_daily_limit_holds_under_simultaneous_webhooks(demo_number, demo_caller):
    demo_caller.max_calls_per_day = 2
    demo_caller.save()
    answers = run_together(SIMULTANEOUS, webhook)
    assert sorted(answers) == ["Connect"] * 2 + ["Say"] * (SIMULTANEOUS - 2)
    assert set(Call.objects.filter(status=CallStatus.REFUSED).values_list("end_reason", flat=True)) == {"caller_limit"}


def test_unlimited_calls_all_get_through_together(demo_number, demo_caller):
    """No limit set: nothing is locked and nobody is refused (the demo's many simultaneous calls)."""
    assert run_together(SIMULTANEOUS, webhook) == ["Connect"] * SIMULTANEOUS


def test_the_same_webhook_retried_at_once_makes_one_call(demo_number, demo_caller):
    """Twilio's retries of one CallSid, arriving together, still make one row and one decision."""
    demo_number.max_calls_per_hour = 3
    demo_number.save()
    answers = run_together(SIMULTANEOUS, lambda index: webhook(0))
    assert answers == ["Connect"] * SIMULTANEOUS
    assert Call.objects.count() == 1
