"""Post-call Celery tasks: a thin layer over calls/postcall/services.py (and the call's wrap-up).

Each takes the call's id (and `force` for staff re-runs), is idempotent through its service's
status guard, retries transient failures with exponential backoff a bounded number of times,
then records the failure on the Call and lets the chain go on (the email still goes out, with
"Summary unavailable"). Found by `app.autodiscover_tasks()`, which imports `<app>.tasks`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import OperationalError

from calls.models import Call
from calls.postcall import services
from calls.postcall.deliveries import email_deliver
from calls.postcall.emails import CallEmail
from calls.postcall.errors import PostCallError
from calls.postcall.services import Step

logger = logging.getLogger(__name__)

TASK_OPTIONS = {
    "bind": True,
    "max_retries": settings.POSTCALL_MAX_RETRIES,
    # The text API's own timeout (POSTCALL_TEXT_TIMEOUT) comes first; these stop anything else hanging.
    "soft_time_limit": 60,
    "time_limit": 90,
    "acks_late": True,
}


def retry_delay(retries: int) -> float:
    """POSTCALL_RETRY_DELAY, doubling per retry: 10 s, 20 s, 40 s by default."""
    return settings.POSTCALL_RETRY_DELAY * 2**retries


def _run(task: Task, step: Step, service: Callable[..., object], call_id: int, force: bool) -> None:
    attempt = task.request.retries + 1
    try:
        service(call_id=call_id, force=force)
        return
    except Call.DoesNotExist:
        logger.info("post-call %s: call %s no longer exists", step, call_id)
        return
    except PostCallError as exc:
        reason, transient = exc.reason, exc.transient
    except SoftTimeLimitExceeded:
        reason, transient = "took longer than the time limit", True
    except OperationalError:  # SQLite busy under load
        reason, transient = "the database was busy", True
    except Exception as exc:  # a bug: recorded, and the chain goes on without this step
        logger.exception("post-call %s of call %s failed", step, call_id)
        reason, transient = f"unexpected error ({type(exc).__name__})", False
    final = not transient or task.request.retries >= task.max_retries
    services.postcall_step_failed(call_id=call_id, step=step, reason=reason, final=final, attempt=attempt)
    if final:
        return
    delay = retry_delay(task.request.retries)
    if task.request.is_eager:
        # Eager retries run at once; keep the backoff. Eager chains run on the post-call threads
        # (calls/postcall/dispatch.py), never in a request or the database thread, so sleeping is fine.
        time.sleep(delay)
    raise task.retry(countdown=delay)


@shared_task(name="calls.postcall.summarize", **TASK_OPTIONS)
def summarize_call(self: Task, call_id: int, force: bool = False) -> None:
    _run(self, Step.SUMMARY, services.call_summarize, call_id, force)


@shared_task(name="calls.postcall.extract", **TASK_OPTIONS)
def extract_call(self: Task, call_id: int, force: bool = False) -> None:
    _run(self, Step.EXTRACTION, services.call_extract, call_id, force)


@shared_task(name="calls.postcall.notify", **TASK_OPTIONS)
def notify_call(self: Task, call_id: int, force: bool = False) -> None:
    _run(self, Step.NOTIFY, services.call_notify, call_id, force)


STEP_TASKS = {Step.SUMMARY: summarize_call, Step.EXTRACTION: extract_call, Step.NOTIFY: notify_call}


@shared_task(name="calls.wrap_up", soft_time_limit=60, time_limit=90, acks_late=True)
def wrap_up_call(call_id: int, ended: dict | None) -> None:
    """A call's wrap-up (calls/wrap_up.py), published by the bridge's process once the call ended.

    No task-level retry: the wrap-up retries a busy database part by part, and logs what failed.
    """
    from calls.extensions import CallEnd
    from calls.wrap_up import call_wrap_up

    call_wrap_up(call_id=call_id, ended=CallEnd.from_json(ended) if ended else None)


@shared_task(name="calls.close_stale_calls", soft_time_limit=60, time_limit=90)
def close_stale_calls() -> int:
    """Periodic (Celery beat): close calls a stopped server process left open."""
    from calls.services import calls_close_stale

    return calls_close_stale()


# --- the agent's tool emails (calls/tool_emails.py) ------------------------------------
# The task keeps the name it had under the tools app, so messages already queued still run.
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
        time.sleep(delay)  # eager runs are on a post-call thread (calls/tool_emails.py), never a call's
    raise self.retry(countdown=delay)
