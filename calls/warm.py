"""Load at server start what the first calls would otherwise load while others are live.

Each is loaded lazily, on first use: for post-call work the openai client with its Responses
resource and httpx's transport (about a second of CPU), and Celery's task registry with its AMQP
machinery and the broker's transport (about 40 ms); for the first call's set-up, the wait tone
(about 80 ms). Loaded on a thread while calls were live, they held the GIL and stalled those
calls' audio: bench/run.py showed up to 400 ms at 50 calls.
"""

from __future__ import annotations

import logging

from agents.hold import default_hold_chunks
from calls.postcall.llm import preload_client

logger = logging.getLogger(__name__)


def warm_up() -> None:
    """Never stops the server: what fails here fails again, and is reported, in post-call work."""
    try:
        _load()
    except Exception as exc:  # e.g. a malformed proxy variable that only the text API reads
        logger.warning("call machinery not preloaded (%s): the first calls will load it", type(exc).__name__)


def _load() -> None:
    from calls import tasks  # noqa: F401 - registers the post-call tasks
    from voiceagent.celery import app

    default_hold_chunks()
    preload_client()
    app.finalize()
    app.amqp.send_task_message  # noqa: B018 - built on first access, with the router and event dispatcher
    with app.connection_for_write() as connection:
        connection.transport  # noqa: B018 - imports the broker's transport; connects to nothing
