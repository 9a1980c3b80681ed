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


def test_saving_a_turn_again_updates_its_row_and_unnamed_turns_stay_apart(demo_number, demo_caller):
    from calls import services
    from calls.bridge.actions import TranscriptEntry
    from calls.models import TranscriptItem

    call = services.call_receive(call_sid="CA" + "7" * 32, from_number="+15550100001", to_number="+15005550006")
    first = TranscriptEntry(key="item_1", order=1, role="agent", text="We open at nine", offset_ms=100)
    services.transcript_save(call_id=call.pk, entry=first)
    cut = TranscriptEntry(
        key="item_1", order=1, role="agent", text="We open", full_text="We open at nine", offset_ms=100,
        interrupted=True, heard_ms=700,
    )  # fmt: skip
    services.transcript_save(call_id=call.pk, entry=cut)
    rows = TranscriptItem.objects.filter(call=call).values_list("provider_item_id", "text", "interrupted", "heard_ms")
    assert list(rows) == [("item_1", "We open", True, 700)]

    for order in (2, 3):  # no provider id: never mistaken for one another
        unnamed = TranscriptEntry(key="", order=order, role="system", text="x", offset_ms=0)
        services.transcript_save(call_id=call.pk, entry=unnamed)
    assert TranscriptItem.objects.filter(call=call, provider_item_id="").count() == 2
