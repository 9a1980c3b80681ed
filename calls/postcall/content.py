"""What post-call work reads: the transcript as heard, the call's header line, its admin link."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from calls.bridge.actions import EndReason
from calls.models import Call, Role, TranscriptItem

#: Enough for a long call; the model's context is larger, but cost grows with every character.
MAX_PROMPT_CHARS = 60_000
INTERRUPTED = "[interrupted]"  # the caller talked over it
CUT_BY_ENDING = "[cut off as the call ended]"  # a hang-up (staff's, the caller's, the time limit's) cut it
#: How a call ended, told so that nobody is blamed for an ending they did not cause.
ENDINGS = {
    EndReason.STAFF_ENDED: "a staff member hung up (not the caller)",
    EndReason.CALLER_HUNG_UP: "the caller hung up",
    EndReason.AGENT_ENDED: "the agent ended the call",
    EndReason.MAX_DURATION: "the maximum call length was reached (not the caller)",
    EndReason.TRANSFERRED: "transferred to a person",
}


@dataclass(frozen=True)
class Turn:
    """One turn as the caller experienced it: an interrupted agent turn carries only the heard part."""

    speaker: str
    text: str
    interrupted: bool
    offset_ms: int
    cut_by_ending: bool = False  # interrupted by the call ending, not by the caller talking

    @property
    def marker(self) -> str:
        if not self.interrupted:
            return ""
        return CUT_BY_ENDING if self.cut_by_ending else INTERRUPTED

    @property
    def line(self) -> str:
        return f"{self.speaker}: {self.text} {self.marker}" if self.interrupted else f"{self.speaker}: {self.text}"


def transcript_turns(*, call_id: int) -> list[Turn]:
    """The call's turns in order. Turns of which nothing was heard (queued behind a barge-in, text
    empty) are left out: for the caller they never happened.

    A cut agent turn that the caller did not answer was cut by the hang-up (staff's, the time
    limit's, the caller's own), not by the caller talking over it: a barge-in is always followed
    by what the caller said.
    """
    items = TranscriptItem.objects.filter(call_id=call_id).order_by("order", "id")
    items = [item for item in items if item.text.strip()]
    last_caller = max((i for i, item in enumerate(items) if item.role == Role.CALLER), default=-1)
    return [
        Turn(item.get_role_display(), item.text.strip(), item.interrupted, item.offset_ms, index > last_caller)
        for index, item in enumerate(items)
    ]


def call_header(call: Call) -> str:
    who = call.caller.name if call.caller and call.caller.name else "an unknown caller"
    agent = call.agent.name if call.agent else "a deleted agent"
    duration = f", {call.duration_seconds} s" if call.duration_seconds is not None else ""
    ended = ENDINGS.get(call.end_reason) or call.get_end_reason_display() or call.get_status_display()
    return f"Call from {who} ({call.from_number}) answered by the agent {agent!r}{duration}; ended: {ended}."


def transcript_prompt(call: Call, turns: list[Turn]) -> str:
    """The text the model reads: a header, a note on the markers, the transcript (tail kept if huge)."""
    body = "\n".join(turn.line for turn in turns)
    if len(body) > MAX_PROMPT_CHARS:
        body = "…\n" + body[-MAX_PROMPT_CHARS:]
    note = (
        f"Agent turns marked {INTERRUPTED} were cut off by the caller talking over them; one marked "
        f"{CUT_BY_ENDING} was cut off by the end of the call. Only the part the caller heard is shown."
    )
    return f"{call_header(call)}\n{note}\n\nTranscript:\n{body}"


def admin_link(call: Call) -> str:
    """Absolute when PUBLIC_URL is set; otherwise the path alone (there is no request to take a host from)."""
    return settings.PUBLIC_URL + reverse("admin:calls_call_change", args=[call.pk])
