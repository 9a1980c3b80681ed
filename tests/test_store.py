"""The per-call database writer: in order, off the audio path, retrying a busy database."""

from __future__ import annotations

import pytest
from django.db import OperationalError

from calls.store import CallStore

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_locked_database_is_retried_and_writes_stay_in_order():
    attempts: list[str] = []

    def write(*, label: str, fail_times: int = 0) -> None:
        attempts.append(label)
        if attempts.count(label) <= fail_times:
            raise OperationalError("database is locked")

    store = CallStore()
    store.put(write, label="first", fail_times=2)
    store.put(write, label="second")
    await store.drain()
    assert attempts == ["first", "first", "first", "second"]


async def test_a_write_that_keeps_failing_is_given_up_and_the_rest_still_written():
    written: list[str] = []

    def always_locked() -> None:
        raise OperationalError("database is locked")

    def write(*, label: str) -> None:
        written.append(label)

    store = CallStore()
    store.put(always_locked)
    store.put(write, label="after")
    await store.drain()
    assert written == ["after"]
