"""Calls in the admin: the list (one query whatever its length), the timeline, exports, read-only."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agents.models import Caller
from calls.models import Call, CallStatus, Role, TranscriptItem

from .test_admin_callers import CALLER_SPELLINGS

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:calls_call_changelist"


def make_call(number, caller, index: int, *, interrupted: bool = True) -> Call:
    call = Call.objects.create(
        call_sid=f"CA{index:032d}",
        from_number=caller.number,
        to_number=number.number,
        agent=number.agent,
        phone_number=number,
        caller=caller,
        status=CallStatus.COMPLETED,
        end_reason="caller_hung_up",
        duration_seconds=75,
        total_tokens=624,
    )
    TranscriptItem.objects.create(
        call=call,
        order=0,
        role=Role.AGENT,
        text="Hello! Thanks for",
        full_text="Hello! Thanks for calling Acme." if interrupted else "",
        interrupted=interrupted,
        heard_ms=1200 if interrupted else None,
        provider_item_id="item_0",
    )
    TranscriptItem.objects.create(
        call=call, order=1, role=Role.CALLER, text="What are your opening hours?", offset_ms=4300, provider_item_id="i1"
    )
    TranscriptItem.objects.create(
        call=call, order=2, role=Role.TOOL, text="opening_hours() → 9-18", offset_ms=5000, provider_item_id="i2"
    )
    return call


@pytest.fixture
def a_call(demo_number, demo_caller) -> Call:
    return make_call(demo_number, demo_caller, 1)


def test_the_list_shows_caller_name_duration_and_interrupted_turns(admin_client, a_call):
    response = admin_client.get(reverse(CHANGELIST))
    content = response.content.decode()
    (row,) = response.context["cl"].result_list
    assert row.interrupted_turns == 1
    assert '<td class="field-caller_display">Jordan<br><small>+15550100001</small></td>' in content
    assert '<span class="outcome outcome-quiet" title="Caller hung up">Caller hung up</span>' in content
    assert '<td class="field-duration">1:15</td>' in content
    assert '<td class="field-tokens">624</td>' in content


def test_the_list_costs_the_same_queries_for_two_calls_or_eight(admin_client, demo_number, demo_caller):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(reverse(CHANGELIST)).status_code == 200
        return len(captured)

    for index in range(2):
        make_call(demo_number, demo_caller, index)
    few = queries()
    for index in range(2, 8):
        make_call(demo_number, demo_caller, index)
    assert queries() == few


def test_the_list_query_count(admin_client, demo_number, demo_caller, django_assert_num_queries):
    for index in range(5):
        make_call(demo_number, demo_caller, index)
    # session, user, the agent and number filters' choices, the extracted-flag filter's field names,
    # 2 count queries, the page (calls joined to agent, caller and number, interrupted turns counted
    # inside), the date hierarchy's 2.
    with django_assert_num_queries(10):
        admin_client.get(reverse(CHANGELIST))


def test_search_by_transcript_text_lists_each_call_once(admin_client, a_call, demo_number, demo_caller):
    make_call(demo_number, demo_caller, 2)
    TranscriptItem.objects.create(call=a_call, order=3, role=Role.CALLER, text="Opening hours on Sunday?")
    response = admin_client.get(reverse(CHANGELIST), {"q": "opening hours"})
    assert response.context["cl"].result_count == 2
    assert sorted(c.call_sid for c in response.context["cl"].result_list) == sorted(
        Call.objects.values_list("call_sid", flat=True)
    )
    response = admin_client.get(reverse(CHANGELIST), {"q": "Sunday"})
    assert [c.pk for c in response.context["cl"].result_list] == [a_call.pk]


def test_a_number_as_typed_finds_the_calls_from_and_to_it_as_the_callers_search_finds_the_caller(
    admin_client, a_call, demo_number, demo_caller
):
    other = Caller.objects.create(number="+15550100002", name="Sam")
    make_call(demo_number, other, 2)
    for term in CALLER_SPELLINGS:
        calls = admin_client.get(reverse(CHANGELIST), {"q": term}).context["cl"].result_list
        callers = admin_client.get(reverse("admin:agents_caller_changelist"), {"q": term}).context["cl"].result_list
        assert [c.pk for c in calls] == [a_call.pk], term
        assert [c.number for c in callers] == [a_call.from_number], term
    for term in ["(500) 555-0006", "+1 500-555-0006"]:  # the line called: both calls
        assert admin_client.get(reverse(CHANGELIST), {"q": term}).context["cl"].result_count == 2, term


def test_the_detail_shows_the_transcript_as_a_timeline(admin_client, a_call):
    content = admin_client.get(reverse("admin:calls_call_change", args=[a_call.pk])).content.decode()
    unheard = '<span class="unheard" title="generated but not heard"> calling Acme.</span>'
    assert f'<span class="text">Hello! Thanks for{unheard}' in content
    assert "interrupted after 1200 ms heard" in content
    assert '<span class="at">00:04</span>' in content and '<span class="role">Tool</span>' in content
    assert 'name="_save"' not in content  # a record: nothing to save
    assert reverse("admin:calls_call_transcript", args=[a_call.pk, "json"]) in content


def test_nothing_about_a_call_can_be_changed_even_by_a_superuser(admin_client, a_call):
    url = reverse("admin:calls_call_change", args=[a_call.pk])
    assert admin_client.post(url, {"status": "failed", "total_tokens": 0}).status_code == 403
    a_call.refresh_from_db()
    assert (a_call.status, a_call.total_tokens) == ("completed", 624)


def test_an_operator_reads_calls(operator_client, a_call):
    assert operator_client.get(reverse(CHANGELIST)).status_code == 200
    assert operator_client.get(reverse("admin:calls_call_change", args=[a_call.pk])).status_code == 200


def test_export_as_text(admin_client, a_call):
    response = admin_client.post(reverse(CHANGELIST), {"action": "export_text", "_selected_action": [a_call.pk]})
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert lines[0].startswith(f"Call {a_call.call_sid} from Jordan to +15005550006 (Receptionist)")
    assert lines[1] == "[ 0:00.0] Agent: Hello! Thanks for [interrupted; not heard: calling Acme.]"
    assert lines[2] == "[ 0:04.3] Caller: What are your opening hours?"


def test_export_as_json(admin_client, a_call):
    response = admin_client.post(reverse(CHANGELIST), {"action": "export_json", "_selected_action": [a_call.pk]})
    (call,) = json.loads(response.content)
    assert (call["call_sid"], call["caller"], call["agent"]) == (a_call.call_sid, "Jordan", "Receptionist")
    assert call["usage"]["total"] == 624
    first = call["transcript"][0]
    assert (first["text"], first["full_text"], first["heard_ms"]) == (
        "Hello! Thanks for",
        "Hello! Thanks for calling Acme.",
        1200,
    )


def test_one_call_s_transcript_downloads_from_its_page(admin_client, operator_client, a_call):
    response = admin_client.get(reverse("admin:calls_call_transcript", args=[a_call.pk, "txt"]))
    assert f'filename="transcript-{a_call.call_sid}.txt"' in response["Content-Disposition"]
    assert b"Caller: What are your opening hours?" in response.content
    assert operator_client.get(reverse("admin:calls_call_transcript", args=[a_call.pk, "json"])).status_code == 200
    assert admin_client.get(reverse("admin:calls_call_transcript", args=[a_call.pk, "xml"])).status_code == 404


def test_every_call_field_is_shown_on_the_call_page():
    from calls.admin import CallAdmin

    placed = {name for _title, options in CallAdmin.fieldsets for name in options["fields"]}
    fields = {f.name for f in Call._meta.fields if f.name != "id"}
    # The extraction is laid out above the details; the duration is shown as m:ss.
    assert fields - placed == {"extracted", "duration_seconds"} and "duration" in placed
