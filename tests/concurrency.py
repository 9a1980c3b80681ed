"""Run a function in several threads at once, each on its own database connection.

A barrier lines the threads up so their queries really overlap: the races these tests look
for (count then insert, claim then send) only show when two connections interleave.
Tests using this need `transactional_db`: each thread must see the others' committed rows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.db import connection

T = TypeVar("T")


def run_together(count: int, work: Callable[[int], T]) -> list[T]:
    """`work(0)` … `work(count - 1)`, started together in `count` threads; their results in order."""
    barrier = threading.Barrier(count)

    def one(index: int) -> T:
        try:
            barrier.wait(timeout=30)
            return work(index)
        finally:
            connection.close()  # this thread's own connection: none left open when the test database is dropped

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def on_postgresql() -> bool:
    return connection.vendor == "postgresql"
