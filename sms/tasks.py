"""Celery tasks of text messages: a thin layer over sms/replies.py.

`sms.reply` writes the agent's reply (text API failures retried with backoff a bounded number
of times, then recorded) and sends it; `sms.send` sends a stored message (fixed texts, the voice
agent's send_sms). Both are safe to run twice: see replies.py. Without a broker they run eagerly
on the post-call threads (calls/postcall/dispatch.py), never in the webhook's request.
"""

from __future__ import annotations

import logging
import time
from functools import partial

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import OperationalError, transaction

from calls.postcall.dispatch import dispatcher
from calls.postcall.errors import PostCallError

from . import replies
from .models import MessageStatus, SmsMessage

logger = logging.getLogger(__name__)

TASK_OPTIONS = {"bind": True, "soft_time_limit": 60, "time_limit": 90, "acks_late": True}


def retry_delay(retries: int) -> float:
    """SMS_RETRY_DELAY, doubling per retry."""
    return settings.SMS_RETRY_DELAY * 2**retries


@shared_task(name="sms.reply", **TASK_OPTIONS)
def reply_to_message(self: Task, message_id: int) -> None:
    attempt = self.request.retries + 1
    try:
        reply = replies.sms_reply_compose(message_id=message_id)
    except SmsMessage.DoesNotExist:
        return
    except PostCallError as exc:
        reason, transient = exc.reason, exc.transient
    except SoftTimeLimitExceeded:
        reason, transient = "took longer than the time limit", True
    except OperationalError:
        reason, transient = "the database was busy", True
    else:
        if reply is not None:
            replies.sms_send(message_id=reply.pk)
        return
    # Read at run time, not import time: staff and tests set it in the settings.
    final = not transient or self.request.retries >= settings.SMS_MAX_RETRIES
    replies.sms_reply_failed(message_id=message_id, reason=reason, final=final, attempt=attempt)
    if final:
        return
    delay = retry_delay(self.request.retries)
    if self.request.is_eager:
        time.sleep(delay)  # eager runs are on a post-call thread, never in a request
    raise self.retry(countdown=delay, max_retries=settings.SMS_MAX_RETRIES)


@shared_task(name="sms.send", **TASK_OPTIONS)
def send_message(self: Task, message_id: int) -> None:
    replies.sms_send(message_id=message_id)


def enqueue_reply(message_id: int) -> None:
    """Once the message is committed: write and send its reply, off the request."""
    transaction.on_commit(partial(dispatcher.submit, partial(_start, reply_to_message, message_id)))


def enqueue_send(message_id: int) -> None:
    transaction.on_commit(partial(dispatcher.submit, partial(_start, send_message, message_id)))


def _start(task: Task, message_id: int) -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        task.apply(args=[message_id])
        return
    try:
        task.apply_async(args=[message_id])
    except Exception as exc:  # kombu's connection errors vary by transport
        reason = f"scheduling: the broker could not be reached ({type(exc).__name__})"
        logger.error("text message %s: %s", message_id, reason)
        SmsMessage.objects.filter(pk=message_id, status=MessageStatus.REPLY_PENDING).update(
            status=MessageStatus.REPLY_FAILED, error=reason
        )
        SmsMessage.objects.filter(pk=message_id, status=MessageStatus.PENDING).update(
            status=MessageStatus.FAILED, error=reason
        )
