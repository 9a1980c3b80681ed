"""Load at server start what the first calls would otherwise load while others are live.

Each is loaded lazily, on first use: for post-call work the openai client with its Responses
resource and httpx's transport (about a second of CPU), and Celery's task registry with its AMQP
machinery and the broker's transport (about 40 ms); for the first call's set-up, the wait tone
(about 80 ms), and for the first webhook the URLconf with every view, each carrier's package and
its SDK (plivo's alone is 77 modules), the channel layer and the SQL compiler. Loaded on a thread
while calls were live, they held the GIL and stalled those calls' audio: bench/run.py showed up
to 400 ms at 50 calls. Loaded here, they are also in `gc.freeze()`'s permanent generation
(voiceagent/asgi.py), so no full collection while calls are live walks them again.

With `CALL_DB_PROCESSES`, the database worker processes are started here too, each importing
Django and the apps in its own interpreter before the first call writes.
"""

from __future__ import annotations

import logging

from agents.hold import default_hold_chunks
from calls.postcall.llm import preload_client
from voiceagent.db import worker_processes_start

logger = logging.getLogger(__name__)


def warm_up() -> None:
    """Never stops the server: what fails here fails again, and is reported, in post-call work."""
    try:
        _load()
    except Exception as exc:  # e.g. a malformed proxy variable that only the text API reads
        logger.warning("call machinery not preloaded (%s): the first calls will load it", type(exc).__name__)
    try:
        if workers := worker_processes_start():
            logger.info("the writes of live calls run in %d database worker processes: %s", len(workers), workers)
    except Exception as exc:  # the first writes find the pool broken too, and go to the threads (voiceagent/db.py)
        logger.error("the database worker processes did not start (%s)", type(exc).__name__)


def _load() -> None:
    from channels.layers import get_channel_layer
    from django.urls import get_resolver

    from agents.phone import to_e164
    from calls import tasks  # noqa: F401 - registers the post-call tasks
    from calls.models import Call
    from voiceagent.celery import app

    get_resolver().url_patterns  # noqa: B018 - imports the URLconf: the views, the carriers and their SDKs
    get_channel_layer()
    str(Call.objects.filter(pk=0).query)  # the SQL compiler; no query is run
    to_e164("2015550123")  # phonenumbers' metadata for PHONE_DEFAULT_REGION
    default_hold_chunks()
    preload_client()
    app.finalize()
    app.amqp.send_task_message  # noqa: B018 - built on first access, with the router and event dispatcher
    with app.connection_for_write() as connection:
        connection.transport  # noqa: B018 - imports the broker's transport; connects to nothing
