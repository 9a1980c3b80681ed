"""The agent's reply to a text message: context, the text API, and a send that happens at most once.

Order, so that nothing is lost and nothing is sent twice: the reply is written by the model,
stored as an outbound row (one per inbound message: `reply_to` is unique) and only then sent;
the send first claims the row (pending -> sending) in one UPDATE, so a task that is retried,
redelivered or run twice finds the row claimed and sends nothing.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from calls.models import Call
from calls.postcall.llm import text_response

from .models import Direction, Kind, MessageStatus, SmsMessage, SmsPersona, SmsThread
from .services import persona_of
from .twilio_messages import message_send

logger = logging.getLogger(__name__)

STATUS_PATH = "/twilio/sms/status/"
#: Outbound rows that count as the agent's side of the thread (a failed one was never read).
SAID = [MessageStatus.SENDING, MessageStatus.QUEUED, MessageStatus.SENT, MessageStatus.DELIVERED]


def reply_instructions(thread: SmsThread, persona: SmsPersona) -> str:
    """The persona's instructions, the length limit, and what the business knows of the sender."""
    parts = [persona.instructions.strip(), f"Reply in plain text of at most {persona.max_length} characters."]
    caller = thread.caller
    if caller is not None and caller.name:
        group = f" (group: {caller.group.name})" if caller.group else ""
        parts.append(f"The sender is {caller.name}{group}.")
    last_call = _last_call(thread)
    if last_call is not None:
        parts.append(f"Summary of their last call ({last_call.started_at:%Y-%m-%d %H:%M} UTC): {last_call.summary}")
    return "\n\n".join(part for part in parts if part)


def _last_call(thread: SmsThread) -> Call | None:
    calls = Call.objects.exclude(summary="").order_by("-started_at")
    if thread.caller_id is not None:
        return calls.filter(caller_id=thread.caller_id).first()
    return calls.filter(from_number=thread.contact).first()


def thread_input(inbound: SmsMessage, persona: SmsPersona) -> list[dict[str, str]]:
    """The thread's messages of the window, oldest first, up to this one: the model's whole context."""
    since = timezone.now() - timedelta(hours=persona.history_hours)
    messages = inbound.thread.messages.filter(created_at__gte=since, pk__lte=inbound.pk).exclude(body="")
    said = messages.filter(direction=Direction.INBOUND) | messages.filter(status__in=SAID)
    turns = [
        {"role": "user" if m.direction == Direction.INBOUND else "assistant", "content": m.body}
        for m in said.order_by("created_at", "pk")
    ]
    return turns or [{"role": "user", "content": inbound.body}]


def fit(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word with an ellipsis when too long."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] or text[: limit - 1]
    return cut.rstrip(",;:") + "…"


def sms_reply_compose(*, message_id: int) -> SmsMessage | None:
    """The stored reply to an inbound message, written now by the model unless it exists already.

    None when the message is not waiting for a reply. Raises PostCallError when the text API fails.
    """
    inbound = SmsMessage.objects.select_related("thread__agent", "thread__caller__group").get(pk=message_id)
    existing = SmsMessage.objects.filter(reply_to=inbound).first()
    if existing is not None:
        return existing  # a retried or repeated task: the reply was written already
    if inbound.status != MessageStatus.REPLY_PENDING:
        return None
    if inbound.thread.agent is None:  # the number lost its agent since the message came in
        SmsMessage.objects.filter(pk=inbound.pk).update(status=MessageStatus.NOT_ANSWERED, error="no agent")
        return None
    persona = persona_of(inbound.thread.agent)
    SmsMessage.objects.filter(pk=inbound.pk).update(attempts=F("attempts") + 1)
    answer = text_response(
        model=persona.model,
        instructions=reply_instructions(inbound.thread, persona),
        text=thread_input(inbound, persona),
    )
    with transaction.atomic():
        reply, _ = SmsMessage.objects.get_or_create(
            reply_to=inbound,
            defaults={
                "thread": inbound.thread,
                "direction": Direction.OUTBOUND,
                "kind": Kind.REPLY,
                "body": fit(answer, persona.max_length),
                "status": MessageStatus.PENDING,
            },
        )
        SmsMessage.objects.filter(pk=inbound.pk).update(status=MessageStatus.ANSWERED, error="")
    return reply


def sms_reply_failed(*, message_id: int, reason: str, final: bool, attempt: int) -> None:
    """A reply attempt failed: recorded on the inbound message; `final` gives up on it."""
    values = {"error": f"{reason} (attempt {attempt})"[:300]}
    if final:
        values["status"] = MessageStatus.REPLY_FAILED
    SmsMessage.objects.filter(pk=message_id, status=MessageStatus.REPLY_PENDING).update(**values)
    logger.warning("reply to text message %s: %s (attempt %d%s)", message_id, reason, attempt, ", gave up" * final)


def status_callback_url() -> str:
    """Where Twilio posts the message's delivery status: only known with PUBLIC_URL (a task has no request)."""
    return f"{settings.PUBLIC_URL}{STATUS_PATH}" if settings.PUBLIC_URL else ""


def sms_send(*, message_id: int) -> SmsMessage | None:
    """Send a stored outbound message once: claimed first, so no retry or second run sends it again."""
    claimed = SmsMessage.objects.filter(pk=message_id, status=MessageStatus.PENDING).update(
        status=MessageStatus.SENDING, attempts=F("attempts") + 1, updated_at=timezone.now()
    )
    if not claimed:
        return None
    message = SmsMessage.objects.select_related("thread").get(pk=message_id)
    result = message_send(
        to=message.thread.contact,
        from_=message.thread.our_number,
        body=message.body,
        status_callback=status_callback_url(),
    )
    if result.ok:
        status = result.status if result.status in MessageStatus.values else MessageStatus.QUEUED
        SmsMessage.objects.filter(pk=message_id, status=MessageStatus.SENDING).update(
            status=status, message_sid=result.sid or None
        )
        logger.info("sent text message %s to %s", result.sid, message.thread.contact)
    else:
        SmsMessage.objects.filter(pk=message_id).update(status=MessageStatus.FAILED, error=result.detail[:300])
        logger.warning("text message %s to %s failed: %s", message_id, message.thread.contact, result.detail)
    SmsThread.objects.filter(pk=message.thread_id).update(last_message_at=timezone.now())
    message.refresh_from_db()
    return message
