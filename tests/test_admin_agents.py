"""The agents back office: who may do what, the agent form, its history, greetings, numbers."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

import pytest
from django.db.models.fields.files import FieldFile
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone

from agents.models import Agent, AgentVersion, Caller, CallerGroup, GroupGreeting, PhoneNumber
from agents.services import agent_greeting
from calls import services as call_services
from calls.models import Call
from tools.models import HttpTool
from tools.services import agent_session_preview

pytestmark = pytest.mark.django_db

INLINE_PREFIXES = ["group_greetings", "tool_settings", "extraction_fields", "versions", "sms_persona"]


def agent_form(agent: Agent | None = None, **changes) -> dict:
    """The agent change form as the browser posts it: every field, and empty inline formsets."""
    fields = model_to_dict(agent).items() if agent else []
    data = {k: v for k, v in fields if v is not None and k != "id" and not isinstance(v, FieldFile)}
    data.update(changes)
    for prefix in INLINE_PREFIXES:
        data |= {f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0}
    return data


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


# --- Permissions -------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page(client, demo_agent):
    response = client.get(change_url(demo_agent))
    assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))


def test_a_logged_in_user_who_is_not_staff_sees_nothing(client, django_user_model, demo_agent):
    client.force_login(django_user_model.objects.create_user("pat", password="x"))
    response = client.get(reverse("admin:agents_agent_changelist"))
    assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))


def test_an_operator_cannot_edit_an_agent(operator_client, demo_agent):
    response = operator_client.post(change_url(demo_agent), agent_form(demo_agent, instructions="Be rude."))
    assert response.status_code == 403
    demo_agent.refresh_from_db()
    assert demo_agent.instructions == "You answer the phone for Acme."


def test_a_manager_edits_an_agent_and_the_change_is_versioned(manager_client, manager, demo_agent):
    response = manager_client.post(change_url(demo_agent), agent_form(demo_agent, instructions="Be brief."))
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    demo_agent.refresh_from_db()
    assert demo_agent.instructions == "Be brief."
    version = demo_agent.versions.get()
    assert (version.instructions, version.changed_by) == ("Be brief.", manager)


def test_the_groups_grant_what_each_role_needs(operator, manager):
    assert operator.has_perms(["calls.view_call", "calls.hangup_call", "calls.view_transcriptitem"])
    assert not operator.has_perm("agents.change_agent")
    assert manager.has_perms(
        ["calls.hangup_call", "agents.change_agent", "agents.add_caller", "agents.delete_phonenumber"]
    )
    assert not manager.has_perm("calls.delete_call")  # records of what happened


# --- Every page renders ------------------------------------------------------------------


@pytest.mark.parametrize(
    "model",
    ["agents.agent", "agents.phonenumber", "agents.caller", "agents.callergroup", "calls.call", "calls.callevent"],
)
def test_changelists_and_change_forms_render(admin_client, demo_number, demo_caller, model):
    app_label, model_name = model.split(".")
    call_services.call_receive(call_sid="CA" + "2" * 32, from_number="+15550100001", to_number="+15005550099")
    assert admin_client.get(reverse(f"admin:{app_label}_{model_name}_changelist")).status_code == 200
    from django.apps import apps

    obj = apps.get_model(app_label, model_name).objects.first()
    assert admin_client.get(change_url(obj)).status_code == 200


def test_add_forms_render(admin_client):
    for model in ["agent", "phonenumber", "caller", "callergroup"]:
        assert admin_client.get(reverse(f"admin:agents_{model}_add")).status_code == 200


# --- The agent form ----------------------------------------------------------------------


ORDER_TOOL_PARAMETERS = {"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]}


def test_the_change_form_previews_the_exact_session_update(admin_client, demo_agent):
    Agent.objects.filter(pk=demo_agent.pk).update(
        instructions="  You answer the phone for Acme.\n",
        voice="sage",
        realtime_model="gpt-realtime-mini",
        vad_threshold=0.7,
        vad_prefix_padding_ms=250,
        vad_silence_duration_ms=650,
        noise_reduction="far_field",
        transcription_language="es",
    )
    HttpTool.objects.create(
        agent=demo_agent,
        name="check_order",
        description="Look up an order.",
        parameters=ORDER_TOOL_PARAMETERS,
        url_template="https://shop.example.com/orders/{order_id}",
        allowed_hosts="shop.example.com",
    )
    HttpTool.objects.create(
        agent=demo_agent,
        name="disabled_tool",
        description="Never offered.",
        url_template="https://shop.example.com/x",
        allowed_hosts="shop.example.com",
        enabled=False,
    )
    expected = {
        "type": "session.update",
        "session": {
            "type": "realtime",
            "model": "gpt-realtime-mini",
            "output_modalities": ["audio"],
            "instructions": "You answer the phone for Acme.",
            "audio": {
                "input": {
                    "format": {"type": "audio/pcmu"},
                    "turn_detection": {
                        "type": "server_vad",
                        "threshold": 0.7,
                        "prefix_padding_ms": 250,
                        "silence_duration_ms": 650,
                    },
                    "noise_reduction": {"type": "far_field"},
                    "transcription": {"model": "gpt-4o-transcribe", "language": "es"},
                },
                "output": {"format": {"type": "audio/pcmu"}, "voice": "sage"},
            },
            "tools": [
                {
                    "type": "function",
                    "name": "check_order",
                    "description": "Look up an order.",
                    "parameters": ORDER_TOOL_PARAMETERS,
                }
            ],
            "tool_choice": "auto",
        },
    }
    demo_agent.refresh_from_db()
    assert json.loads(agent_session_preview(demo_agent)) == expected
    content = admin_client.get(change_url(demo_agent)).content.decode()
    shown = re.search(r'<pre class="session-preview"[^>]*>(.*?)</pre>', content, re.S)
    assert shown and json.loads(html.unescape(shown.group(1))) == expected  # the page shows that very update
    for title in ["Persona", "Voice and audio", "Turn-taking", "After the call", "What the model receives"]:
        assert f">{title}</h2>" in content


def test_the_preview_of_a_semantic_vad_agent_without_noise_reduction_or_tools(demo_agent):
    Agent.objects.filter(pk=demo_agent.pk).update(
        turn_detection="semantic_vad", eagerness="high", noise_reduction="off", transcription_language=""
    )
    demo_agent.refresh_from_db()
    session = json.loads(agent_session_preview(demo_agent))["session"]
    assert session["audio"]["input"]["turn_detection"] == {"type": "semantic_vad", "eagerness": "high"}
    assert session["audio"]["input"]["noise_reduction"] is None  # sent as null: the model filters nothing
    assert session["audio"]["input"]["transcription"] == {"model": "gpt-4o-transcribe"}  # it detects the language
    assert "tools" not in session and "tool_choice" not in session


def test_duplicate_copies_an_agent_with_its_group_greetings(admin_client, demo_agent, demo_caller):
    GroupGreeting.objects.create(agent=demo_agent, group=demo_caller.group, greeting="Hi {first_name}!")
    changelist = reverse("admin:agents_agent_changelist")
    for _ in range(2):
        response = admin_client.post(changelist, {"action": "duplicate", "_selected_action": [demo_agent.pk]})
        assert response.status_code == 302
    first, second = Agent.objects.get(name="Receptionist (copy)"), Agent.objects.get(name="Receptionist (copy 2)")
    assert first.instructions == demo_agent.instructions and first.greeting == demo_agent.greeting
    assert first.group_greetings.get().greeting == "Hi {first_name}!"
    assert first.numbers.count() == 0  # the copy answers nothing until staff assign it
    assert second.versions.count() == 1


def test_saving_without_changing_instructions_or_greeting_records_no_version(admin_client, demo_agent):
    admin_client.post(change_url(demo_agent), agent_form(demo_agent, greeting="Hi {first_name}!"))
    admin_client.post(change_url(demo_agent), agent_form(demo_agent, greeting="Hi {first_name}!", voice="sage"))
    assert list(demo_agent.versions.values_list("greeting", flat=True)) == ["Hi {first_name}!"]


def test_an_old_version_is_restored_and_the_restore_is_recorded(admin_client, demo_agent):
    admin_client.post(change_url(demo_agent), agent_form(demo_agent, instructions="Version one."))
    admin_client.post(change_url(demo_agent), agent_form(demo_agent, instructions="Version two."))
    old = demo_agent.versions.get(instructions="Version one.")
    page = admin_client.get(change_url(demo_agent)).content.decode()
    restore_url = reverse("admin:agents_agent_restore_version", args=[demo_agent.pk, old.pk])
    assert restore_url in page  # the history inline links to it

    confirm = admin_client.get(restore_url)
    assert confirm.status_code == 200 and b"Version one." in confirm.content
    demo_agent.refresh_from_db()
    assert demo_agent.instructions == "Version two."  # GET changes nothing

    assert admin_client.post(restore_url).status_code == 302
    demo_agent.refresh_from_db()
    assert demo_agent.instructions == "Version one."
    assert list(demo_agent.versions.values_list("instructions", flat=True)) == [
        "Version one.",
        "Version two.",
        "Version one.",
    ]


def test_an_operator_cannot_restore_a_version(operator_client, demo_agent):
    version = AgentVersion.objects.create(agent=demo_agent, instructions="Old.", greeting="")
    url = reverse("admin:agents_agent_restore_version", args=[demo_agent.pk, version.pk])
    assert operator_client.post(url).status_code == 403
    demo_agent.refresh_from_db()
    assert demo_agent.instructions != "Old."


def test_a_greeting_with_an_unknown_placeholder_is_refused(admin_client, demo_agent):
    response = admin_client.post(change_url(demo_agent), agent_form(demo_agent, greeting="Hi {firstname}!"))
    assert response.status_code == 200
    assert "{firstname}" in str(response.context["adminform"].form.errors["greeting"])


# --- Greetings per caller group ----------------------------------------------------------


@pytest.fixture
def vip_greeting(demo_agent, demo_caller) -> GroupGreeting:
    return GroupGreeting.objects.create(agent=demo_agent, group=demo_caller.group, greeting="Hi {first_name}, welcome!")


def test_a_caller_in_a_group_hears_that_group_s_greeting_with_their_first_name(vip_greeting, demo_caller):
    demo_caller.name = "Jordan Lee"
    assert agent_greeting(vip_greeting.agent, demo_caller) == "Hi Jordan, welcome!"


def test_an_unknown_name_falls_back_to_the_configured_word(vip_greeting, demo_caller):
    demo_caller.name = ""
    assert agent_greeting(vip_greeting.agent, demo_caller) == "Hi there, welcome!"
    vip_greeting.agent.name_fallback = "friend"
    assert agent_greeting(vip_greeting.agent, demo_caller) == "Hi friend, welcome!"


def test_other_callers_hear_the_default_greeting(vip_greeting):
    agent = vip_greeting.agent
    agent.greeting = "Hello {first_name}, Acme here."
    outsider = Caller(number="+15550100002", name="Sam", group=CallerGroup.objects.create(name="other"))
    assert agent_greeting(agent, outsider) == "Hello Sam, Acme here."
    assert agent_greeting(agent, None) == "Hello there, Acme here."


def test_the_bridge_uses_the_caller_s_greeting(demo_number, demo_caller, vip_greeting):
    call = call_services.call_receive(call_sid="CA" + "3" * 32, from_number="+15550100001", to_number="+15005550006")
    assert call_services.bridge_setup(call_sid=call.call_sid).greeting == "Hi Jordan, welcome!"


# --- Phone numbers -----------------------------------------------------------------------


def test_a_number_typed_with_punctuation_is_stored_in_e164(admin_client, demo_agent):
    data = {"number": "+1 (500) 555-0006", "label": "Main", "carrier": "twilio", "agent": demo_agent.pk}
    data |= {"access_policy": "anyone", "sms_setting-TOTAL_FORMS": 0, "sms_setting-INITIAL_FORMS": 0}
    response = admin_client.post(reverse("admin:agents_phonenumber_add"), data)
    assert response.status_code == 302
    assert PhoneNumber.objects.get().number == "+15005550006"


def test_a_national_number_is_stored_in_e164_of_the_default_region(admin_client, demo_agent, settings):
    settings.PHONE_DEFAULT_REGION = "GB"
    data = {"number": "020 7946 0018", "label": "London", "carrier": "twilio", "access_policy": "anyone"}
    data |= {"sms_setting-TOTAL_FORMS": 0, "sms_setting-INITIAL_FORMS": 0}  # the SMS switch's inline
    response = admin_client.post(reverse("admin:agents_phonenumber_add"), data)
    assert response.status_code == 302
    assert PhoneNumber.objects.get().number == "+442079460018"


def test_a_number_that_is_not_a_phone_number_is_refused(admin_client):
    data = {"number": "call me maybe", "access_policy": "anyone"}
    response = admin_client.post(reverse("admin:agents_phonenumber_add"), data)
    assert response.status_code == 200
    assert "Enter a phone number" in str(response.context["adminform"].form.errors["number"])
    assert not PhoneNumber.objects.exists()


def test_the_numbers_list_counts_last_week_s_calls_in_one_query(admin_client, demo_agent, django_assert_num_queries):
    numbers = [
        PhoneNumber.objects.create(number=f"+1500555000{i}", agent=demo_agent, label=f"line {i}") for i in range(4)
    ]
    for i in range(3):
        Call.objects.create(call_sid=f"CA{i}", from_number="+15550100001", to_number="x", phone_number=numbers[0])
    Call.objects.filter(call_sid="CA2").update(started_at=timezone.now() - timedelta(days=8))
    url = reverse("admin:agents_phonenumber_changelist")
    with django_assert_num_queries(6):  # session, user, 2 count queries, the page, the agent filter's choices
        response = admin_client.get(url)
    rows = {number.number: number.recent_calls for number in response.context["cl"].result_list}
    assert rows == {"+15005550000": 2, "+15005550001": 0, "+15005550002": 0, "+15005550003": 0}
    assert response.context["cl"].result_list[0].agent.name == "Receptionist"  # joined, no extra query


def test_every_agent_setting_has_a_place_on_the_form():
    from agents.admin import AgentAdmin

    placed = {name for _title, options in AgentAdmin.fieldsets for name in options["fields"]}
    editable = {f.name for f in Agent._meta.fields if f.editable and f.name != "id"}
    assert editable - placed == set()  # a new field must be put in a fieldset, or staff never see it
