"""The back office's reading of calls: one outcome per call (the same in Python and in SQL), the
calls list's filter, the call page's order, tool settings as forms, and the dashboard at `/`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from calls.bridge.actions import EndReason
from calls.models import Call, CallStatus, ExtractionField, ExtractionKind
from calls.outcomes import Outcome, call_outcome, outcome_expression
from tools.models import ToolSetting

from .backoffice_seed import FULL_CALL_SID, seed_calls

pytestmark = pytest.mark.django_db


# --- Outcomes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "end_reason", "carrier_status", "expected"),
    [
        (CallStatus.IN_PROGRESS, "", "", Outcome.IN_PROGRESS),
        (CallStatus.CONNECTING, "", "", Outcome.IN_PROGRESS),
        (CallStatus.COMPLETED, EndReason.AGENT_ENDED, "completed", Outcome.COMPLETED),
        (CallStatus.COMPLETED, "", "completed", Outcome.COMPLETED),
        (CallStatus.COMPLETED, EndReason.TRANSFERRED, "completed", Outcome.TRANSFERRED),
        (CallStatus.COMPLETED, EndReason.CALLER_HUNG_UP, "completed", Outcome.CALLER_HUNG_UP),
        (CallStatus.COMPLETED, EndReason.CARRIER_DISCONNECTED, "", Outcome.CALLER_HUNG_UP),
        (CallStatus.COMPLETED, EndReason.STAFF_ENDED, "completed", Outcome.STAFF_ENDED),
        (CallStatus.COMPLETED, EndReason.MAX_DURATION, "completed", Outcome.TIME_LIMIT),
        (CallStatus.COMPLETED, "", "no-answer", Outcome.NO_ANSWER),
        (CallStatus.FAILED, "", "busy", Outcome.NO_ANSWER),
        (CallStatus.REFUSED, EndReason.CALLER_BLOCKED, "", Outcome.REFUSED),
        (CallStatus.COMPLETED, EndReason.NUMBER_BUSY, "", Outcome.REFUSED),
        (CallStatus.FAILED, EndReason.MODEL_UNAVAILABLE, "completed", Outcome.FAILED),
        (CallStatus.COMPLETED, EndReason.NO_STREAM, "completed", Outcome.FAILED),
        (CallStatus.FAILED, "", "failed", Outcome.FAILED),
    ],
)
def test_each_status_and_reason_has_one_outcome_in_python_and_in_sql(status, end_reason, carrier_status, expected):
    call = Call.objects.create(
        call_sid="CA" + "1" * 32, from_number="+15550100001", to_number="+15005550006", status=status
    )
    Call.objects.filter(pk=call.pk).update(end_reason=end_reason, carrier_status=carrier_status)
    call.refresh_from_db()
    assert call_outcome(call) == expected
    assert (
        Call.objects.annotate(supervisor_outcome=outcome_expression()).get(pk=call.pk).supervisor_outcome
        == expected.value
    )


def test_every_end_reason_is_given_an_outcome_other_than_the_default_or_means_it():
    """A new EndReason must be placed in a supervisor's words, not fall silently into Completed."""
    completed_on_purpose = {EndReason.AGENT_ENDED}
    for reason in EndReason:
        outcome = call_outcome(type("C", (), {"status": CallStatus.COMPLETED, "end_reason": reason.value})())
        assert outcome != Outcome.COMPLETED or reason in completed_on_purpose, reason


# --- The calls list and the call page ---------------------------------------------------


@pytest.fixture
def seeded(demo_number, demo_caller) -> int:
    demo_number.label = "Demo line"
    demo_number.save()
    return seed_calls()


def test_the_outcome_filter_lists_the_calls_with_that_outcome(admin_client, seeded, demo_agent):
    ExtractionField.objects.create(agent=demo_agent, name="follow_up_needed", kind=ExtractionKind.BOOLEAN)
    url = reverse("admin:calls_call_changelist")
    response = admin_client.get(url, {"outcome": "caller_hung_up"})
    assert {call_outcome(c) for c in response.context["cl"].result_list} == {Outcome.CALLER_HUNG_UP}
    assert response.context["cl"].result_count == 2
    specs = response.context["cl"].filter_specs
    titles = [str(spec.title) for spec in specs]
    assert titles[0] == "outcome" and "end reason" not in titles and "status" not in titles
    labels = [str(label) for spec in specs for _value, label in getattr(spec, "lookup_choices", [])]
    assert "Follow up needed: yes" in labels and not [label for label in labels if "_" in label]


def test_the_list_shows_seconds_today_and_the_date_before(admin_client, seeded):
    content = admin_client.get(reverse("admin:calls_call_changelist")).content.decode()
    today = timezone.localtime(Call.objects.order_by("-started_at").first().started_at)
    assert f'<span class="when">{today:%H:%M:%S}</span>' in content
    assert " ago</small>" in content or "just now" in content
    older = timezone.localtime(Call.objects.order_by("started_at").first().started_at)
    day = "%b %d" if older.year == timezone.localdate().year else "%b %d %Y"  # the first week of January
    assert f'<span class="when">{older.strftime(day)}, {older:%H:%M:%S}</span>' in content


def test_the_call_page_reads_header_timeline_summary_then_details(admin_client, seeded):
    call = Call.objects.get(call_sid=FULL_CALL_SID)
    content = admin_client.get(reverse("admin:calls_call_change", args=[call.pk])).content.decode()
    places = [content.index(marker) for marker in ('class="call-header"', 'class="timeline"', 'class="call-summary')]
    places.append(content.index('class="details-title"'))
    assert places == sorted(places)
    assert "<h1>Call from Jordan</h1>" in content
    assert '<dd class="duration">2:10</dd>' in content and "Duration seconds" not in content
    # Tool calls and events sit in the timeline at their time from the answer.
    assert '<span class="at">00:11</span>' in content and "take_message" in content
    assert '<span class="at">00:14</span>' in content and "Caller asked for a visit today" in content
    assert "interrupted after 2100 ms heard" in content
    assert "Email deliveries" not in content  # no emails: no empty table


def test_a_call_with_nothing_after_it_shows_no_empty_section(admin_client, seeded):
    refused = Call.objects.get(status=CallStatus.REFUSED)
    content = admin_client.get(reverse("admin:calls_call_change", args=[refused.pk])).content.decode()
    assert 'class="call-summary' not in content and "Nothing was said." in content
    assert '<span class="outcome outcome-quiet">Refused</span>' in content


# --- Tool settings as a form --------------------------------------------------------------


def _agent_post(agent, tool: str, **inputs: str) -> dict:
    from .test_admin_agents import agent_form

    data = agent_form(agent)
    data |= {"tool_settings-TOTAL_FORMS": 1, "tool_settings-0-tool": tool, "tool_settings-0-enabled": "on"}
    data |= {f"tool_settings-0-settings.{tool}.{name}": value for name, value in inputs.items()}
    return data


def test_transfer_targets_are_typed_one_per_line_and_saved_as_settings(admin_client, demo_agent):
    url = reverse("admin:agents_agent_change", args=[demo_agent.pk])
    targets = "front desk = +15550100100\nBilling = +15550100101"
    response = admin_client.post(url, _agent_post(demo_agent, "transfer_call", targets=targets))
    assert response.status_code == 302
    setting = ToolSetting.objects.get(agent=demo_agent, tool="transfer_call")
    assert setting.settings == {"targets": {"front desk": "+15550100100", "Billing": "+15550100101"}}
    page = admin_client.get(url).content.decode()
    assert "front desk = +15550100100" in page  # shown again as typed, not as JSON


def test_a_tool_row_saved_again_unchanged_is_not_a_change(demo_agent):
    from tools.admin import ToolSettingForm

    saved = ToolSetting.objects.create(
        agent=demo_agent, tool="transfer_call", settings={"targets": {"desk": "+15550100100"}}
    )
    inputs = {"tool": "transfer_call", "enabled": "on", "settings.transfer_call.targets": "desk = +15550100100"}
    inputs["settings.send_email.recipient"] = ""  # every tool's inputs are posted
    assert not ToolSettingForm(data=inputs, instance=saved).has_changed()
    inputs["settings.transfer_call.targets"] = "desk = +15550100199"
    assert ToolSettingForm(data=inputs, instance=saved).changed_data == ["settings"]


@pytest.mark.parametrize(
    ("targets", "message"),
    [("front desk = 555", "does not match"), ("front desk", "write “name = value”"), ("", "required property")],
)
def test_wrong_transfer_targets_are_refused_with_a_reason(admin_client, demo_agent, targets, message):
    url = reverse("admin:agents_agent_change", args=[demo_agent.pk])
    response = admin_client.post(url, _agent_post(demo_agent, "transfer_call", targets=targets))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ToolSetting.objects.filter(agent=demo_agent, tool="transfer_call").exists()


def test_an_enum_setting_is_a_choice(admin_client, demo_agent):
    url = reverse("admin:agents_agent_change", args=[demo_agent.pk])
    assert admin_client.post(url, _agent_post(demo_agent, "send_email", recipient="caller")).status_code == 302
    assert ToolSetting.objects.get(agent=demo_agent, tool="send_email").settings == {"recipient": "caller"}
    response = admin_client.post(url, _agent_post(demo_agent, "send_email", recipient="everyone"))
    assert response.status_code == 200 and "is not one of" in response.content.decode()


def test_the_http_tool_form_starts_with_empty_headers(admin_client):
    content = admin_client.get(reverse("admin:tools_httptool_add")).content.decode()
    assert ">null</textarea>" not in content and 'name="new_headers"' in content


# --- The dashboard ------------------------------------------------------------------------


def test_anonymous_visitors_and_non_staff_are_sent_to_the_admin_login(client, django_user_model):
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))
    client.force_login(django_user_model.objects.create_user("pat", password="x"))
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))


def test_staff_who_may_not_read_calls_may_not_see_the_dashboard(django_user_model, operator_client):
    from django.test import Client

    assert operator_client.get("/").status_code == 200
    nobody = Client()
    nobody.force_login(django_user_model.objects.create_user("sam", password="x", is_staff=True))
    assert nobody.get("/").status_code == 403


def test_the_dashboard_counts_today_by_outcome_the_week_by_hour_and_the_reasons(admin_client, seeded):
    from dashboard import selectors

    now = timezone.now()
    Call.objects.create(call_sid="CA" + "2" * 32, from_number="+15550100009", to_number="+15005550006",
                        status=CallStatus.IN_PROGRESS)  # fmt: skip
    today = dict(selectors.outcomes_since(selectors.today_start()))
    started_today = Call.objects.filter(started_at__gte=selectors.today_start()).count()
    assert sum(today.values()) == started_today and today[Outcome.IN_PROGRESS] == 1
    hours = selectors.calls_per_hour(now=now)
    assert len(hours) == 168 and sum(n for _hour, n in hours) == Call.objects.count()
    reasons = selectors.top_reasons(since=now - timedelta(days=7))
    assert reasons[0] == ("Opening hours", 4)  # "opening hours" counted with "Opening hours"
    response = admin_client.get("/")
    content = response.content.decode()
    assert [c.call_sid for c in response.context["live"]] == ["CA" + "2" * 32]
    assert content.count('<rect class="bar"') == sum(1 for _hour, n in hours if n)
    assert reverse("admin:calls_call_changelist") + "?started_at__gte=" in content
    assert 'rel="icon"' in content


def test_the_admin_links_to_the_dashboard_and_has_a_favicon(admin_client):
    content = admin_client.get(reverse("admin:index")).content.decode()
    assert '<a href="/">View site</a>' in content and 'rel="icon"' in content
