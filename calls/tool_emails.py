"""Emails the agent's tools send (send_email, take_message), through the post-call email delivery.

The model's (or caller's) words go out as text inside our own layout.

The model writes plain text, not HTML: whatever it writes can come from the caller (ask it to
"include this link"), and the message goes out from the business's own address. Escaped text
in our template cannot carry a disguised link, a tracking image or a script; a sanitiser that
kept links would still let through the first. Mail clients may still make a bare URL clickable,
but then the reader sees where it goes.
"""

from __future__ import annotations

import logging
import uuid
from functools import partial

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string

from agents.validators import parse_email_list
from tools.models import TakenMessage

from .models import Call
from .postcall.emails import CallEmail

logger = logging.getLogger(__name__)


def agent_email_render(*, subject: str, body: str, intro: str = "") -> CallEmail:
    """Subject on one line (a header cannot hold a line break); body escaped inside our HTML."""
    text = f"{intro}\n\n{body}" if intro else body
    html = render_to_string("emails/agent_message.html", {"intro": intro, "body": body})
    return CallEmail(subject=" ".join(subject.split())[:200], text=text, html=html)


def agent_email_enqueue(*, call_id: int, tool_call_id: str, recipients: list[str], email: CallEmail) -> None:
    """Send once the surrounding transaction commits (at once outside one), off the caller's thread."""
    from .postcall.dispatch import dispatcher

    job = partial(_start, call_id, tool_call_id, recipients, email.subject, email.text, email.html)
    transaction.on_commit(partial(dispatcher.submit, job))


def _start(*args: object) -> None:
    """On a post-call thread: run the task here without a broker, else hand it to the broker."""
    from .tasks import send_tool_email

    if settings.CELERY_TASK_ALWAYS_EAGER:
        send_tool_email.apply(args)
        return
    try:
        send_tool_email.apply_async(args)
    except Exception as exc:  # kombu's connection errors vary by transport
        logger.error(
            "tool email of call %s not queued: the broker could not be reached (%s)", args[0], type(exc).__name__
        )


def tool_email_queue(*, call_id: int, tool_call_id: str, mode: str, subject: str, body: str) -> list[str]:
    """Queue an email the agent wrote (sent on commit, once per tool call id and recipient);
    returns the recipients (empty: none configured)."""
    call = Call.objects.select_related("caller__group").get(pk=call_id)
    caller = call.caller
    if caller is None:
        recipients = []
    elif mode == "caller":
        recipients = parse_email_list(caller.email)
    else:
        recipients = parse_email_list(caller.group.notify_emails if caller.group else "")
    if recipients:
        email = agent_email_render(subject=subject, body=body)
        agent_email_enqueue(call_id=call_id, tool_call_id=_email_key(tool_call_id), recipients=recipients, email=email)
    return recipients


def message_take(
    *, call_id: int, caller_name: str, callback_number: str, text: str, tool_call_id: str = ""
) -> TakenMessage:
    """Store a message for staff and email it to the agent's recipients."""
    call = Call.objects.select_related("agent", "caller").get(pk=call_id)
    name = caller_name or (call.caller.name if call.caller else "")
    message = TakenMessage.objects.create(call=call, caller_name=name, callback_number=callback_number, text=text)
    recipients = parse_email_list(call.agent.notify_emails if call.agent else "")
    if recipients:
        email = agent_email_render(
            subject=f"Message from {name or callback_number or 'a caller'}",
            intro=f"Message from {name or 'a caller'} ({callback_number or 'no number'}):",
            body=text,
        )
        agent_email_enqueue(call_id=call_id, tool_call_id=_email_key(tool_call_id), recipients=recipients, email=email)
    return message


def _email_key(tool_call_id: str) -> str:
    # Without the model's id (never expected) each email stands alone, and never as the call's notification.
    return tool_call_id[:64] or f"no-id-{uuid.uuid4().hex}"
