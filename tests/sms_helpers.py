"""What the SMS tests share: signed Twilio messaging webhooks and the local fakes' settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count

from twilio.request_validator import RequestValidator

from calls.postcall.dispatch import dispatcher
from calls.simulator.twilio_rest import FakeTwilioRest

TOKEN = "sms-test-auth-token-0123"
ACCOUNT = "AC" + "3" * 32
OPENAI_KEY = "sms-test-very-secret-openai-key"
OUR_NUMBER = "+15005550006"
SENDER = "+15550100001"
_sids = count(1)


def message_sid() -> str:
    return f"SM{next(_sids):032d}"


def sms_form(body: str, *, sid: str | None = None, from_: str = SENDER, to: str = OUR_NUMBER) -> dict[str, str]:
    return {
        "MessageSid": sid or message_sid(),
        "AccountSid": ACCOUNT,
        "From": from_,
        "To": to,
        "Body": body,
        "NumMedia": "0",
    }


def post_signed(client, path: str, data: dict[str, str], *, token: str = TOKEN):
    signature = RequestValidator(token).compute_signature(f"http://testserver{path}", data)
    return client.post(path, data, HTTP_X_TWILIO_SIGNATURE=signature)


def text(client, body: str, **form) -> None:
    """A signed incoming message, and its reply work finished (the post-call threads are idle)."""
    response = post_signed(client, "/twilio/sms/", sms_form(body, **form))
    assert response.status_code == 200, response.content
    assert dispatcher.wait_idle(30)


@contextmanager
def fake_twilio(settings) -> Iterator[FakeTwilioRest]:
    with FakeTwilioRest(ACCOUNT, TOKEN) as fake:
        settings.TWILIO_API_URL = fake.url
        yield fake
