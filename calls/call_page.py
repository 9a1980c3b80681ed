"""The call page as staff read it: a summary header, then one timeline of what was said, the tools
the agent called and what went wrong, each at its time from the start of the call.

Turns carry their offset from the answer; tool calls and events carry wall-clock times, placed on
the same clock by subtracting the answer time (the start, for a call never answered).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from tools.models import ToolInvocation

from .models import Call
from .outcomes import TONES, call_outcome
from .transcripts import unheard_rest


def clock(offset_ms: int) -> str:
    """Time from the start of the call as mm:ss (h:mm:ss past an hour)."""
    seconds = max(offset_ms, 0) // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def duration_text(seconds: int | None) -> str:
    """m:ss, as a phone shows a call's length; a dash when unknown."""
    if seconds is None:
        return "—"
    return f"{seconds // 60}:{seconds % 60:02d}"


@dataclass(frozen=True)
class Entry:
    """One line of the timeline: a turn (`role` set), a tool call (`tool` set) or an event."""

    offset_ms: int
    kind: str  # "turn", "tool" or "event"
    label: str
    text: str
    role: str = ""
    unheard: str = ""
    interrupted: bool = False
    heard_ms: int | None = None
    detail: str = ""
    failed: bool = False

    @property
    def at(self) -> str:
        return clock(self.offset_ms)


def _since(call: Call, moment: datetime) -> int:
    origin = call.answered_at or call.started_at
    return int((moment - origin).total_seconds() * 1000)


def _arguments(raw: str) -> str:
    try:
        return json.dumps(json.loads(raw), ensure_ascii=False)
    except ValueError:
        return raw


def _tool_entry(call: Call, invocation: ToolInvocation) -> Entry:
    outcome = f"error: {invocation.error}" if invocation.error else invocation.result
    return Entry(
        offset_ms=_since(call, invocation.created_at),
        kind="tool",
        label=invocation.name,
        text=_arguments(invocation.arguments),
        detail=f"{outcome} ({invocation.duration_ms} ms)",
        failed=bool(invocation.error),
    )


def call_timeline(call: Call) -> list[Entry]:
    """Turns, tool calls and events in the order they happened (turns first on a tie)."""
    entries = [
        Entry(
            offset_ms=item.offset_ms,
            kind="turn",
            label=item.get_role_display(),
            text=item.text,
            role=item.role,
            unheard=unheard_rest(item),
            interrupted=item.interrupted,
            heard_ms=item.heard_ms,
        )
        for item in call.transcript.all()
    ]
    entries += [_tool_entry(call, invocation) for invocation in call.tool_calls.all()]
    entries += [
        Entry(offset_ms=_since(call, e.at), kind="event", label=e.get_kind_display(), text=e.detail, failed=True)
        for e in call.events.all()
    ]
    rank = {"turn": 0, "tool": 1, "event": 2}
    return sorted(entries, key=lambda entry: (entry.offset_ms, rank[entry.kind]))


def call_header(call: Call) -> dict[str, Any]:
    """What the top of the page says: who, on which line, to which agent, when, how long, how it ended."""
    outcome = call_outcome(call)
    line = (call.phone_number.label or call.phone_number.number) if call.phone_number_id else call.to_number
    why = call.end_detail or (call.get_end_reason_display() if call.end_reason else "")
    return {
        "caller": call.caller.name if call.caller_id and call.caller.name else "",
        "number": call.from_number,
        "line": line,
        "line_number": call.to_number,
        "agent": call.agent.name if call.agent_id else "",
        "started": timezone.localtime(call.started_at),
        "duration": duration_text(call.duration_seconds),
        "outcome": outcome.label,
        "tone": TONES[outcome],
        "why": "" if why.casefold() == outcome.label.casefold() else why,
        "ended_by": call.ended_by,
        "tokens": call.total_tokens,
        "input_tokens": call.input_tokens,
        "output_tokens": call.output_tokens,
    }
