"""Outbound calls below the browser: placing through the local fake Twilio over real HTTP, do-not-call,
calling hours, retries, the carrier's refusals, and the signed webhooks of an attempt."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from twilio.request_validator import RequestValidator

from calls.models import Call, CallDirection, CallOutcome
from calls.services import bridge_setup
from calls.simulator.twilio_outbound import Callee
from calls.simulator.twilio_rest import FakeTwilioRest
from outbound.hours import callee_zones, next_call_time
from outbound.models import OutboundCall, OutboundStatus
from outbound.services import outbound_call_create, outbound_call_place, outbound_dispatch_due

pytestmark = pytest.mark.django_db

ACCOUNT = "AC" + "4" * 32
TOKEN = "outbound-test-token"
PUBLIC = "http://testserver"
LONDON = "+442071838750"
ANY_TIME = dt.time(0, 0)


@pytest.fixture
def twilio(settings):
    with FakeTwilioRest(ACCOUNT, TOKEN) as fake:
        settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = ACCOUNT, TOKEN
        settings.TWILIO_API_URL, settings.PUBLIC_URL = fake.url, PUBLIC
        fake.outbound.default = Callee(status="no-answer")  # nobody picks up unless a test says so
        yield fake


@pytest.fixture
def line(demo_number):
    demo_number.calling_hours_start = demo_number.calling_hours_end = ANY_TIME
    demo_number.save()
    return demo_number


def created_calls(fake) -> list:
    return [r for r in fake.requests if r.path.endswith("/Calls.json")]


def place(agent, **kwargs):
    outbound = outbound_call_create(agent=agent, **kwargs)
    return outbound_call_place(outbound_id=outbound.pk)


# --- calling hours, in the callee's time zone ---------------------------------------------------


def test_calling_hours_follow_the_callees_zone():
    nine, eight_pm = dt.time(9), dt.time(20)
    london_morning = dt.datetime(2026, 1, 15, 10, 0, tzinfo=dt.UTC)
    assert next_call_time(LONDON, nine, eight_pm, london_morning) == london_morning
    # 10:00 UTC is 02:00 in California: wait for 09:00 there, 17:00 UTC.
    assert next_call_time("+14155550100", nine, eight_pm, london_morning) == dt.datetime(
        2026, 1, 15, 17, 0, tzinfo=dt.UTC
    )
    late = dt.datetime(2026, 7, 15, 21, 30, tzinfo=dt.UTC)  # 22:30 in London (summer time)
    assert next_call_time(LONDON, nine, eight_pm, late) == dt.datetime(2026, 7, 16, 8, 0, tzinfo=dt.UTC)
    assert next_call_time(LONDON, ANY_TIME, ANY_TIME, late) == late


def test_a_number_in_many_zones_is_called_when_it_is_day_in_all_of_them():
    # +1 500 is tied to no area: 42 zones of the +1 plan, from Guam's (UTC+10) to the Atlantic's (UTC-4).
    noon = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)
    at = next_call_time("+15005550006", dt.time(9), dt.time(20), noon)
    zones = callee_zones("+15005550006")
    assert len(zones) > 10 and at > noon
    assert all(dt.time(9) <= at.astimezone(zone).time() < dt.time(20) for zone in zones)
    assert not all(dt.time(9) <= (at - dt.timedelta(hours=1)).astimezone(zone).time() < dt.time(20) for zone in zones)


# --- placing ----------------------------------------------------------------------------------


def test_placing_asks_twilio_with_async_amd_and_records_the_call(twilio, line, demo_agent, demo_caller):
    placed = place(demo_agent, to_number=demo_caller.number, purpose="Confirm Friday's delivery")
    (request,) = created_calls(twilio)
    form = request.form
    assert (form["To"], form["From"], form["MachineDetection"], form["AsyncAmd"]) == (
        "+15550100001",
        "+15005550006",
        "DetectMessageEnd",
        "true",
    )
    assert (
        form["StatusCallback"] == f"{PUBLIC}/twilio/status/"
        and form["AsyncAmdStatusCallback"] == f"{PUBLIC}/twilio/amd/"
    )
    call = Call.objects.get(call_sid=placed.attempt.carrier_call_id)
    assert (call.direction, call.caller, call.purpose, call.attempt_number) == (
        CallDirection.OUTBOUND,
        demo_caller,
        "Confirm Friday's delivery",
        1,
    )
    setup = bridge_setup(call_sid=call.call_sid)
    assert setup.greet_first is False and setup.outbound.purpose == "Confirm Friday's delivery"
    assert "Confirm Friday's delivery" in setup.config.instructions and "Jordan" in setup.config.instructions
    assert setup.caller_number == "+15550100001"


def test_do_not_call_is_honoured_when_the_call_is_dialled(twilio, line, demo_agent, demo_caller):
    outbound = outbound_call_create(agent=demo_agent, to_number=demo_caller.number)
    demo_caller.do_not_call = True
    demo_caller.save()  # flagged after it was scheduled: still never dialled
    placed = outbound_call_place(outbound_id=outbound.pk)
    assert placed.attempt is None and "do-not-call" in placed.message
    assert OutboundCall.objects.get().status == OutboundStatus.SKIPPED
    assert created_calls(twilio) == []


def test_outside_calling_hours_the_call_waits_for_the_window(twilio, demo_number, demo_agent):
    outbound = outbound_call_create(agent=demo_agent, to_number=LONDON)
    night = dt.datetime.combine(timezone.now().date() + dt.timedelta(days=1), dt.time(23, 30), tzinfo=dt.UTC)
    placed = outbound_call_place(outbound_id=outbound.pk, now=night)
    assert placed.attempt is None and "calling hours" in placed.message
    outbound.refresh_from_db()
    assert outbound.status == OutboundStatus.SCHEDULED and outbound.due_at.astimezone(dt.UTC).hour == 9
    assert created_calls(twilio) == []


def test_a_refusal_that_retrying_cannot_fix_gives_up_at_once(twilio, line, demo_agent):
    twilio.outbound.callees["+15550100099"] = Callee(refuse=(400, 21211, "The 'To' number is not valid."))
    placed = place(demo_agent, to_number="+15550100099")
    attempt = placed.attempt
    assert (attempt.outcome, attempt.call) == (CallOutcome.FAILED, None)
    assert "21211" in attempt.detail and placed.outbound.status == OutboundStatus.GAVE_UP


def test_a_transient_refusal_is_retried_after_the_agents_spacing_until_the_attempts_run_out(twilio, line, demo_agent):
    demo_agent.outbound_max_attempts, demo_agent.outbound_retry_minutes = 2, 15
    demo_agent.save()
    twilio.outbound.callees["+15550100098"] = Callee(refuse=(503, 20503, "Service unavailable"))
    first = place(demo_agent, to_number="+15550100098")
    outbound = first.outbound
    assert outbound.status == OutboundStatus.SCHEDULED
    assert outbound_dispatch_due(now=timezone.now()) == 0  # not before its time
    later = outbound.due_at + dt.timedelta(seconds=1)
    assert abs((outbound.due_at - first.attempt.placed_at) - dt.timedelta(minutes=15)) < dt.timedelta(seconds=5)
    outbound_dispatch_due(now=later)
    outbound.refresh_from_db()
    assert (outbound.status, outbound.attempts_made) == (OutboundStatus.GAVE_UP, 2)
    assert [a.outcome for a in outbound.attempts.all()] == ["failed", "failed"]
    assert len(created_calls(twilio)) == 2


def status_post(client, **data):
    url = f"{PUBLIC}/twilio/status/"
    signature = RequestValidator(TOKEN).compute_signature(url, data)
    return client.post("/twilio/status/", data, HTTP_X_TWILIO_SIGNATURE=signature)


def test_no_answer_from_the_status_callback_is_retried(
    client, twilio, line, demo_agent, django_capture_on_commit_callbacks
):
    placed = place(demo_agent, to_number="+15550100097")  # the fake posts no-answer to our server's URL…
    sid = placed.attempt.carrier_call_id
    # …which is not running here: the test client delivers the same signed callback.
    assert client.post("/twilio/status/", {"CallSid": sid, "CallStatus": "no-answer"}).status_code == 403
    assert Call.objects.get(call_sid=sid).outcome == ""  # unsigned: nothing changed
    with django_capture_on_commit_callbacks(execute=True):  # the signal is sent once the status is committed
        assert status_post(client, CallSid=sid, CallStatus="no-answer", CallDuration="0").status_code == 204
    outbound = OutboundCall.objects.get()
    assert (outbound.status, outbound.outcome) == (OutboundStatus.SCHEDULED, CallOutcome.NO_ANSWER)
    assert outbound.attempts.get().outcome == CallOutcome.NO_ANSWER


def test_the_answer_url_opens_the_stream_only_when_signed_and_for_its_own_call(client, twilio, line, demo_agent):
    placed = place(demo_agent, to_number="+15550100096")
    url = created_calls(twilio)[0].form["Url"]
    data = {"CallSid": placed.attempt.carrier_call_id, "Direction": "outbound-api", "CallStatus": "in-progress"}
    path = url.removeprefix(PUBLIC)
    assert client.post(path, data).status_code == 403
    signed = RequestValidator(TOKEN).compute_signature(url, data)
    response = client.post(path, data, HTTP_X_TWILIO_SIGNATURE=signed)
    assert response.status_code == 200 and b"<Stream" in response.content and b"/twilio/media/" in response.content
    other = {**data, "CallSid": "CA" + "9" * 32}  # the URL of one attempt, used for another call
    forged = client.post(path, other, HTTP_X_TWILIO_SIGNATURE=RequestValidator(TOKEN).compute_signature(url, other))
    assert forged.status_code == 403 and not Call.objects.filter(call_sid=other["CallSid"]).exists()


def test_amd_webhook_stores_the_verdict_and_unsigned_changes_nothing(client, twilio, line, demo_agent):
    sid = place(demo_agent, to_number="+15550100095").attempt.carrier_call_id
    data = {"CallSid": sid, "AnsweredBy": "machine_end_beep", "MachineDetectionDuration": "4100"}
    assert client.post("/twilio/amd/", data).status_code == 403
    assert Call.objects.get(call_sid=sid).outcome == ""
    signature = RequestValidator(TOKEN).compute_signature(f"{PUBLIC}/twilio/amd/", data)
    assert client.post("/twilio/amd/", data, HTTP_X_TWILIO_SIGNATURE=signature).status_code == 204
    call = Call.objects.get(call_sid=sid)
    assert (call.outcome, call.answered_by_raw) == (CallOutcome.MACHINE, "machine_end_beep")
    assert bridge_setup(call_sid=sid).answered_by == "machine_end_beep"  # for a stream that starts after it


# --- the command ----------------------------------------------------------------------------


def test_place_call_prints_our_id_and_the_carriers(twilio, line, demo_agent):
    out = StringIO()
    call_command("place_call", agent=demo_agent.name, to="+15550100094", purpose="Say hello", stdout=out)
    call = Call.objects.get()
    assert f"call id: {call.pk}\n" in out.getvalue() and f"carrier call id: {call.call_sid}" in out.getvalue()


def test_place_call_needs_public_url(twilio, line, demo_agent, settings):
    settings.PUBLIC_URL = ""
    with pytest.raises(CommandError, match="PUBLIC_URL"):
        call_command("place_call", agent=demo_agent.name, to="+15550100093")
    assert created_calls(twilio) == []
    outbound = OutboundCall.objects.get()
    assert (outbound.status, outbound.attempts.count()) == (OutboundStatus.GAVE_UP, 0)


def test_mcp_recent_calls_says_which_calls_were_outbound(twilio, line, demo_agent, incoming_call, superuser):
    from mcp_server.selectors import recent_calls

    sid = place(demo_agent, to_number="+15550100092").attempt.carrier_call_id
    rows = {row.carrier_call_id: row for row in recent_calls(user=superuser, limit=10)}
    assert (rows[sid].direction, rows[sid].to_number) == ("outbound", "+15550100092")
    assert rows[incoming_call.call_sid].direction == "inbound"


def test_a_campaign_csv_reports_every_bad_line_and_saves_nothing_unless_all_are_good():
    from outbound.campaigns import campaign_rows_parse

    bad = campaign_rows_parse(data=b"number,purpose\n+15550100201,\ncall me,\n+1 555 010 0201,again\n")
    assert bad.errors == [(3, "call me is not a phone number"), (4, "+15550100201 is already in the file")]
    good = campaign_rows_parse(data=b"\xef\xbb\xbfnumber\n+1 (555) 010-0202\n")  # a BOM, as Excel writes
    assert (good.rows, good.errors) == ([("+15550100202", "")], [])
    assert campaign_rows_parse(data=b"phone\n+15550100202\n").errors[0][0] == 1


def test_a_call_a_person_answered_is_done_and_not_retried(
    client, twilio, line, demo_agent, django_capture_on_commit_callbacks
):
    sid = place(demo_agent, to_number="+15550100091").attempt.carrier_call_id
    signature = RequestValidator(TOKEN).compute_signature(
        f"{PUBLIC}/twilio/amd/", {"CallSid": sid, "AnsweredBy": "human"}
    )
    client.post("/twilio/amd/", {"CallSid": sid, "AnsweredBy": "human"}, HTTP_X_TWILIO_SIGNATURE=signature)
    with django_capture_on_commit_callbacks(execute=True):
        status_post(client, CallSid=sid, CallStatus="completed", CallDuration="42")
    outbound = OutboundCall.objects.get()
    assert (outbound.status, outbound.outcome, outbound.attempts_made) == (OutboundStatus.REACHED, "human", 1)
    assert Call.objects.get(call_sid=sid).duration_seconds == 42
    assert outbound_dispatch_due(now=timezone.now() + dt.timedelta(days=1)) == 0


def test_an_attempt_whose_call_was_closed_as_stale_is_retried(
    twilio, line, demo_agent, django_capture_on_commit_callbacks
):
    from calls.services import calls_close_stale

    placed = place(demo_agent, to_number="+15550100090")  # Twilio never calls back (its callbacks go nowhere)
    with django_capture_on_commit_callbacks(execute=True):
        assert calls_close_stale(now=timezone.now() + dt.timedelta(hours=1)) == 1
    placed.outbound.refresh_from_db()
    assert (placed.outbound.status, placed.outbound.outcome) == (OutboundStatus.SCHEDULED, CallOutcome.FAILED)
