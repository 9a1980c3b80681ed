"""What tests of engine-dependent behaviour share: the engine in use, and simultaneous connections.

`run_together` runs a function in several threads at once, each on its own connection. A barrier
lines the threads up so their queries really overlap: the races these tests look for (count then
insert, claim then send) only show when two connections interleave. Tests using it need
`transactional_db`: each thread must see the others' committed rows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

T = TypeVar("T")

#: `make test` runs the suite again with DATABASE_URL=postgres://… (tests/postgres_run.py).
ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
postgresql_only = pytest.mark.skipif(not ON_POSTGRESQL, reason="PostgreSQL only: runs in make test's PostgreSQL pass")
sqlite_only = pytest.mark.skipif(ON_POSTGRESQL, reason="SQLite only")


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


def current_database_url(name: str | None = None) -> str:
    """The DATABASE_URL of the database this test uses (or of database `name` on the same server),
    for a subprocess (manage.py, daphne, the MCP server) that must see the rows the fixtures wrote."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        return f"postgres://{quote(db['USER'])}:{quote(db['PASSWORD'])}@{db['HOST']}:{db['PORT']}/{name or db['NAME']}"
    return f"sqlite:///{db['NAME']}"
