"""What follows a call's end, done away from the process that carried its audio.

A call's last write (`services.call_finish`) stays with the bridge: staff see the call end at
once. Everything after it (outbound's attempt bookkeeping, the apps' endings such as the cost
ledger, scheduling the summary) is one Celery task, `calls.wrap_up`. In daphne's threads it was
half of the database CPU that, when fifty calls hung up together, held the GIL the audio of the
calls still talking needs (README, *Benchmark*, issue #17).

Without a broker (the embedded defaults, `CELERY_TASK_ALWAYS_EAGER`) there is no other process:
it runs on commit in the thread that wrote the call's end, as before, so the call's writes are
all done when its store drains; the summary still starts on a post-call thread. A broker that
cannot be reached gets the same wrap-up on a post-call thread: nothing of the call is lost.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial

from django.conf import settings
from django.db import OperationalError

from voiceagent.db import in_worker_process

from . import extensions
from .extensions import CallEnd
from .models import Call
from .postcall.dispatch import dispatcher
from .postcall.services import postcall_enqueue, postcall_start
from .signals import call_settled

logger = logging.getLogger(__name__)


RETRIES = 3  # a busy SQLite ("database is locked") is retried, part by part


def call_wrap_up(
    *, call_id: int, ended: CallEnd | None, start_postcall: Callable[..., object] = postcall_start
) -> None:
    """Once the call's end is committed: its settlement signal, the apps' endings, post-call work.

    Each part is independent of the others: one failing is logged and the rest still run; a busy
    database is retried for that part alone, so a part that succeeded never runs twice. A task
    delivered again (its worker died mid-way) runs every part again: the ledger's row is updated,
    a budget alert and each email still go once, a summary may be written again.
    """
    parts = [partial(call_settled.send, sender=Call, call_id=call_id)]
    if ended is not None:  # a call the bridge carried: what it used
        parts += [partial(ending, call_id, ended) for ending in extensions.ENDINGS]
    if settings.POSTCALL_ENABLED:
        parts.append(partial(start_postcall, call_id=call_id))
    for part in parts:
        _run_part(call_id, part)


def _run_part(call_id: int, part: partial[object]) -> None:
    name = getattr(part.func, "__name__", repr(part.func))
    for attempt in range(1, RETRIES + 1):
        try:
            part()
            return
        except OperationalError:
            if attempt == RETRIES:
                logger.exception("wrapping up call %s: %s gave up, the database stayed busy", call_id, name)
                return
            time.sleep(0.2 * attempt)  # a worker's, a post-call or a database thread's: never the event loop's
        except Exception:
            logger.exception("wrapping up call %s: %s failed", call_id, name)
            return


def wrap_up_enqueue(*, call_id: int, ended: CallEnd | None) -> None:
    """From the database thread, on commit: with a broker, a post-call thread publishes the task
    (a slow broker never holds the database thread); without one, the wrap-up runs here.

    In a database worker process (`CALL_DB_PROCESSES`) the publish is done here, before the write
    returns: the worker is off the audio path already, and a thread of its own would die with the
    pool if another worker died, losing the wrap-up of a call whose end is written.
    """
    if settings.CELERY_TASK_ALWAYS_EAGER:
        call_wrap_up(call_id=call_id, ended=ended, start_postcall=postcall_enqueue)  # the summary off this thread
        return
    if in_worker_process():
        _publish_or_run(call_id, ended)
        return
    dispatcher.submit(partial(_publish_or_run, call_id, ended))


def _publish_or_run(call_id: int, ended: CallEnd | None) -> None:
    from .tasks import wrap_up_call  # the tasks import the services

    try:
        wrap_up_call.delay(call_id, ended.as_json() if ended else None)
        return
    except Exception as exc:  # kombu's connection errors vary by transport
        reason = type(exc).__name__
        logger.warning("call %s: the broker could not be reached (%s); wrapping up here", call_id, reason)
    call_wrap_up(call_id=call_id, ended=ended)
