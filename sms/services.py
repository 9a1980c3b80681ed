"""Incoming text messages: screened before anything reaches the model, then answered by a task.

The webhook calls `sms_receive` (idempotent on Twilio's MessageSid); status callbacks call
`sms_status_record`. Every decision is stored on the inbound message (status, and `error` for
why it was not answered), so staff see each message in its thread whatever happened to it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from agents.models import AccessPolicy, Agent, Caller, CallerStatus, PhoneNumber
from agents.phone import to_e164

from .keywords import Keyword, keyword_of
from .models import Direction, Kind, MessageStatus, SmsMessage, SmsNumberSetting, SmsOptOut, SmsPersona, SmsThread

logger = logging.getLogger(__name__)

#: Twilio's MessageStatus values, in the order a message goes through them: a late "sent" never
#: overwrites "delivered".
DELIVERY_ORDER = ["queued", "sending", "sent", "delivered", "undelivered", "failed"]


@dataclass(frozen=True)
class Decision:
    """What to do with an inbound message: its status, why, and a fixed text to send (if any)."""

    status: MessageStatus
    reason: str = ""
    fixed_reply: str = ""


def persona_of(agent: Agent) -> SmsPersona:
    """The agent's SMS persona, or the defaults (unsaved) when staff have not set one."""
    return SmsPersona.objects.filter(agent=agent).first() or SmsPersona(agent=agent)


def sms_opted_out(*, number: str) -> bool:
    return SmsOptOut.objects.filter(number=number).exists()


def thread_for(*, our_number: str, contact: str, phone_number: PhoneNumber | None = None) -> SmsThread:
    """The conversation between `contact` and our number, made on its first message."""
    agent = phone_number.agent if phone_number else None
    caller = Caller.objects.filter(number=contact).first()
    thread, _ = SmsThread.objects.get_or_create(
        our_number=our_number,
        contact=contact,
        defaults={"phone_number": phone_number, "agent": agent, "caller": caller},
    )
    if caller != thread.caller or (agent is not None and agent != thread.agent):
        thread.agent, thread.caller = agent or thread.agent, caller  # staff moved the number or listed the sender
        thread.save(update_fields=["agent", "caller"])
    return thread


def sms_receive(*, message_sid: str, from_number: str, to_number: str, body: str) -> SmsMessage:
    """Store an incoming message and decide what it gets; a retried webhook finds the first decision."""
    existing = SmsMessage.objects.filter(message_sid=message_sid).first()
    if existing is not None:
        return existing
    contact, ours = to_e164(from_number) or from_number[:32], to_e164(to_number) or to_number[:32]
    number = PhoneNumber.objects.select_related("agent").filter(carrier="twilio", number=ours).first()
    with transaction.atomic():
        thread = thread_for(our_number=ours, contact=contact, phone_number=number)
        # One decision at a time per thread: the rate limit counts what was already decided.
        SmsThread.objects.select_for_update().filter(pk=thread.pk).values_list("pk").first()
        message, created = SmsMessage.objects.get_or_create(
            message_sid=message_sid,
            defaults={
                "thread": thread,
                "direction": Direction.INBOUND,
                "body": body,
                "status": MessageStatus.NOT_ANSWERED,
            },
        )
        if not created:
            return message
        decision = _decide(number, thread, body)
        message.status, message.error = decision.status, decision.reason[:300]
        message.save(update_fields=["status", "error"])
        SmsThread.objects.filter(pk=thread.pk).update(last_message_at=message.created_at)
        _carry_out(message, decision)
    logger.info("text message %s from %s: %s %s", message_sid, contact, decision.status, decision.reason)
    return message


def _carry_out(message: SmsMessage, decision: Decision) -> None:
    from .tasks import enqueue_reply, enqueue_send

    if decision.status == MessageStatus.REPLY_PENDING:
        enqueue_reply(message.pk)
    elif decision.fixed_reply:
        reply = SmsMessage.objects.create(
            thread=message.thread,
            direction=Direction.OUTBOUND,
            kind=Kind.FIXED,
            body=decision.fixed_reply,
            status=MessageStatus.PENDING,
            reply_to=message,
        )
        enqueue_send(reply.pk)


def _decide(number: PhoneNumber | None, thread: SmsThread, body: str) -> Decision:
    """Opt-out words first, then the number's switch and policy, then the limit; never the model here."""
    not_answered = MessageStatus.NOT_ANSWERED
    if number is None:
        return Decision(not_answered, "not one of our Twilio numbers")
    keyword = keyword_of(body)
    if keyword is not None and keyword[0] in (Keyword.OPT_OUT, Keyword.OPT_IN):
        return _opt(thread.contact, *keyword)
    if not SmsNumberSetting.objects.filter(phone_number=number, replies_enabled=True).exists():
        return Decision(not_answered, "SMS replies are off on this number")
    if number.agent is None or not number.agent.is_active:
        return Decision(not_answered, "no active agent answers this number")
    if sms_opted_out(number=thread.contact):
        return Decision(not_answered, "the sender has opted out (STOP)")
    caller = thread.caller
    if caller is not None and caller.status == CallerStatus.BLOCKED:
        return Decision(not_answered, "blocked sender")
    persona = persona_of(number.agent)
    if _answered_last_hour(thread.contact) >= persona.max_replies_per_hour:
        return Decision(not_answered, f"rate limit: {persona.max_replies_per_hour} replies in the last hour")
    if number.access_policy == AccessPolicy.ALLOWLIST and caller is None:
        return _fixed(persona.unknown_sender_reply, "sender not on the allowlist")
    if keyword is not None:  # HELP
        return _fixed(persona.help_reply, f"{keyword[1]}: no help text is set")
    return Decision(MessageStatus.REPLY_PENDING)


def _fixed(text: str, reason: str) -> Decision:
    if text.strip():
        return Decision(MessageStatus.ANSWERED, f"{reason}: the fixed text was sent", text.strip())
    return Decision(MessageStatus.NOT_ANSWERED, reason)


def _opt(contact: str, keyword: Keyword, word: str) -> Decision:
    """Twilio confirms opt-outs and opt-ins itself; we record them and send nothing."""
    if keyword == Keyword.OPT_OUT:
        SmsOptOut.objects.get_or_create(number=contact, defaults={"keyword": word})
        return Decision(MessageStatus.NOT_ANSWERED, f"opted out ({word})")
    SmsOptOut.objects.filter(number=contact).delete()
    return Decision(MessageStatus.NOT_ANSWERED, f"opted back in ({word})")


def _answered_last_hour(contact: str) -> int:
    since = timezone.now() - timedelta(hours=1)
    answered = [MessageStatus.REPLY_PENDING, MessageStatus.ANSWERED, MessageStatus.REPLY_FAILED]
    return SmsMessage.objects.filter(
        thread__contact=contact, direction=Direction.INBOUND, status__in=answered, created_at__gte=since
    ).count()


def sms_status_record(*, message_sid: str, status: str, error_code: str = "") -> bool:
    """Twilio's delivery status for a message we sent; False when we know no such message."""
    if status not in DELIVERY_ORDER:
        return False
    message = SmsMessage.objects.filter(message_sid=message_sid, direction=Direction.OUTBOUND).first()
    if message is None:
        return False
    if message.status in DELIVERY_ORDER and DELIVERY_ORDER.index(message.status) > DELIVERY_ORDER.index(status):
        return True  # callbacks can arrive out of order
    error = f"Twilio error {error_code}" if error_code and status in ("undelivered", "failed") else message.error
    SmsMessage.objects.filter(pk=message.pk).update(status=status, error=error, updated_at=timezone.now())
    return True


def sms_tool_queue(*, call_id: int, tool_call_id: str, body: str, limit: int) -> dict[str, object]:
    """A text the voice agent sends the caller during a call: stored, then sent off the call's path.

    From the number the call came in on, once per tool call id, at most `limit` per call.
    Returns the JSON the model gets: queued, or an error saying why not.
    """
    from calls.models import Call

    from .tasks import enqueue_send

    call = Call.objects.select_related("phone_number__agent").get(pk=call_id)
    contact = to_e164(call.to_number if call.direction.startswith("outbound") else call.from_number)
    number = call.phone_number
    if number is None or number.carrier != "twilio" or not contact:
        return {"error": "text messages can only be sent from a Twilio number to a phone number"}
    if sms_opted_out(number=contact):
        return {"error": "the caller has opted out of text messages"}
    with transaction.atomic():
        thread = thread_for(our_number=number.number, contact=contact, phone_number=number)
        sent = SmsMessage.objects.filter(call=call, kind=Kind.TOOL)
        existing = sent.filter(tool_call_id=tool_call_id[:64]).first() if tool_call_id else None
        if existing is None and sent.count() >= limit:
            return {"error": f"at most {limit} text messages per call"}
        message = existing or SmsMessage.objects.create(
            thread=thread,
            direction=Direction.OUTBOUND,
            kind=Kind.TOOL,
            body=body,
            status=MessageStatus.PENDING,
            call=call,
            tool_call_id=tool_call_id[:64],
        )
        SmsThread.objects.filter(pk=thread.pk).update(last_message_at=timezone.now())
        if existing is None:
            enqueue_send(message.pk)
    return {"queued": True, "to": contact}
