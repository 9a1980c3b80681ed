"""The voice agent's send_sms tool, governed like the other built-ins; seed_demo's SMS switch; keywords."""

from __future__ import annotations

import asyncio
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from agents.models import PhoneNumber
from calls.postcall.dispatch import dispatcher
from sms.keywords import Keyword, keyword_of
from sms.models import SmsMessage, SmsNumberSetting, SmsOptOut, SmsPersona
from sms.replies import fit
from tools.dispatch import run_tool
from tools.models import ToolSetting
from tools.registry import BUILTIN, ToolContext
from tools.services import agent_toolbox

from .sms_helpers import ACCOUNT, OUR_NUMBER, SENDER, TOKEN, fake_twilio

TOOL = BUILTIN["send_sms"]


@pytest.fixture
def twilio(settings):
    settings.TWILIO_AUTH_TOKEN, settings.TWILIO_ACCOUNT_SID = TOKEN, ACCOUNT
    with fake_twilio(settings) as fake:
        yield fake


def send(call, body: str, *, tool_call_id: str = "call_1", limit: int | None = None):
    settings = {} if limit is None else {"max_per_call": limit}
    context = ToolContext(
        call.pk, call.call_sid, call.agent_id, call.caller_id, call.from_number, settings, False, tool_call_id
    )
    outcome = asyncio.run(run_tool(TOOL, "send_sms", f'{{"body": "{body}"}}', context))
    assert dispatcher.wait_idle(30)
    return outcome


@pytest.mark.django_db(transaction=True)
def test_send_sms_texts_the_caller_from_the_line_once_per_tool_call(incoming_call, twilio):
    first = send(incoming_call, "Acme Plumbing, 1 Main St.")
    again = send(incoming_call, "Acme Plumbing, 1 Main St.")  # the model repeated its tool call id
    assert first.error == "" and '"queued": true' in first.output and again.output == first.output
    (sent,) = twilio.messages
    assert (sent.to, sent.from_, sent.body) == (SENDER, OUR_NUMBER, "Acme Plumbing, 1 Main St.")
    message = SmsMessage.objects.get()
    assert (message.kind, message.call_id, message.status) == ("tool", incoming_call.pk, "queued")
    assert message.thread.contact == SENDER  # shown in the sender's conversation


@pytest.mark.django_db(transaction=True)
def test_send_sms_keeps_to_its_limit_and_to_opt_outs(incoming_call, twilio):
    assert send(incoming_call, "one", tool_call_id="a", limit=1).error == ""
    assert send(incoming_call, "two", tool_call_id="b", limit=1).error == "at most 1 text messages per call"
    SmsOptOut.objects.create(number=SENDER, keyword="STOP")
    assert send(incoming_call, "three", tool_call_id="c").error == "the caller has opted out of text messages"
    assert len(twilio.messages) == 1


@pytest.mark.django_db
def test_send_sms_is_offered_only_when_enabled_with_valid_settings(demo_agent):
    assert "send_sms" not in agent_toolbox(demo_agent).tools
    setting = ToolSetting(agent=demo_agent, tool="send_sms", settings={"max_per_call": 0})
    with pytest.raises(ValidationError, match="max_per_call"):
        setting.full_clean()
    setting.settings = {"max_per_call": 2}
    setting.full_clean()
    setting.save()
    toolbox = agent_toolbox(demo_agent)
    assert "send_sms" in toolbox.tools and toolbox.settings["send_sms"] == {"max_per_call": 2}


@pytest.mark.django_db
def test_seed_demo_turns_on_sms_replies_for_the_demo_number_idempotently():
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    (setting,) = SmsNumberSetting.objects.all()
    assert setting.phone_number == PhoneNumber.objects.get(number="+15005550006") and setting.replies_enabled
    assert setting.phone_number.access_policy == "allowlist"
    assert SmsPersona.objects.get().agent == setting.phone_number.agent


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("STOP", (Keyword.OPT_OUT, "STOP")),
        ("  unsubscribe. ", (Keyword.OPT_OUT, "UNSUBSCRIBE")),
        ("Start", (Keyword.OPT_IN, "START")),
        ("unstop", (Keyword.OPT_IN, "UNSTOP")),
        ("info", (Keyword.HELP, "INFO")),
        ("please stop calling me", None),
        ("", None),
    ],
)
def test_keywords(body, expected):
    assert keyword_of(body) == expected


def test_fit_cuts_at_a_word_with_an_ellipsis():
    assert fit("short", 320) == "short"
    assert fit("one two three four", 12) == "one two…"
    assert len(fit("x" * 500, 320)) == 320
