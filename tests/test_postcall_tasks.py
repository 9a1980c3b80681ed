"""Post-call tasks (eager, as without Redis): retries, failures, the off-thread start; the admin pieces."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from django.contrib.admin.sites import AdminSite
from django.core import mail

from calls.bridge.actions import EndReason
from calls.bridge.events import Usage
from calls.models import Call, CallStatus, StepStatus
from calls.postcall import admin as postcall_admin
from calls.postcall import services
from calls.postcall.dispatch import dispatcher
from calls.postcall.services import Step
from calls.services import call_finish
from calls.standin.text_api import TextApiOptions
from tests.servers import free_port

from .postcall_helpers import FIRST_CALLER_LINE, extraction_fields, finished_call, threaded_text_api

SECRET = "fake-test-very-secret-key-123"


@pytest.fixture
def postcall(settings):
    settings.POSTCALL_ENABLED = True
    settings.POSTCALL_RETRY_DELAY = 0.01
    settings.OPENAI_API_KEY = SECRET
    return settings


@pytest.fixture
def call(db, demo_agent, demo_caller):
    demo_agent.notify_emails = "staff@example.com"
    demo_agent.save()
    extraction_fields(demo_agent)
    return finished_call(demo_agent, demo_caller)


def test_the_whole_chain_runs_eagerly(call, postcall):
    with threaded_text_api() as text_api:
        postcall.OPENAI_BASE_URL = text_api.url
        assert services.postcall_start(call_id=call.pk)
    call.refresh_from_db()
    assert (call.summary_status, call.extraction_status, call.notify_status) == ("done", "done", "done")
    assert call.extracted["follow_up_needed"] is True and call.postcall_error == ""
    (message,) = mail.outbox
    assert FIRST_CALLER_LINE in message.body
    assert text_api.requests[0].authorization == f"Bearer {SECRET}"


def test_the_text_api_failing_is_retried_then_recorded_and_the_email_still_goes(call, postcall, caplog):
    caplog.set_level(logging.INFO)
    with threaded_text_api(TextApiOptions(fail_status=500)) as text_api:
        postcall.OPENAI_BASE_URL = text_api.url
        services.postcall_start(call_id=call.pk)
    call.refresh_from_db()
    assert len(text_api.requests) == 2 * (1 + postcall.POSTCALL_MAX_RETRIES)  # summary and extraction
    assert (call.summary_status, call.extraction_status, call.notify_status) == ("failed", "failed", "done")
    assert call.postcall_error == "extraction: the text API answered HTTP 500 (attempt 4)"
    assert "Summary unavailable." in mail.outbox[0].body
    # The call's own record is untouched.
    assert (call.status, call.end_reason, call.total_tokens) == (CallStatus.COMPLETED, "caller_hung_up", 321)
    assert SECRET not in caplog.text and SECRET not in call.postcall_error


def test_an_unreachable_text_api_is_reported_as_such(call, postcall):
    postcall.OPENAI_BASE_URL = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    postcall.POSTCALL_MAX_RETRIES = 0
    services.postcall_start(call_id=call.pk, steps=(Step.SUMMARY,))
    call.refresh_from_db()
    assert call.summary_status == StepStatus.FAILED
    assert call.postcall_error.startswith("summary: the text API could not be reached")


def test_a_client_error_is_not_retried(call, postcall):
    with threaded_text_api(TextApiOptions(fail_status=400)) as text_api:
        postcall.OPENAI_BASE_URL = text_api.url
        services.postcall_start(call_id=call.pk, steps=(Step.SUMMARY,))
    call.refresh_from_db()
    assert len(text_api.requests) == 1 and call.summary_status == StepStatus.FAILED


def test_a_recovering_text_api_succeeds_on_retry_and_clears_the_error(call, postcall, monkeypatch):
    answers = iter([services.PostCallError("the text API timed out", transient=True)])

    def flaky(**kwargs):
        failure = next(answers, None)
        if failure:
            raise failure
        return "A summary."

    monkeypatch.setattr(services, "text_response", flaky)
    services.postcall_start(call_id=call.pk, steps=(Step.SUMMARY,))
    call.refresh_from_db()
    assert (call.summary_status, call.summary, call.postcall_error) == ("done", "A summary.", "")


@pytest.mark.django_db(transaction=True)
def test_call_finish_hands_the_work_to_another_thread(demo_agent, demo_caller, postcall, monkeypatch):
    """call_finish runs in Channels' database thread: a slow text API must not hold it."""
    threads = []
    summarize = services.call_summarize
    monkeypatch.setattr(
        services, "call_summarize", lambda **kw: threads.append(threading.current_thread().name) or summarize(**kw)
    )
    demo_agent.notify_emails = "staff@example.com"
    demo_agent.save()
    call = finished_call(demo_agent, demo_caller)
    Call.objects.filter(pk=call.pk).update(ended_at=None, status=CallStatus.IN_PROGRESS)
    with threaded_text_api(TextApiOptions(delay=1.0)) as text_api:
        postcall.OPENAI_BASE_URL = text_api.url
        started = time.monotonic()
        call_finish(call_id=call.pk, reason=EndReason.CALLER_HUNG_UP, detail="", usage=Usage())
        assert time.monotonic() - started < 0.5
        assert dispatcher.wait_idle(timeout=20)
    call.refresh_from_db()
    assert (call.summary_status, call.notify_status) == ("done", "done") and len(mail.outbox) == 1
    assert threads[0].startswith("postcall-")


# --- admin pieces ------------------------------------------------------------------------------


def test_the_flag_filter_and_columns(call, rf):
    other = finished_call(call.agent, None, call_sid="CA" + "2" * 32)
    Call.objects.filter(pk=call.pk).update(extracted={"follow_up_needed": True}, summary_status="done")
    Call.objects.filter(pk=other.pk).update(extracted={"follow_up_needed": False}, summary_status="failed")
    model_admin = _model_admin()

    flag = postcall_admin.ExtractedFlagFilter(rf.get("/"), {"flag": ["follow_up_needed:yes"]}, Call, model_admin)
    assert ("follow_up_needed:yes", "Follow up needed: yes") in flag.lookup_choices
    assert list(flag.queryset(None, Call.objects.all())) == [call]
    failed = postcall_admin.PostCallStatusFilter(rf.get("/"), {"postcall": ["failed"]}, Call, model_admin)
    assert list(failed.queryset(None, Call.objects.all())) == [other]

    call.refresh_from_db()
    assert postcall_admin.postcall_column(call) == "summary ✓"
    assert postcall_admin.extracted_flags_column(call) == "follow_up_needed"
    assert "<th>Follow up needed</th><td>yes</td>" in postcall_admin.extracted_table(call)


def test_the_actions_schedule_work_for_finished_calls_only(call, rf, monkeypatch):
    refused = finished_call(call.agent, None, call_sid="CA" + "3" * 32)
    Call.objects.filter(pk=refused.pk).update(status=CallStatus.REFUSED)
    scheduled = []
    monkeypatch.setattr(postcall_admin, "postcall_enqueue", lambda **kwargs: scheduled.append(kwargs))
    model_admin = _model_admin()
    monkeypatch.setattr(model_admin, "message_user", lambda *args, **kwargs: None)

    postcall_admin.rerun_summary_and_extraction(model_admin, rf.post("/"), Call.objects.all())
    postcall_admin.resend_summary_email(model_admin, rf.post("/"), Call.objects.all())
    assert scheduled == [
        {"call_id": call.pk, "steps": (Step.SUMMARY, Step.EXTRACTION), "force": True},
        {"call_id": call.pk, "steps": (Step.NOTIFY,), "force": True},
    ]


def _model_admin():
    from django.contrib import admin

    return admin.ModelAdmin(Call, AdminSite())


def test_an_unreachable_broker_is_recorded_not_raised(call, postcall, monkeypatch):
    class Unpublishable:
        def apply_async(self):
            raise ConnectionRefusedError("redis://:secret@broker:6379 refused")

    postcall.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(services, "_chain", lambda signatures: Unpublishable())
    assert services.postcall_start(call_id=call.pk) is False
    call.refresh_from_db()
    assert call.postcall_error == "scheduling: the broker could not be reached (ConnectionRefusedError)"
