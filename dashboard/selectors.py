"""What the dashboard counts: calls in progress, today's calls by outcome, calls per hour over the
last week, and the reasons callers gave (the post-call extraction's `reason` field)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from django.db.models import Count
from django.db.models.functions import TruncHour
from django.utils import timezone

from calls.models import Call, CallStatus
from calls.outcomes import Outcome, outcome_expression

REASON_FIELD = "reason"  # the extraction field whose answers are the call reasons
REASON_SAMPLE = 2000  # the newest calls read for reasons: enough for a week at a busy desk


def today_start() -> datetime:
    return timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)


def calls_in_progress() -> list[Call]:
    calls = Call.objects.filter(status__in=[CallStatus.IN_PROGRESS, CallStatus.CONNECTING])
    return list(calls.select_related("agent", "caller", "phone_number").order_by("started_at"))


def outcomes_since(since: datetime) -> list[tuple[Outcome, int]]:
    """Every outcome that happened since `since`, with its count, in the outcomes' order."""
    rows = (
        Call.objects.filter(started_at__gte=since)
        .annotate(supervisor_outcome=outcome_expression())
        .values("supervisor_outcome")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {row["supervisor_outcome"]: row["n"] for row in rows}
    return [(outcome, counts[outcome.value]) for outcome in Outcome if counts.get(outcome.value)]


def calls_per_hour(*, now: datetime, hours: int = 7 * 24) -> list[tuple[datetime, int]]:
    """One (hour, calls) pair per hour of the last `hours`, oldest first, empty hours included."""
    current = timezone.localtime(now).replace(minute=0, second=0, microsecond=0)
    first = current - timedelta(hours=hours - 1)
    rows = (
        Call.objects.filter(started_at__gte=first)
        .annotate(hour=TruncHour("started_at", tzinfo=timezone.get_current_timezone()))
        .values("hour")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {timezone.localtime(row["hour"]): row["n"] for row in rows}
    slots = [first + timedelta(hours=i) for i in range(hours)]
    return [(slot, counts.get(slot, 0)) for slot in slots]


def top_reasons(*, since: datetime, limit: int = 5) -> list[tuple[str, int]]:
    """The reasons most often given since `since`, compared without case, as first written."""
    answers = (
        Call.objects.filter(started_at__gte=since)
        .exclude(**{f"extracted__{REASON_FIELD}": None})
        .values_list(f"extracted__{REASON_FIELD}", flat=True)[:REASON_SAMPLE]
    )
    counts: Counter[str] = Counter()
    spelling: dict[str, str] = {}
    for answer in answers:
        if isinstance(answer, str) and answer.strip():
            key = answer.strip().rstrip(".").casefold()
            spelling.setdefault(key, answer.strip().rstrip("."))
            counts[key] += 1
    return [(spelling[key], n) for key, n in counts.most_common(limit)]
