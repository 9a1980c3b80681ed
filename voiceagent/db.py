"""Database work from async code, for every app (the project's base layer: it imports no app).

`off_loop` runs work a call waits for (the stream's claim, a tool's query) on the server's thread
pool. `off_process` runs the writes a call only queues (`calls.store.CallStore`: transcripts,
events, tool-call records, the call's end, the recording) there too, or, with
`CALL_DB_PROCESSES` set, in that many worker processes (README, *Production*). In threads, the
ORM's Python holds the GIL the event loop needs for every socket call, and CPython hands the GIL
over only every 5 ms: when fifty calls end together, the audio of the calls still talking waits
behind their last writes (README, *Benchmark*, issue #17). A process has a GIL of its own, and
runs below the server in the CPU's queue (`BACKGROUND_NICENESS`), so it is no place for work a
call waits on: under a full CPU it waits for a free core.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import pickle
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings

from voiceagent.priority import lower_priority

logger = logging.getLogger(__name__)
SERVER_CHECK_S = 1.0
START_TIMEOUT_S = 60.0


def off_loop(function: Callable[..., Any]) -> Callable[..., Any]:
    """Run `function` on the thread pool with fresh database connections.

    Not Channels' default single "thread-sensitive" thread: every sync view shares that one,
    so under load a call's token check or transcript write would queue behind other calls'
    webhooks, and the frames behind it would wait too.
    """
    return database_sync_to_async(function, thread_sensitive=False)


def off_process(function: Callable[..., Any]) -> Callable[..., Any]:
    """Like `off_loop`, in a database worker process when `CALL_DB_PROCESSES` is set.

    For writes nothing waits on but their order: `function` must be importable by name, and
    its arguments and result picklable (the call's services take ids, strings and dataclasses).
    """
    if settings.CALL_DB_PROCESSES:
        return partial(_in_worker_process, function)
    return off_loop(function)


async def _in_worker_process(function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    if _workers.given_up:
        return await off_loop(function)(*args, **kwargs)
    loop = asyncio.get_running_loop()
    job = partial(_run_with_fresh_connections, function, args, kwargs)
    pool = _workers.pool()
    try:
        return await loop.run_in_executor(pool, job)
    except BrokenProcessPool:
        # A worker died (killed, out of memory), and the standard pool then stops all of them and
        # refuses all work. Start a new one so this call and the others go on, and run the job
        # there once more; if the new workers die too, in threads from then on.
        logger.warning("a database worker process died; starting new ones (running %s again)", function.__name__)
    try:
        return await loop.run_in_executor(_workers.replace(pool), job)
    except BrokenProcessPool:
        _workers.give_up()
        return await off_loop(function)(*args, **kwargs)


def _run_with_fresh_connections(function: Callable[..., Any], args: tuple, kwargs: dict[str, Any]) -> Any:
    """In a worker process: what `database_sync_to_async` does around a function in a thread."""
    from django.db import close_old_connections

    close_old_connections()
    try:
        return function(*args, **kwargs)
    except Exception as exc:
        raise _picklable(exc) from None
    finally:
        close_old_connections()


def _picklable(exc: Exception) -> Exception:
    """The exception itself when the server can rebuild it; a server that cannot unpickle a
    result counts its pool as broken and stops every worker."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def _worker_start(server: int, niced_import: bool) -> None:
    """A fresh interpreter (spawned, not forked from a process with threads and open sockets).

    Below the server in the CPU's queue (BACKGROUND_NICENESS): when fifty calls end together their
    writes can wait some milliseconds; the audio of the calls still talking cannot. Importing
    Django takes a second of CPU. A pool that replaces a dead one does it niced, since calls are
    live; the first pool, at server start, before the server listens, at the server's priority,
    as the server imports its own: a niced import on a full machine gets a ninth of a normal
    process's share, and held the server's start for over 30 s in CI (stop 26).
    """
    import django

    threading.Thread(target=_exit_with, args=(server,), name="server-watch", daemon=True).start()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which stops its workers
    if niced_import:
        lower_priority(settings.BACKGROUND_NICENESS)
    global _in_worker, _import_niceness
    _import_niceness = os.getpriority(os.PRIO_PROCESS, 0)
    django.setup()
    if not niced_import:
        lower_priority(settings.BACKGROUND_NICENESS)
    _in_worker = True


def _exit_with(server: int) -> None:
    """A server killed outright (SIGKILL, the OOM killer) would leave its workers blocked for ever
    on a queue it shares with them: a worker whose server is gone exits."""
    while os.getppid() == server:
        time.sleep(SERVER_CHECK_S)
    os._exit(0)


_in_worker = False
_import_niceness: int | None = None  # in a worker: its niceness while it imported Django


def import_niceness() -> int | None:
    """In a worker, the niceness it imported Django at (tests/test_db_processes.py checks which
    pools import below the server); None in the server."""
    return _import_niceness


def in_worker_process() -> bool:
    """True in a database worker process: work there is off the audio path, and dies with the pool."""
    return _in_worker


class _WorkerProcesses:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self.given_up = False

    def pool(self, *, at_server_start: bool = False) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    settings.CALL_DB_PROCESSES,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_worker_start,
                    initargs=(os.getpid(), not at_server_start),
                )
            return self._pool

    def replace(self, broken: ProcessPoolExecutor) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is broken:
                self._pool = None
        broken.shutdown(wait=False, cancel_futures=True)
        return self.pool()

    def give_up(self) -> None:
        with self._lock:
            if self.given_up:
                return
            self.given_up = True
        logger.error("the database worker processes keep dying; the writes of live calls run in threads until restart")

    def start(self) -> list[int]:
        """Start every worker now, at server start, rather than with the first calls: each one
        imports Django and the apps (about a second of CPU). Returns their process ids; raises
        if they cannot start (an import error, a niceness the server may not set)."""
        pool = self.pool(at_server_start=True)
        # A spawning pool starts a worker for each job submitted while none is idle: all of them here.
        for started in [pool.submit(os.getpid) for _ in range(settings.CALL_DB_PROCESSES)]:
            started.result(timeout=START_TIMEOUT_S)
        return sorted(pool._processes)  # the executor's own table of its workers (CPython 3.9+)


_workers = _WorkerProcesses()


def worker_processes_start() -> list[int]:
    """Start `CALL_DB_PROCESSES` worker processes now; [] when database work runs in threads."""
    return _workers.start() if settings.CALL_DB_PROCESSES else []
