"""Text message replies: signed webhooks, screening before the model, the reply task, its faults.

Over real HTTP: the text API stand-in and the fake Twilio REST (Messages.json) run on loopback
ports; the reply work runs eagerly on the post-call threads, as it does without Redis.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest
from django.contrib.admin.sites import AdminSite
from django.core.management import call_command

from agents.models import AccessPolicy, CallerStatus
from calls.models import Call
from calls.postcall.dispatch import dispatcher
from calls.simulator.twilio_messages import MessageFailure
from calls.standin.text_api import TextApiOptions
from sms import admin as sms_admin
from sms.models import MessageStatus, SmsMessage, SmsNumberSetting, SmsOptOut, SmsPersona, SmsThread
from sms.tasks import reply_to_message, send_message

from .database_helpers import run_together
from .postcall_helpers import threaded_text_api
from .servers import free_port
from .sms_helpers import ACCOUNT, OPENAI_KEY, OUR_NUMBER, SENDER, TOKEN, fake_twilio, post_signed, sms_form, text

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sms_settings(settings):
    settings.TWILIO_AUTH_TOKEN, settings.TWILIO_ACCOUNT_SID = TOKEN, ACCOUNT
    settings.PUBLIC_URL = ""
    settings.OPENAI_API_KEY = OPENAI_KEY
    settings.SMS_RETRY_DELAY, settings.SMS_MAX_RETRIES = 0.01, 2
    return settings


@pytest.fixture
def twilio(sms_settings):
    with fake_twilio(sms_settings) as fake:
        yield fake


@pytest.fixture
def text_api(sms_settings):
    with threaded_text_api() as standin:
        sms_settings.OPENAI_BASE_URL = standin.url
        yield standin


@pytest.fixture
def persona(demo_number, demo_caller):
    SmsNumberSetting.objects.create(phone_number=demo_number, replies_enabled=True)
    return SmsPersona.objects.create(agent=demo_number.agent, instructions="You text for Acme Plumbing.")


def inbound() -> list[SmsMessage]:
    return list(SmsMessage.objects.filter(direction="inbound").order_by("pk"))


# --- the webhook ---------------------------------------------------------------------------------


@pytest.mark.parametrize("signature", [None, "Zm9yZ2Vk"], ids=["unsigned", "forged"])
def test_an_unsigned_or_forged_message_is_403_and_stores_nothing(client, persona, twilio, signature):
    headers = {"HTTP_X_TWILIO_SIGNATURE": signature} if signature else {}
    response = client.post("/twilio/sms/", sms_form("Hello"), **headers)
    assert response.status_code == 403
    assert not SmsMessage.objects.exists() and not SmsThread.objects.exists() and twilio.messages == []


def test_a_message_gets_an_empty_response_and_the_agent_replies_by_rest(client, persona, twilio, text_api):
    response = post_signed(client, "/twilio/sms/", sms_form("Are you open on Saturday?"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/xml")
    root = ET.fromstring(response.content)
    assert root.tag == "Response" and len(root) == 0
    assert dispatcher.wait_idle(30)

    (sent,) = twilio.messages
    assert (sent.to, sent.from_) == (SENDER, OUR_NUMBER)
    assert sent.body == 'Thanks for your message: "Are you open on Saturday?". (0 earlier message(s) in this thread.)'
    (request,) = text_api.requests
    assert request.authorization == f"Bearer {OPENAI_KEY}"
    assert request.body["input"] == [{"role": "user", "content": "Are you open on Saturday?"}]
    assert "previous_response_id" not in request.body and request.body["store"] is False
    instructions = request.body["instructions"]
    assert "You text for Acme Plumbing." in instructions and "at most 320 characters" in instructions
    assert "The sender is Jordan (group: primary)." in instructions
    (message,) = inbound()
    assert (message.status, message.reply.status, message.reply.message_sid) == ("answered", "queued", sent.sid)


def test_a_picture_message_is_stored_and_answered_as_text(client, persona, twilio, text_api):
    form = sms_form("") | {"NumMedia": "1", "MediaUrl0": "https://api.twilio.com/media/ME1"}
    assert post_signed(client, "/twilio/sms/", form).status_code == 200
    assert dispatcher.wait_idle(30)
    assert inbound()[0].body == "[1 attachment(s), not shown]"
    assert text_api.requests[0].body["input"] == [{"role": "user", "content": "[1 attachment(s), not shown]"}]


def test_a_retried_webhook_is_answered_once(client, persona, twilio, text_api):
    form = sms_form("Hello?")
    for _ in range(3):
        assert post_signed(client, "/twilio/sms/", form).status_code == 200
    assert dispatcher.wait_idle(30)
    assert len(inbound()) == 1 and len(text_api.requests) == 1 and len(twilio.messages) == 1


def test_each_request_carries_the_threads_recent_messages_and_the_last_call(
    client, persona, twilio, text_api, demo_caller
):
    Call.objects.create(call_sid="CA-old", from_number=SENDER, to_number=OUR_NUMBER, summary="Asked about a tap.")
    text(client, "Hi")
    text(client, "What time do you open?")
    second = text_api.requests[1].body
    assert [turn["role"] for turn in second["input"]] == ["user", "assistant", "user"]
    assert second["input"][-1]["content"] == "What time do you open?"
    assert second["input"][1]["content"] == twilio.messages[0].body
    assert "Asked about a tap." not in second["instructions"]  # a known sender: only their own calls
    Call.objects.filter(call_sid="CA-old").update(caller=demo_caller)
    text(client, "Thanks")
    assert "Summary of their last call" in text_api.requests[2].body["instructions"]
    assert "Asked about a tap." in text_api.requests[2].body["instructions"]


def test_messages_older_than_the_window_are_left_out(client, persona, twilio, text_api):
    text(client, "An old question")
    SmsMessage.objects.update(created_at="2020-01-01T00:00:00Z")
    text(client, "A new one")
    assert [turn["content"] for turn in text_api.requests[1].body["input"]] == ["A new one"]


def test_a_long_answer_is_cut_to_the_personas_maximum(client, persona, twilio, text_api):
    SmsPersona.objects.filter(pk=persona.pk).update(max_length=40)
    text(client, "Please tell me everything about your opening hours and prices")
    (sent,) = twilio.messages
    assert len(sent.body) <= 40 and sent.body.endswith("…")
    assert "at most 40 characters" in text_api.requests[0].body["instructions"]


# --- screening: never the model ------------------------------------------------------------------


def test_an_unknown_sender_gets_nothing_by_default_and_never_reaches_the_model(client, persona, twilio, text_api):
    text(client, "Who is this?", from_="+15550109999")
    (message,) = inbound()
    assert (message.status, message.error) == ("not_answered", "sender not on the allowlist")
    assert twilio.messages == [] and text_api.requests == []


def test_an_unknown_sender_gets_the_fixed_text_when_staff_set_one(client, persona, twilio, text_api):
    SmsPersona.objects.filter(pk=persona.pk).update(unknown_sender_reply="Sorry, this line is for clients only.")
    text(client, "Who is this?", from_="+15550109999")
    (sent,) = twilio.messages
    assert (sent.to, sent.body) == ("+15550109999", "Sorry, this line is for clients only.")
    assert text_api.requests == []


def test_anyone_policy_lets_unknown_senders_reach_the_agent(client, persona, twilio, text_api, demo_number):
    demo_number.access_policy = AccessPolicy.ANYONE
    demo_number.save()
    text(client, "Hello", from_="+15550109999")
    assert len(twilio.messages) == 1 and "The sender is" not in text_api.requests[0].body["instructions"]


@pytest.mark.parametrize("setup", ["sms_off", "blocked", "inactive_agent"])
def test_messages_the_number_does_not_answer(client, persona, twilio, text_api, demo_number, demo_caller, setup):
    if setup == "sms_off":
        SmsNumberSetting.objects.update(replies_enabled=False)
    elif setup == "blocked":
        demo_caller.status = CallerStatus.BLOCKED
        demo_caller.save()
    else:
        demo_number.agent.is_active = False
        demo_number.agent.save()
    text(client, "Hello")
    (message,) = inbound()
    assert message.status == "not_answered" and message.error
    assert twilio.messages == [] and text_api.requests == []


def test_stop_opts_out_until_start(client, persona, twilio, text_api):
    text(client, " stop ")
    assert SmsOptOut.objects.get().number == SENDER
    text(client, "Hello?")
    assert inbound()[-1].error == "the sender has opted out (STOP)"
    assert twilio.messages == [] and text_api.requests == []  # Twilio itself confirms the STOP
    text(client, "START")
    assert not SmsOptOut.objects.exists()
    text(client, "Hello again")
    assert len(twilio.messages) == 1 and len(text_api.requests) == 1
    assert [m.status for m in inbound()] == ["not_answered", "not_answered", "not_answered", "answered"]


@pytest.mark.parametrize("word", ["UNSUBSCRIBE", "Cancel", "end", "QUIT", "STOPALL"])
def test_twilios_other_opt_out_words(client, persona, twilio, text_api, word):
    text(client, word)
    assert SmsOptOut.objects.get().keyword == word.upper()


def test_help_gets_the_help_text_not_the_model(client, persona, twilio, text_api):
    SmsPersona.objects.filter(pk=persona.pk).update(help_reply="Acme Plumbing: text us your question. STOP to opt out.")
    text(client, "HELP")
    (sent,) = twilio.messages
    assert sent.body.startswith("Acme Plumbing: text us") and text_api.requests == []


def test_a_sender_over_the_hourly_limit_is_not_answered(client, persona, twilio, text_api):
    SmsPersona.objects.filter(pk=persona.pk).update(max_replies_per_hour=2)
    for body in ("one", "two", "three"):
        text(client, body)
    assert len(twilio.messages) == 2 and len(text_api.requests) == 2
    assert inbound()[-1].error == "rate limit: 2 replies in the last hour"


# --- faults: retried within bounds, then failed; nothing lost, nothing sent twice ------------------


def test_a_failing_text_api_is_retried_then_the_reply_is_marked_failed(client, persona, twilio, sms_settings):
    with threaded_text_api(TextApiOptions(fail_status=500)) as failing:
        sms_settings.OPENAI_BASE_URL = failing.url
        text(client, "Hello")
    assert len(failing.requests) == 1 + sms_settings.SMS_MAX_RETRIES
    (message,) = inbound()
    assert (message.status, message.error) == ("reply_failed", "the text API answered HTTP 500 (attempt 3)")
    assert twilio.messages == [] and OPENAI_KEY not in message.error

    # Staff try again once the text API is back: answered once.
    with threaded_text_api() as working:
        sms_settings.OPENAI_BASE_URL = working.url
        model_admin = sms_admin.SmsMessageAdmin(SmsMessage, AdminSite())
        model_admin.message_user = lambda *args, **kwargs: None
        model_admin.reply_again(None, SmsMessage.objects.all())
        model_admin.reply_again(None, SmsMessage.objects.all())  # a second click finds nothing failed
        assert dispatcher.wait_idle(30)
    assert len(twilio.messages) == 1 and SmsMessage.objects.get(pk=message.pk).status == "answered"


def test_a_slow_text_api_times_out_and_is_retried(client, persona, twilio, sms_settings):
    sms_settings.POSTCALL_TEXT_TIMEOUT, sms_settings.SMS_MAX_RETRIES = 0.2, 1
    with threaded_text_api(TextApiOptions(delay=2.0)) as slow:
        sms_settings.OPENAI_BASE_URL = slow.url
        text(client, "Hello")
        assert len(slow.requests) == 2
    (message,) = inbound()
    assert (message.status, message.error) == ("reply_failed", "the text API timed out (attempt 2)")


def test_a_refused_send_is_recorded_with_twilios_reason_and_never_resent(client, persona, twilio, text_api):
    twilio.fail_messages(MessageFailure(400, 21610, "Attempt to send to unsubscribed recipient"))
    text(client, "Hello")
    reply = SmsMessage.objects.get(direction="outbound")
    assert (reply.status, reply.error) == (
        "failed",
        "Twilio 21610: Unable to create record: Attempt to send to unsubscribed recipient",
    )
    reply_to_message.apply(args=[reply.reply_to_id])
    send_message.apply(args=[reply.pk])
    assert len(twilio.requests) == 1 and len(text_api.requests) == 1


def test_the_reply_task_run_twice_at_once_sends_once(persona, twilio, text_api):
    thread = SmsThread.objects.create(our_number=OUR_NUMBER, contact=SENDER, agent=persona.agent)
    message = SmsMessage.objects.create(
        thread=thread, direction="inbound", body="Hello", message_sid="SM-twice", status=MessageStatus.REPLY_PENDING
    )
    run_together(2, lambda _: reply_to_message.apply(args=[message.pk]))  # e.g. a redelivered task
    assert len(twilio.messages) == 1 and SmsMessage.objects.filter(direction="outbound").count() == 1

    # A worker that died after claiming the send (before Twilio answered) leaves it "sending": never resent.
    SmsMessage.objects.filter(direction="outbound").update(status=MessageStatus.SENDING)
    reply_to_message.apply(args=[message.pk])
    assert len(twilio.requests) == 1


# --- delivery status -------------------------------------------------------------------------------


def test_status_callbacks_record_delivery_and_its_failure(client, persona, twilio, text_api):
    text(client, "Hello")
    sid = twilio.messages[0].sid
    assert client.post("/twilio/sms/status/", {"MessageSid": sid, "MessageStatus": "delivered"}).status_code == 403
    for status in ("sent", "delivered", "sent"):  # the late "sent" does not undo "delivered"
        response = post_signed(client, "/twilio/sms/status/", {"MessageSid": sid, "MessageStatus": status})
        assert response.status_code == 204
    assert SmsMessage.objects.get(message_sid=sid).status == "delivered"
    text(client, "Again")
    other = twilio.messages[1].sid
    post_signed(
        client, "/twilio/sms/status/", {"MessageSid": other, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    )
    assert SmsMessage.objects.values_list("status", "error").get(message_sid=other) == (
        "undelivered",
        "Twilio error 30003",
    )


def test_the_status_callback_url_is_given_with_public_url(client, persona, twilio, text_api, sms_settings):
    sms_settings.PUBLIC_URL = "http://testserver"
    text(client, "Hello")
    assert twilio.messages[0].status_callback == "http://testserver/twilio/sms/status/"


# --- simulate_sms, as make demo runs it ----------------------------------------------------------


def test_simulate_sms_texts_a_server_and_prints_the_reply_its_fake_twilio_caught(
    live_server, persona, text_api, sms_settings
):
    port = free_port()
    sms_settings.TWILIO_API_URL = f"http://127.0.0.1:{port}"
    out = io.StringIO()
    call_command("simulate_sms", base_url=live_server.url, rest_port=port, body="Open on Sunday?", stdout=out)
    assert "<Response />" in out.getvalue()
    assert "reply from +15005550006 to +15550100001" in out.getvalue()
    assert 'Thanks for your message: "Open on Sunday?"' in out.getvalue()
    assert dispatcher.wait_idle(30)  # the fake answers after recording: the row is updated then
    assert SmsMessage.objects.get(direction="outbound").status == "queued"
