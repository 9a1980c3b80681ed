"""Transcripts as staff read and export them: a timeline, plain text, JSON.

An interrupted agent turn stores what the caller heard in `text` and everything the model
generated in `full_text`; the unheard rest is what follows the heard part.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .models import Call, TranscriptItem


def format_offset(offset_ms: int) -> str:
    """Time in the call as m:ss.s, the way a recording player shows it."""
    minutes, ms = divmod(offset_ms, 60_000)
    return f"{minutes}:{ms / 1000:04.1f}"


def unheard_rest(item: TranscriptItem) -> str:
    if not item.interrupted or not item.full_text.startswith(item.text):
        return ""
    return item.full_text[len(item.text) :]


@dataclass(frozen=True)
class Turn:
    """One line of the timeline."""

    role: str
    role_label: str
    at: str
    text: str
    unheard: str
    interrupted: bool
    heard_ms: int | None
    offset_ms: int = 0  # from the call's start: its place in the recording


def transcript_turns(*, items: Iterable[TranscriptItem]) -> list[Turn]:
    return [
        Turn(
            role=item.role,
            role_label=item.get_role_display(),
            at=format_offset(item.offset_ms),
            text=item.text,
            unheard=unheard_rest(item),
            interrupted=item.interrupted,
            heard_ms=item.heard_ms,
            offset_ms=item.offset_ms,
        )
        for item in items
    ]


def _header(call: Call) -> str:
    caller = call.caller.name if call.caller_id and call.caller.name else call.from_number
    agent = call.agent.name if call.agent_id else "no agent"
    return f"Call {call.call_sid} from {caller} to {call.to_number} ({agent}), {call.started_at:%Y-%m-%d %H:%M:%S %Z}"


def transcript_as_text(*, calls: Iterable[Call]) -> str:
    """Readable text: one line per turn; an interrupted turn shows the unheard rest in brackets."""
    blocks = []
    for call in calls:
        lines = [_header(call)]
        for turn in transcript_turns(items=call.transcript.all()):
            line = f"[{turn.at:>7}] {turn.role_label}: {turn.text}"
            if turn.interrupted:
                line += f" [interrupted; not heard: {turn.unheard.strip()}]" if turn.unheard else " [interrupted]"
            lines.append(line)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _call_record(call: Call) -> dict[str, Any]:
    return {
        "call_sid": call.call_sid,
        "from": call.from_number,
        "to": call.to_number,
        "caller": call.caller.name if call.caller_id else None,
        "agent": call.agent.name if call.agent_id else None,
        "status": call.status,
        "end_reason": call.end_reason,
        "started_at": call.started_at.isoformat(),
        "duration_seconds": call.duration_seconds,
        "usage": {"input_tokens": call.input_tokens, "output_tokens": call.output_tokens, "total": call.total_tokens},
        "transcript": [
            {
                "order": item.order,
                "role": item.role,
                "offset_ms": item.offset_ms,
                "text": item.text,
                "full_text": item.full_text,
                "interrupted": item.interrupted,
                "heard_ms": item.heard_ms,
            }
            for item in call.transcript.all()
        ],
    }


def transcript_as_json(*, calls: Iterable[Call]) -> str:
    return json.dumps([_call_record(call) for call in calls], indent=2, ensure_ascii=False)
