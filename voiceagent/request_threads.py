"""Django's HTTP requests on threads that outlive them, so that their database connections persist.

Django's `ASGIHandler` gives every request a `ThreadSensitiveContext` of its own, and asgiref
gives each such context a new one-thread executor: every webhook's sync code ran on a brand-new
thread. The event loop started that thread and waited until it ran, then started another to join
it at the request's end. And since database connections are per thread, every request opened a
connection of its own (an unwarmed SQLite connection parses the schema again; PostgreSQL starts
a backend process for it), so `CONN_MAX_AGE` kept nothing under ASGI (Django's ticket #33497).

Here each request still runs all its sync code on one thread of its own, as Django requires,
but the thread is one of up to `REQUEST_THREADS` kept between requests and started with the
server. A request that finds none free gets a new one, as Django does, which closes its
connections and ends once the request is done: no request ever waits for another's thread.
Django's own signals, which run on the request's thread, still close a connection that is broken
or older than `CONN_MAX_AGE` when a request starts and finishes.

The middleware stays Django's asynchronous chain, which hops to the thread and back for each
middleware hook. One synchronous chain (as under WSGI) cost less CPU still, but the webhooks then
ran in their threads at full speed against the event loop for the GIL, and a burst of calls got
talking later, not sooner (README, *Benchmark*, 2026-12-02, *morning*; issue #17). `ASGIHandler`
is not a public Django API (`get_asgi_application` returns it): the end-to-end tests serve every
request through this subclass, so a Django upgrade that changes it fails there.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import ThreadSensitiveContext
from django.core.handlers.asgi import ASGIHandler
from django.db import connections

_numbers = itertools.count(1)


def _new_executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"request-{next(_numbers)}")


def _retire(executor: ThreadPoolExecutor) -> None:
    """Close the thread's connections, then let it end; nothing waits for either."""
    executor.submit(connections.close_all)
    executor.shutdown(wait=False)


class RequestThreads:
    """Up to `keep` one-thread executors, kept idle between requests; the last used is reused first."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self._idle: list[ThreadPoolExecutor] = []

    def start(self) -> None:
        """Start the kept threads now, at the server's start, rather than on the loop under load."""
        while len(self._idle) < self.keep:
            executor = _new_executor()
            executor.submit(int).result()
            self._idle.append(executor)

    def close(self) -> None:
        """Close the idle threads' database connections and end them (a server's or a test's end)."""
        while self._idle:
            executor = self._idle.pop()
            executor.submit(connections.close_all).result()
            executor.shutdown()

    @property
    def idle(self) -> int:
        return len(self._idle)

    def take(self) -> ThreadPoolExecutor:
        # Only the event loop's thread takes and gives back: list operations need no lock there.
        return self._idle.pop() if self._idle else _new_executor()

    def give_back(self, executor: ThreadPoolExecutor, *, reusable: bool) -> None:
        if reusable and len(self._idle) < self.keep:
            self._idle.append(executor)
        else:
            _retire(executor)


class ReusedThreadsASGIHandler(ASGIHandler):
    """Django's ASGI handler, each request's sync code on a kept thread (see the module's docstring)."""

    def __init__(self, threads: RequestThreads) -> None:
        super().__init__()
        self.threads = threads

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        executor = self.threads.take()
        finished = False
        try:
            # asgiref runs every thread-sensitive call inside on `executor`, and leaves it running at the end.
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
            finished = True  # every call inside has returned: the thread is idle again
        finally:
            self.threads.give_back(executor, reusable=finished)
