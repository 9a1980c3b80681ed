"""Celery tasks of the tools: a thin layer over the post-call email deliveries."""

from __future__ import annotations

import time

from celery import Task, shared_task
from django.conf import settings

from calls.postcall.deliveries import email_deliver
from calls.postcall.emails import CallEmail
from calls.tasks import retry_delay


@shared_task(
    name="tools.send_email",
    bind=True,
    max_retries=settings.POSTCALL_MAX_RETRIES,
    soft_time_limit=30,
    time_limit=60,
    acks_late=True,
)
def send_tool_email(
    self: Task, call_id: int, tool_call_id: str, recipients: list[str], subject: str, text: str, html: str
) -> None:
    """One message per recipient, each at most once per tool call; a retry sends only to those that failed."""
    email = CallEmail(subject=subject, text=text, html=html)
    failed = [
        recipient
        for recipient in recipients
        if email_deliver(call_id=call_id, tool_call_id=tool_call_id, recipient=recipient, email=email, resend=False)
        is False
    ]
    if not failed or self.request.retries >= self.max_retries:
        return  # a final failure stays on its EmailDelivery row, shown on the call's admin page
    delay = retry_delay(self.request.retries)
    if self.request.is_eager:
        time.sleep(delay)  # eager runs are on a post-call thread (tools/emails.py), never a call's
    raise self.retry(countdown=delay)
