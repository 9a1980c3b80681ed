"""The SMS pieces of the back office, by role: the persona inline on the agent's page, the threads."""

from __future__ import annotations

import pytest
from django.urls import reverse

from sms.models import SmsMessage, SmsPersona, SmsThread

from .test_admin_agents import agent_form, change_url

pytestmark = pytest.mark.django_db


def test_a_manager_sets_the_agents_sms_persona_on_its_page(manager_client, demo_agent):
    data = agent_form(demo_agent) | {
        "sms_persona-TOTAL_FORMS": 1,
        "sms_persona-INITIAL_FORMS": 0,
        "sms_persona-0-instructions": "Text like a plumber.",
        "sms_persona-0-model": "gpt-4o-mini",
        "sms_persona-0-max_length": 160,
        "sms_persona-0-history_hours": 6,
        "sms_persona-0-max_replies_per_hour": 5,
    }
    response = manager_client.post(change_url(demo_agent), data)
    assert response.status_code == 302
    persona = SmsPersona.objects.get(agent=demo_agent)
    assert (persona.instructions, persona.max_length, persona.history_hours) == ("Text like a plumber.", 160, 6)


def test_operators_read_conversations_but_set_nothing_up(operator_client, demo_number):
    thread = SmsThread.objects.create(our_number=demo_number.number, contact="+15550100001", agent=demo_number.agent)
    SmsMessage.objects.create(thread=thread, direction="inbound", body="Is the van on its way?", status="answered")
    listing = operator_client.get(reverse("admin:sms_smsthread_changelist"), {"q": "van"})
    assert listing.status_code == 200 and b"+15550100001" in listing.content
    page = operator_client.get(reverse("admin:sms_smsthread_change", args=[thread.pk]))
    assert b"Is the van on its way?" in page.content and b'name="_save"' not in page.content
    assert operator_client.get(reverse("admin:sms_smsoptout_add")).status_code == 403
    assert operator_client.get(change_url(demo_number)).status_code == 403  # numbers are the managers'


def test_the_thread_list_shows_each_last_message_in_one_query(admin_client, demo_number, django_assert_num_queries):
    for index in range(5):
        thread = SmsThread.objects.create(our_number=demo_number.number, contact=f"+1555010990{index}")
        SmsMessage.objects.create(thread=thread, direction="inbound", body=f"first {index}", status="answered")
        SmsMessage.objects.create(thread=thread, direction="outbound", body=f"reply {index}", status="failed")
    url = reverse("admin:sms_smsthread_changelist")
    admin_client.get(url)  # warm: the session and the content types
    with django_assert_num_queries(6):  # session, user, 2 counts, the page, the agent filter: none per row
        response = admin_client.get(url)
    assert response.content.count(b"(Failed)") == 5 and b"reply 4" in response.content
