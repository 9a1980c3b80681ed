"""Emails tools send: the model's (or caller's) words as text inside our own layout.

The model writes plain text, not HTML: whatever it writes can come from the caller (ask it to
"include this link"), and the message goes out from the business's own address. Escaped text
in our template cannot carry a disguised link, a tracking image or a script; a sanitiser that
kept links would still let through the first. Mail clients may still make a bare URL clickable,
but then the reader sees where it goes.
"""

from __future__ import annotations

import logging
from functools import partial

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string

from calls.postcall.emails import CallEmail

logger = logging.getLogger(__name__)


def agent_email_render(*, subject: str, body: str, intro: str = "") -> CallEmail:
    """Subject on one line (a header cannot hold a line break); body escaped inside our HTML."""
    text = f"{intro}\n\n{body}" if intro else body
    html = render_to_string("emails/agent_message.html", {"intro": intro, "body": body})
    return CallEmail(subject=" ".join(subject.split())[:200], text=text, html=html)


def agent_email_enqueue(*, call_id: int, tool_call_id: str, recipients: list[str], email: CallEmail) -> None:
    """Send once the surrounding transaction commits (at once outside one), off the caller's thread."""
    from calls.postcall.dispatch import dispatcher

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
