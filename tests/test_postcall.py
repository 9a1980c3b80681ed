"""Post-call services: summary, extraction, notification, against the text API stand-in and locmem email."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from agents.validators import parse_email_list, validate_email_list
from calls.models import CallStatus, DeliveryStatus, EmailDelivery, ExtractionField, StepStatus, TranscriptItem
from calls.postcall import deliveries, services
from calls.postcall.emails import call_email_render
from calls.postcall.errors import PostCallError
from calls.postcall.extraction import extraction_clean, extraction_schema
from calls.postcall.services import call_extract, call_notify, call_summarize

from .postcall_helpers import FIRST_CALLER_LINE, FULL, HEARD, extraction_fields, finished_call, threaded_text_api

pytestmark = pytest.mark.django_db


@pytest.fixture
def text_api(settings):
    with threaded_text_api() as standin:
        settings.OPENAI_BASE_URL = standin.url
        settings.OPENAI_API_KEY = ""
        yield standin


@pytest.fixture
def call(demo_agent, demo_caller):
    demo_agent.notify_emails = "Staff@Example.com, owner@example.com"
    demo_agent.summary_model = "gpt-4.1-mini"
    demo_agent.save()
    demo_caller.group.notify_emails = "owner@example.com; group@example.com"
    demo_caller.group.save()
    return finished_call(demo_agent, demo_caller)


def test_the_summary_reads_the_heard_transcript_and_is_stored(call, text_api):
    assert call_summarize(call_id=call.pk) == StepStatus.DONE

    call.refresh_from_db()
    assert call.summary_status == StepStatus.DONE and FIRST_CALLER_LINE in call.summary
    (request,) = text_api.requests
    assert request.path == "/v1/responses" and request.body["model"] == "gpt-4.1-mini"
    assert request.body["store"] is False
    assert request.authorization == "Bearer no-key-configured"  # a placeholder, for the stand-in
    prompt = request.body["input"]
    assert f"Agent: {HEARD} [interrupted]" in prompt and FULL not in prompt  # only what was heard
    assert "Queued behind" not in prompt  # never heard, never happened for the caller


def test_a_staff_ended_call_is_told_as_ended_by_staff_and_its_cut_last_turn_not_as_a_barge_in(call, text_api):
    call.end_reason, call.ended_by = "staff_ended", "olivia"
    call.save()
    TranscriptItem.objects.create(
        call=call, order=9, role="agent", text="A plumber is", full_text="A plumber is on the way.", interrupted=True
    )
    assert call_summarize(call_id=call.pk) == StepStatus.DONE

    prompt = text_api.requests[0].body["input"]
    assert prompt.splitlines()[0].endswith("ended: a staff member hung up (not the caller).")
    assert f"Agent: {HEARD} [interrupted]" in prompt  # the caller answered it: a barge-in
    assert "Agent: A plumber is [cut off as the call ended]" in prompt  # nobody answered it: the hang-up
    call.refresh_from_db()
    assert call.summary.endswith("The call ended: a staff member hung up (not the caller).")
    assert "talked over the agent 1 time(s)" in call.summary  # the one real barge-in, not two


def test_a_done_step_is_not_run_again_unless_forced(call, text_api):
    call_summarize(call_id=call.pk)
    assert call_summarize(call_id=call.pk) is None
    assert len(text_api.requests) == 1
    assert call_summarize(call_id=call.pk, force=True) == StepStatus.DONE
    assert len(text_api.requests) == 2


def test_a_refused_call_gets_no_postcall_work(call, text_api):
    call.status = CallStatus.REFUSED
    call.save()
    assert services.postcall_start(call_id=call.pk) is False
    assert call_summarize(call_id=call.pk) is None and call_notify(call_id=call.pk) is None
    call.refresh_from_db()
    assert (call.summary_status, call.notify_status) == ("", "") and not text_api.requests and not mail.outbox


def test_a_call_where_nothing_was_said_is_skipped_without_asking_the_model(call, text_api):
    call.transcript.all().delete()
    assert call_summarize(call_id=call.pk) == StepStatus.SKIPPED
    assert call_extract(call_id=call.pk) == StepStatus.SKIPPED
    assert not text_api.requests


def test_extraction_asks_for_a_strict_schema_and_stores_valid_values(call, text_api):
    extraction_fields(call.agent)
    assert call_extract(call_id=call.pk) == StepStatus.DONE

    call.refresh_from_db()
    # The stand-in reads the call as a model would: a short reason, a call-back asked for, nothing said of
    # urgency or of how many people (null, not a guess).
    reason = "My boiler is leaking, can someone call me back on 555 0100"
    assert call.extracted == {"reason": reason, "follow_up_needed": True, "urgency": None, "people": None}
    schema = text_api.requests[0].body["text"]["format"]
    assert schema["type"] == "json_schema" and schema["strict"] is True
    assert schema["schema"]["required"] == ["reason", "follow_up_needed", "urgency", "people"]
    assert schema["schema"]["properties"]["urgency"]["enum"] == ["high", "low", None]


def test_extraction_values_of_the_wrong_kind_become_null(demo_agent):
    fields = extraction_fields(demo_agent)
    raw = {"reason": 12, "follow_up_needed": "yes", "urgency": "HIGH", "people": float("inf"), "extra": 1}
    clean, rejected = extraction_clean(fields=fields, raw=raw)
    assert clean == {"reason": None, "follow_up_needed": None, "urgency": "high", "people": None}
    assert rejected == ["reason", "follow_up_needed", "people"]
    assert extraction_clean(fields=fields, raw=["not", "an", "object"])[0]["reason"] is None
    assert extraction_schema([])["properties"] == {}


def test_invalid_json_from_the_model_is_a_transient_failure(call, monkeypatch):
    extraction_fields(call.agent)
    monkeypatch.setattr(services, "text_response", lambda **kwargs: "{not json")
    with pytest.raises(PostCallError) as failure:
        call_extract(call_id=call.pk)
    assert failure.value.transient and "invalid JSON" in failure.value.reason


def test_field_definitions_are_validated(demo_agent):
    with pytest.raises(ValidationError):
        ExtractionField(agent=demo_agent, name="kind", kind="choice", description="d").full_clean()
    with pytest.raises(ValidationError):
        ExtractionField(agent=demo_agent, name="follow__up", description="d").full_clean()
    assert parse_email_list("A@x.com, a@x.com;b@y.org\n") == ["a@x.com", "b@y.org"]
    with pytest.raises(ValidationError):
        validate_email_list("ok@example.com, not-an-address")


def test_notify_emails_each_recipient_once_even_when_the_task_runs_again(call):
    assert call_notify(call_id=call.pk) == StepStatus.DONE
    assert sorted(m.to[0] for m in mail.outbox) == ["group@example.com", "owner@example.com", "staff@example.com"]
    assert all(len(m.to) == 1 for m in mail.outbox)  # nobody sees the other recipients
    assert set(EmailDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}

    # A redelivered task finding its guard reset still sends nothing twice: the deliveries are the lock.
    type(call).objects.filter(pk=call.pk).update(notify_status=StepStatus.PENDING)
    assert call_notify(call_id=call.pk) == StepStatus.DONE
    assert len(mail.outbox) == 3


def test_an_explicit_resend_sends_again(call):
    call_notify(call_id=call.pk)
    assert call_notify(call_id=call.pk, force=True) == StepStatus.DONE
    assert len(mail.outbox) == 6
    assert set(EmailDelivery.objects.values_list("attempts", flat=True)) == {2}


def test_a_failed_recipient_is_retried_alone(call, monkeypatch):
    real_send = deliveries.call_email_send

    def flaky(*, email, recipient):
        if recipient == "owner@example.com":
            raise ConnectionRefusedError("smtp down")
        real_send(email=email, recipient=recipient)

    monkeypatch.setattr(deliveries, "call_email_send", flaky)
    with pytest.raises(PostCallError, match="1 of 3 email"):
        call_notify(call_id=call.pk)
    failed = EmailDelivery.objects.get(recipient="owner@example.com")
    assert failed.status == DeliveryStatus.FAILED and "ConnectionRefusedError: smtp down" in failed.error

    monkeypatch.setattr(deliveries, "call_email_send", real_send)
    assert call_notify(call_id=call.pk) == StepStatus.DONE
    assert sorted(m.to[0] for m in mail.outbox) == ["group@example.com", "owner@example.com", "staff@example.com"]


def test_no_recipients_skips_the_email(call):
    call.agent.notify_emails = ""
    call.agent.save()
    call.caller.group.notify_emails = ""
    call.caller.group.save()
    assert call_notify(call_id=call.pk) == StepStatus.SKIPPED and not mail.outbox


def test_the_email_shows_summary_fields_transcript_and_an_absolute_link(call, text_api, settings):
    settings.PUBLIC_URL = "https://voice.example.com"
    extraction_fields(call.agent)
    call_summarize(call_id=call.pk)
    call_extract(call_id=call.pk)
    call.refresh_from_db()

    email = call_email_render(call)
    assert email.subject == "Call from Jordan to Receptionist"
    link = f"https://voice.example.com/admin/calls/call/{call.pk}/change/"
    for body in (email.text, email.html):
        assert FIRST_CALLER_LINE.split(",")[0] in body and link in body
        assert "Follow up needed" in body and "yes" in body
        assert "[interrupted]" in body and FULL not in body
    assert f"Agent: {HEARD} [interrupted]" in email.text


def test_the_email_says_when_the_summary_is_unavailable(call):
    call.summary_status, call.summary = StepStatus.FAILED, ""
    email = call_email_render(call)
    assert "Summary unavailable." in email.text and "Summary unavailable." in email.html
