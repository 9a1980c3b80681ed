"""Two writers of one call row, interleaved the way production interleaves them.

The bridge's `call_finish` and the carrier's webhooks (status callback, machine verdict) run in
different processes. Each test lets the first step read the row, commits the other step right
after that read (a database execute wrapper, so both run their real SQL), then lets the first
step write: whatever it writes must not undo what the other committed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from calls.bridge.actions import EndReason
from calls.bridge.events import Usage
from calls.models import Call, CallDirection, CallOutcome, CallStatus
from calls.services import call_answered_by, call_finish, carrier_status_record

CALL_SID = "CA" + "7" * 32


@contextmanager
def right_after_the_first_read_of_the_call(interleaved: Callable[[], None]) -> Iterator[list[str]]:
    """Run `interleaved` once, just after the next SELECT on the calls table returns."""
    ran: list[str] = []

    def wrapper(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not ran and sql.lstrip().upper().startswith("SELECT") and '"calls_call"' in sql:
            ran.append(sql)
            interleaved()
        return result

    with connection.execute_wrapper(wrapper):
        yield ran


def live_call(demo_agent, demo_caller, **extra) -> Call:
    return Call.objects.create(
        call_sid=CALL_SID,
        agent=demo_agent,
        caller=demo_caller,
        from_number=demo_caller.number,
        to_number="+15005550006",
        status=CallStatus.IN_PROGRESS,
        answered_at=timezone.now() - timedelta(seconds=30),
        **extra,
    )


def finish(call: Call) -> None:
    call_finish(call_id=call.pk, reason=EndReason.CALLER_HUNG_UP, detail="stop", usage=Usage(total_tokens=99))


def test_a_status_callback_landing_as_the_bridge_ends_the_call_does_not_reopen_it(db, demo_agent, demo_caller):
    call = live_call(demo_agent, demo_caller)
    with right_after_the_first_read_of_the_call(lambda: finish(call)) as ran:
        assert carrier_status_record(call_sid=CALL_SID, status="completed", duration="31")
    assert ran
    call = Call.objects.get(call_sid=CALL_SID)
    assert (call.status, call.end_reason, call.carrier_status) == (CallStatus.COMPLETED, "caller_hung_up", "completed")
    assert call.ended_at is not None and call.total_tokens == 99
    assert call.duration_seconds == 31  # the carrier's, landing last


def test_a_status_callback_keeps_the_summary_written_meanwhile(db, demo_agent, demo_caller):
    live_call(demo_agent, demo_caller)

    def summary_written() -> None:
        Call.objects.filter(call_sid=CALL_SID).update(summary="Asked for the opening hours.", summary_status="done")

    with right_after_the_first_read_of_the_call(summary_written):
        assert carrier_status_record(call_sid=CALL_SID, status="completed", duration="37")
    call = Call.objects.get(call_sid=CALL_SID)
    assert (call.carrier_status, call.duration_seconds) == ("completed", 37)
    assert (call.summary, call.summary_status) == ("Asked for the opening hours.", "done")


def test_the_bridge_ending_a_call_keeps_the_machine_verdict_that_landed_meanwhile(db, demo_agent, demo_caller):
    call = live_call(demo_agent, demo_caller, direction=CallDirection.OUTBOUND)
    with right_after_the_first_read_of_the_call(lambda: call_answered_by(call_sid=CALL_SID, answered_by="human")):
        finish(call)
    call = Call.objects.get(call_sid=CALL_SID)
    assert (call.status, call.outcome, call.answered_by_raw) == (CallStatus.COMPLETED, CallOutcome.HUMAN, "human")
    assert call.duration_seconds in {30, 31}


def test_a_call_closed_meanwhile_is_not_finished_again(db, demo_agent, demo_caller):
    call = live_call(demo_agent, demo_caller)

    def close_as_stale() -> None:
        Call.objects.filter(call_sid=CALL_SID).update(
            status=CallStatus.FAILED, end_reason=EndReason.SERVER_RESTART.value, ended_at=timezone.now()
        )

    with right_after_the_first_read_of_the_call(close_as_stale):
        finish(call)
    call = Call.objects.get(call_sid=CALL_SID)
    assert (call.status, call.end_reason, call.total_tokens) == (CallStatus.FAILED, "server_restart", 0)


def test_a_status_callback_ends_a_call_whose_stream_never_started(db, demo_agent, demo_caller):
    live_call(demo_agent, demo_caller, direction=CallDirection.OUTBOUND)
    Call.objects.filter(call_sid=CALL_SID).update(status=CallStatus.CONNECTING, answered_at=None)
    assert carrier_status_record(call_sid=CALL_SID, status="busy", duration=None)
    call = Call.objects.get(call_sid=CALL_SID)
    assert (call.status, call.outcome, call.carrier_status) == (CallStatus.FAILED, CallOutcome.BUSY, "busy")
    assert call.ended_at is not None and call.duration_seconds is None
    assert not carrier_status_record(call_sid="CA" + "0" * 32, status="completed", duration="3")
