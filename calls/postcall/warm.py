"""Load at server start what post-call work would otherwise load on the first hang-up.

Each library loads these lazily, on first use: the openai client with its Responses resource
and httpx's transport (about a second of CPU), and Celery's task registry with its AMQP
machinery and the broker's transport (about 40 ms). Loaded on a post-call thread while other
calls are live, they held the GIL and stalled those calls' audio: bench/run.py showed up to
400 ms at 50 calls.
"""

from __future__ import annotations

import logging

from .llm import preload_client

logger = logging.getLogger(__name__)


def warm_up() -> None:
    """Never stops the server: what fails here fails again, and is reported, in post-call work."""
    try:
        _load()
    except Exception as exc:  # e.g. a malformed proxy variable that only the text API reads
        logger.warning("post-call machinery not preloaded (%s): the first hang-up will load it", type(exc).__name__)


def _load() -> None:
    from calls import tasks  # noqa: F401 - registers the post-call tasks
    from voiceagent.celery import app

    preload_client()
    app.finalize()
    app.amqp.send_task_message  # noqa: B018 - built on first access, with the router and event dispatcher
    with app.connection_for_write() as connection:
        connection.transport  # noqa: B018 - imports the broker's transport; connects to nothing
