"""Reads for the staff live page: the calls in progress and what has been said so far.

Shapes match what the bridge publishes (see `calls.live`), so the page renders a call loaded
from the database and a call announced over the channel layer with the same code.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone

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
    answered = call.answered_at or call.started_at
    name = call.caller.name if call.caller_id else ""
    return {
        "call_sid": call.call_sid,
        "caller": name or call.from_number,
        "caller_name": name,
        "from_number": call.from_number,
        "to_number": call.to_number,
        "line": call.phone_number.label if call.phone_number_id else "",
        "agent": call.agent.name if call.agent_id else "",
        "answered_at": answered.isoformat(),
        # Measured here, not from answered_at in the browser: the page's clock need not agree with ours.
        "elapsed_ms": max(0, int((timezone.now() - answered).total_seconds() * 1000)),
        "admin_url": reverse("admin:calls_call_change", args=[call.pk]),
    }


def _live_calls():
    in_progress = Call.objects.filter(status=CallStatus.IN_PROGRESS)
    return in_progress.select_related("agent", "caller", "phone_number").order_by("started_at")


def live_calls_snapshot() -> list[dict[str, Any]]:
    """Every call in progress with its transcript so far, oldest call first."""
    transcript = Prefetch("transcript", queryset=TranscriptItem.objects.order_by("order"))
    return [
        {**_summary(call), "entries": [_entry(item) for item in call.transcript.all()]}
        for call in _live_calls().prefetch_related(transcript)
    ]


def live_call_summary(*, call_sid: str) -> dict[str, Any] | None:
    call = Call.objects.select_related("agent", "caller", "phone_number").filter(call_sid=call_sid).first()
    return _summary(call) if call is not None else None
