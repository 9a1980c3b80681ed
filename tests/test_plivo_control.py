"""Plivo REST call control over real HTTP, through the plivo SDK, against the local fake Plivo."""

from __future__ import annotations

import pytest
from django.test import override_settings

from calls.carriers.plivo.control import PlivoControl
from calls.simulator.plivo_rest import Answer, FakePlivoRest

pytestmark = pytest.mark.asyncio

AUTH_ID = "MA" + "Z" * 18  # the SDK refuses ids not shaped like Plivo's (MA/SA + 18)
TOKEN = "fake-plivo-token-for-tests"
CALL = "0e4c5d9e-1b7a-4a51-9d0c-6f1f2f0b8c11"
ALEG = "https://voice.example.com/plivo/transfer/one-time-token-xyz/"


@pytest.fixture
def plivo():
    with FakePlivoRest(AUTH_ID, TOKEN) as fake:
        yield fake


def control(fake: FakePlivoRest, *, token: str = TOKEN, timeout: float = 5) -> PlivoControl:
    return PlivoControl(AUTH_ID, token, api_url=fake.url, timeout=timeout)


async def test_hang_up_deletes_the_call_on_the_configured_base(plivo):
    result = await control(plivo).hang_up(CALL)
    assert result.ok and result.detail == ""
    (request,) = plivo.requests
    assert (request.method, request.path) == ("DELETE", f"/v1/Account/{AUTH_ID}/Call/{CALL}/")


async def test_hang_up_of_a_call_that_already_ended_is_fine(plivo):
    plivo.ended.add(CALL)
    result = await control(plivo).hang_up(CALL)
    assert result.ok and result.detail == "the call had already ended"


async def test_transfer_points_the_a_leg_at_the_dial_xml(plivo):
    result = await control(plivo).transfer(CALL, "+15550100100", aleg_url=ALEG)
    assert result.ok
    (request,) = plivo.requests
    assert (request.method, request.path) == ("POST", f"/v1/Account/{AUTH_ID}/Call/{CALL}/")
    assert request.body["legs"] == "aleg"
    assert request.body["aleg_url"] == ALEG and request.body["aleg_method"] == "POST"


async def test_transfer_of_a_call_that_ended_is_refused(plivo):
    plivo.ended.add(CALL)
    result = await control(plivo).transfer(CALL, "+15550100100", aleg_url=ALEG)
    assert not result.ok and result.detail.startswith("Plivo 404")


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (Answer(400, "invalid value for legs"), "Plivo refused (ValidationError): invalid value for legs"),
        (Answer(403, "forbidden"), "Plivo refused (ForbiddenError): forbidden"),
        (Answer(500, "internal error"), "Plivo refused (PlivoServerError): internal error"),
        (Answer(503, "unavailable"), "Plivo refused (PlivoRestError): Received status code 503"),
    ],
    ids=["400", "403", "500", "503"],
)
async def test_a_refused_transfer_says_why_without_the_url_token(plivo, answer, expected):
    plivo.answer(CALL, answer)
    result = await control(plivo).transfer(CALL, "+15550100100", aleg_url=ALEG)
    assert not result.ok
    assert result.detail.startswith(expected)
    assert "one-time-token" not in result.detail
    assert len(plivo.requests) == 1  # one attempt: the SDK's same-host "fallback" retries are off


async def test_a_carrier_that_does_not_answer_times_out(plivo):
    plivo.answer(CALL, Answer(hang=True))
    result = await control(plivo, timeout=0.3).hang_up(CALL)
    assert not result.ok and result.detail == "Plivo unreachable (ReadTimeout)"


async def test_wrong_credentials_fail_without_showing_them(plivo):
    result = await control(plivo, token="not-the-token").hang_up(CALL)
    assert not result.ok and result.detail.startswith("Plivo refused (AuthenticationError)")
    assert "not-the-token" not in result.detail and TOKEN not in result.detail and AUTH_ID not in result.detail
    assert plivo.requests == []  # refused before anything was done


async def test_without_credentials_nothing_is_sent(plivo):
    unconfigured = PlivoControl("", "", api_url=plivo.url)
    assert not unconfigured.available
    result = await unconfigured.transfer(CALL, "+15550100100", aleg_url=ALEG)
    assert not result.ok and result.detail == "no Plivo account is configured"
    assert plivo.requests == []


async def test_an_auth_id_not_shaped_like_plivos_is_not_available(plivo):
    control = PlivoControl("not-an-auth-id", TOKEN, api_url=plivo.url)
    assert not control.available
    result = await control.hang_up(CALL)
    assert not result.ok and "not-an-auth-id" not in result.detail


async def test_from_settings_reads_the_plivo_settings(plivo):
    with override_settings(PLIVO_AUTH_ID=AUTH_ID, PLIVO_AUTH_TOKEN=TOKEN, PLIVO_API_URL=plivo.url):
        result = await PlivoControl.from_settings().hang_up(CALL)
    assert result.ok and plivo.requests[0].path.startswith(f"/v1/Account/{AUTH_ID}/")
