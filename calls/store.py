"""Database writes for a live call, in order, off the audio path.

The bridge queues writes and never awaits them, so a slow or locked database delays
no audio frame. One writer task per call keeps them in order; `drain` waits for all. They run
on the thread pool, or in the database worker processes (`CALL_DB_PROCESSES`, voiceagent/db.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from django.db import OperationalError

from voiceagent.db import off_process

logger = logging.getLogger(__name__)
RETRIES = 3


class CallStore:
    def __init__(self) -> None:
        self._queue: asyncio.Queue[tuple[Callable[..., Any], dict[str, Any]] | None] = asyncio.Queue()
        self._task = asyncio.create_task(self._write_all())

    def put(self, write: Callable[..., Any], **kwargs: Any) -> None:
        """Queue `write(**kwargs)` to run off the loop (`off_process`): importable, picklable arguments."""
        self._queue.put_nowait((write, kwargs))

    async def drain(self) -> None:
        """Wait until everything queued so far is written, then stop the writer."""
        self._queue.put_nowait(None)
        await asyncio.shield(self._task)

    async def _write_all(self) -> None:
        while (job := await self._queue.get()) is not None:
            write, kwargs = job
            await self._write(write, kwargs)

    async def _write(self, write: Callable[..., Any], kwargs: dict[str, Any]) -> None:
        for attempt in range(1, RETRIES + 1):
            try:
                await off_process(write)(**kwargs)
                return
            except OperationalError:  # SQLite "database is locked" under load: wait briefly, retry
                if attempt == RETRIES:
                    logger.exception("gave up writing %s", write.__name__)
                    return
                await asyncio.sleep(0.1 * attempt)
            except Exception:  # a bad write is logged; the call and the next writes go on
                logger.exception("writing %s failed", write.__name__)
                return
