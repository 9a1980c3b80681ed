"""What post-call work reads: the transcript as heard, the call's header line, its admin link."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from calls.models import Call, TranscriptItem

#: Enough for a long call; the model's context is larger, but cost grows with every character.
MAX_PROMPT_CHARS = 60_000
INTERRUPTED = "[interrupted]"


@dataclass(frozen=True)
class Turn:
    """One turn as the caller experienced it: an interrupted agent turn carries only the heard part."""

    speaker: str
    text: str
    interrupted: bool
    offset_ms: int

    @property
    def line(self) -> str:
        return f"{self.speaker}: {self.text} {INTERRUPTED}" if self.interrupted else f"{self.speaker}: {self.text}"


def transcript_turns(*, call_id: int) -> list[Turn]:
    """The call's turns in order. Turns of which nothing was heard (queued behind a barge-in, text
    empty) are left out: for the caller they never happened."""
    items = TranscriptItem.objects.filter(call_id=call_id).order_by("order", "id")
    return [
        Turn(item.get_role_display(), item.text.strip(), item.interrupted, item.offset_ms)
        for item in items
        if item.text.strip()
    ]


def call_header(call: Call) -> str:
    who = call.caller.name if call.caller and call.caller.name else "an unknown caller"
    agent = call.agent.name if call.agent else "a deleted agent"
    duration = f", {call.duration_seconds} s" if call.duration_seconds is not None else ""
    ended = call.get_end_reason_display() if call.end_reason else call.get_status_display()
    return f"Call from {who} ({call.from_number}) answered by the agent {agent!r}{duration}; ended: {ended}."


def transcript_prompt(call: Call, turns: list[Turn]) -> str:
    """The text the model reads: a header, a note on the markers, the transcript (tail kept if huge)."""
    body = "\n".join(turn.line for turn in turns)
    if len(body) > MAX_PROMPT_CHARS:
        body = "…\n" + body[-MAX_PROMPT_CHARS:]
    note = f"Agent turns marked {INTERRUPTED} were cut off by the caller; only the part the caller heard is shown."
    return f"{call_header(call)}\n{note}\n\nTranscript:\n{body}"


def admin_link(call: Call) -> str:
    """Absolute when PUBLIC_URL is set; otherwise the path alone (there is no request to take a host from)."""
    return settings.PUBLIC_URL + reverse("admin:calls_call_change", args=[call.pk])
