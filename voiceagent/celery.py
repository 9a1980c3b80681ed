"""The Celery application: broker from REDIS_URL, or eager in-process without it."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceagent.settings")

app = Celery("voiceagent")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _yield_the_cpu_to_live_calls(**_: object) -> None:
    """Post-call work runs below the media server in the CPU's queue (its pool inherits this).

    When fifty calls end together, fifty wrap-ups and summaries arrive at once; on a machine that
    also carries calls they took both cores from the audio of the calls still talking (README,
    *Benchmark*, issue #17). A summary can wait some milliseconds; a caller's audio cannot. A
    worker that leads its own session (a systemd service) lowers its session's priority too:
    without that its nice value counted for nothing against the server's (voiceagent/priority.py).
    """
    from django.conf import settings

    from voiceagent.priority import lower_priority

    lower_priority(settings.BACKGROUND_NICENESS)


worker_init.connect(_yield_the_cpu_to_live_calls, weak=False)
