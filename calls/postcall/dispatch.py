"""A few daemon threads that start post-call work away from the thread that finished the call.

`call_finish` runs in Channels' single database thread; anything slow there (a text API request
of an eager chain, or a broker publish waiting on an unreachable Redis) would hold every other
call's database writes in that process. So the on-commit hook only queues the call id here.
Daemon threads: a server shutting down does not wait for pending summaries (with Redis, the
broker keeps queued work; without it, work still queued at shutdown is lost; see the README).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from django.db import close_old_connections, connections

logger = logging.getLogger(__name__)

Job = Callable[[], None]


class PostCallDispatcher:
    def __init__(self, workers: int = 2) -> None:
        self._workers = workers
        self._jobs: queue.Queue[Job] = queue.Queue()
        self._pending = 0
        self._idle = threading.Condition()
        self._started = False
        self._start_lock = threading.Lock()

    def submit(self, job: Job) -> None:
        self._ensure_started()
        with self._idle:
            self._pending += 1
        self._jobs.put(job)

    def wait_idle(self, timeout: float) -> bool:
        """True once every submitted job has finished (tests and shutdown hooks wait on this)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def _ensure_started(self) -> None:
        with self._start_lock:
            if self._started:
                return
            for index in range(self._workers):
                threading.Thread(target=self._run, name=f"postcall-{index}", daemon=True).start()
            self._started = True

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            close_old_connections()
            try:
                job()
            except Exception:
                logger.exception("post-call job failed")
            finally:
                # Each thread holds its own connection; close it so an idle thread holds no lock or socket.
                connections.close_all()
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()


dispatcher = PostCallDispatcher()
