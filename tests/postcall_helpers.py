"""Shared by the post-call tests: a finished call with a barge-in, and the text API stand-in on a thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone

from agents.models import Agent, Caller
from calls.models import Call, CallStatus, ExtractionField, TranscriptItem
from calls.standin.text_api import TextApiOptions, TextApiStandin

FIRST_CALLER_LINE = "Hi, my boiler is leaking, can someone call me back on 555 0100?"
HEARD = "Sorry to hear that. A plumber"
FULL = "Sorry to hear that. A plumber will call you back within the hour, is that all right?"


def finished_call(agent: Agent, caller: Caller | None, *, call_sid: str = "CA" + "1" * 32) -> Call:
    now = timezone.now()
    call = Call.objects.create(
        call_sid=call_sid,
        agent=agent,
        caller=caller,
        from_number=caller.number if caller else "+15550109999",
        to_number="+15005550006",
        status=CallStatus.COMPLETED,
        end_reason="caller_hung_up",
        answered_at=now,
        ended_at=now,
        duration_seconds=42,
        total_tokens=321,
    )
    turns = [
        ("agent", "Hello from Acme!", "", False, None),
        ("caller", FIRST_CALLER_LINE, "", False, None),
        ("agent", HEARD, FULL, True, 1800),
        ("agent", "", "Queued behind the interrupted one.", True, 0),
        ("caller", "Yes please.", "", False, None),
    ]
    for order, (role, text, full, interrupted, heard) in enumerate(turns):
        TranscriptItem.objects.create(
            call=call,
            order=order,
            role=role,
            text=text,
            full_text=full,
            interrupted=interrupted,
            heard_ms=heard,
            provider_item_id=f"item{order}",
            offset_ms=order * 1000,
        )
    return call


def extraction_fields(agent: Agent) -> list[ExtractionField]:
    specs = [
        ("reason", "text", "Why the caller called.", ""),
        ("follow_up_needed", "boolean", "Whether staff must call back.", ""),
        ("urgency", "choice", "How urgent it is.", "high\nlow"),
        ("people", "number", "How many people are affected.", ""),
    ]
    return [
        ExtractionField.objects.create(agent=agent, name=name, kind=kind, description=desc, choices=choices, order=i)
        for i, (name, kind, desc, choices) in enumerate(specs)
    ]


@contextmanager
def threaded_text_api(options: TextApiOptions | None = None) -> Iterator[TextApiStandin]:
    """The stand-in on its own event loop in a thread, for synchronous (Django) tests."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    standin = TextApiStandin(options=options)
    asyncio.run_coroutine_threadsafe(standin.start(), loop).result(5)
    try:
        yield standin
    finally:
        asyncio.run_coroutine_threadsafe(standin.stop(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
