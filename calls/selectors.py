"""Reads for the staff live page: the calls in progress and what has been said so far.

Shapes match what the bridge publishes (see `calls.live`), so the page renders a call loaded
from the database and a call announced over the channel layer with the same code.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.urls import reverse

from .models import Call, CallStatus, TranscriptItem


def _entry(item: TranscriptItem) -> dict[str, Any]:
    return {
        "key": item.provider_item_id or f"db-{item.pk}",
        "order": item.order,
        "role": item.role,
        "text": item.text,
        "full_text": item.full_text,
        "interrupted": item.interrupted,
        "heard_ms": item.heard_ms,
        "offset_ms": item.offset_ms,
    }


def _summary(call: Call) -> dict[str, Any]:
    return {
        "call_sid": call.call_sid,
        "caller": call.caller.name if call.caller_id and call.caller.name else call.from_number,
        "from_number": call.from_number,
        "to_number": call.to_number,
        "agent": call.agent.name if call.agent_id else "",
        "answered_at": (call.answered_at or call.started_at).isoformat(),
        "admin_url": reverse("admin:calls_call_change", args=[call.pk]),
    }


def _live_calls():
    return Call.objects.filter(status=CallStatus.IN_PROGRESS).select_related("agent", "caller").order_by("started_at")


def live_calls_snapshot() -> list[dict[str, Any]]:
    """Every call in progress with its transcript so far, oldest call first."""
    transcript = Prefetch("transcript", queryset=TranscriptItem.objects.order_by("order"))
    return [
        {**_summary(call), "entries": [_entry(item) for item in call.transcript.all()]}
        for call in _live_calls().prefetch_related(transcript)
    ]


def live_call_summary(*, call_sid: str) -> dict[str, Any] | None:
    call = Call.objects.select_related("agent", "caller").filter(call_sid=call_sid).first()
    return _summary(call) if call is not None else None
