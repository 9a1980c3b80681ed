"""How a call turned out, in a supervisor's words: one outcome from its status, end reason and the
carrier's final status. The calls list, the call page and the dashboard all read it from here.

The rules are data, read top to bottom, first match wins; `call_outcome` applies them to one call
in Python and `outcome_expression` to a queryset in SQL, so a filter, a count and a badge agree.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Case, Value, When

from calls.bridge.actions import EndReason

from .models import CallStatus


class Outcome(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    TRANSFERRED = "transferred", "Transferred"
    VOICEMAIL = "voicemail", "Voicemail left"
    CALLER_HUNG_UP = "caller_hung_up", "Caller hung up"
    STAFF_ENDED = "staff_ended", "Ended by staff"
    TIME_LIMIT = "time_limit", "Time limit"
    NO_ANSWER = "no_answer", "No answer"
    REFUSED = "refused", "Refused"
    FAILED = "failed", "Failed"


#: The badge's colour family (CSS class `outcome-<tone>`).
TONES = {
    Outcome.IN_PROGRESS: "live",
    Outcome.COMPLETED: "good",
    Outcome.TRANSFERRED: "good",
    Outcome.VOICEMAIL: "good",
    Outcome.CALLER_HUNG_UP: "quiet",
    Outcome.STAFF_ENDED: "quiet",
    Outcome.TIME_LIMIT: "warn",
    Outcome.NO_ANSWER: "warn",
    Outcome.REFUSED: "quiet",
    Outcome.FAILED: "bad",
}

REFUSALS = {
    EndReason.UNKNOWN_NUMBER,
    EndReason.AGENT_UNAVAILABLE,
    EndReason.CALLER_NOT_ALLOWED,
    EndReason.CALLER_BLOCKED,
    EndReason.NUMBER_BUSY,
    EndReason.CALLER_LIMIT,
}
FAULTS = {
    EndReason.MODEL_UNAVAILABLE,
    EndReason.MODEL_ERROR,
    EndReason.MODEL_CLOSED,
    EndReason.BAD_STREAM,
    EndReason.STREAM_REJECTED,
    EndReason.SERVER_RESTART,
    EndReason.NO_STREAM,
}

#: (field, values, outcome): the first rule whose field holds one of its values decides.
RULES: list[tuple[str, frozenset[str], Outcome]] = [
    ("status", frozenset({CallStatus.IN_PROGRESS, CallStatus.CONNECTING}), Outcome.IN_PROGRESS),
    ("status", frozenset({CallStatus.REFUSED}), Outcome.REFUSED),
    ("end_reason", frozenset(REFUSALS), Outcome.REFUSED),
    ("end_reason", frozenset({EndReason.TRANSFERRED}), Outcome.TRANSFERRED),
    ("end_reason", frozenset({EndReason.VOICEMAIL_LEFT}), Outcome.VOICEMAIL),  # an outbound call met a machine
    ("end_reason", frozenset(FAULTS), Outcome.FAILED),
    ("end_reason", frozenset({EndReason.CALLER_HUNG_UP, EndReason.CARRIER_DISCONNECTED}), Outcome.CALLER_HUNG_UP),
    ("end_reason", frozenset({EndReason.STAFF_ENDED}), Outcome.STAFF_ENDED),
    ("end_reason", frozenset({EndReason.MAX_DURATION}), Outcome.TIME_LIMIT),
    # A call placed by us that nobody picked up (the carrier's words for it).
    ("carrier_status", frozenset({"no-answer", "busy", "canceled", "no_answer"}), Outcome.NO_ANSWER),
    ("status", frozenset({CallStatus.FAILED}), Outcome.FAILED),
]
DEFAULT = Outcome.COMPLETED  # ended normally: the agent said goodbye, or no reason was recorded


def call_outcome(call: object) -> Outcome:
    """The outcome of a call (anything with status, end_reason and carrier_status attributes)."""
    for field, values, outcome in RULES:
        if getattr(call, field, "") in values:
            return outcome
    return DEFAULT


def outcome_expression() -> Case:
    """The same rules as a SQL expression: `Call.objects.annotate(supervisor_outcome=outcome_expression())`
    (not `outcome`: the field of that name says who answered an outbound call)."""
    whens = [When(**{f"{field}__in": sorted(values)}, then=Value(outcome.value)) for field, values, outcome in RULES]
    return Case(*whens, default=Value(DEFAULT.value), output_field=models.CharField())
