"""Twilio REST call control over real HTTP, against the local fake Twilio (TWILIO_API_URL)."""

from __future__ import annotations

import pytest

from calls.carriers.twilio.control import TwilioControl
from calls.simulator.twilio_rest import Answer, FakeTwilioRest

pytestmark = pytest.mark.asyncio

ACCOUNT = "AC" + "5" * 32
TOKEN = "fake-rest-token-for-tests"
CALL = "CA" + "7" * 32


@pytest.fixture
def twilio():
    with FakeTwilioRest(ACCOUNT, TOKEN) as fake:
        yield fake


def control(fake: FakeTwilioRest, *, token: str = TOKEN, timeout: float = 5) -> TwilioControl:
    return TwilioControl(ACCOUNT, token, api_url=fake.url, timeout=timeout)


async def test_hang_up_completes_the_call(twilio):
    result = await control(twilio).hang_up(CALL)
    assert result.ok
    (request,) = twilio.requests
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT}/Calls/{CALL}.json"
    assert request.form == {"Status": "completed"}


async def test_hang_up_of_a_call_that_already_ended_is_fine(twilio):
    twilio.answer(CALL, Answer(404, 20404, "The requested resource was not found"))
    result = await control(twilio).hang_up(CALL)
    assert result.ok and result.detail == "the call had already ended"


async def test_transfer_sends_a_dial_to_the_target(twilio):
    result = await control(twilio).transfer(CALL, "+15550100100")
    assert result.ok
    (request,) = twilio.requests
    assert "<Dial>+15550100100</Dial>" in request.form["Twiml"]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (Answer(404, 20404, "The requested resource was not found"), "Twilio 20404"),
        (Answer(400, 21211, "Invalid 'To' Phone Number"), "Twilio 21211"),
        (Answer(500, None, "Internal error"), "Twilio 500"),
    ],
    ids=["already-ended", "4xx", "5xx"],
)
async def test_a_refused_transfer_says_why(twilio, answer, expected):
    twilio.answer(CALL, answer)
    result = await control(twilio).transfer(CALL, "+15550100100")
    assert not result.ok
    assert result.detail.startswith(expected)
    assert answer.message in result.detail


async def test_a_carrier_that_does_not_answer_times_out(twilio):
    twilio.answer(CALL, Answer(hang=True))
    result = await control(twilio, timeout=0.3).transfer(CALL, "+15550100100")
    assert not result.ok and result.detail == "Twilio unreachable (ReadTimeout)"


async def test_wrong_credentials_fail_without_showing_them(twilio):
    result = await control(twilio, token="not-the-token").hang_up(CALL)
    assert not result.ok and "20003" in result.detail
    assert "not-the-token" not in result.detail and TOKEN not in result.detail
    assert twilio.requests == []  # refused before anything was done


async def test_without_credentials_nothing_is_sent(twilio):
    result = await TwilioControl("", "", api_url=twilio.url).transfer(CALL, "+15550100100")
    assert not result.ok and result.detail == "no Twilio account is configured"
    assert twilio.requests == []
