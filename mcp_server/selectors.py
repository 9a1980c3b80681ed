"""Reads of the call history for one staff user: each returns only what that user may view.

The permissions are the admin's (calls/migrations/0005_staff_groups.py): without
`calls.view_call` a user sees no call at all; transcripts and tool calls need their own
view permissions, as their admin inlines do.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Q, QuerySet, Sum

from calls.models import Call, Role
from calls.search import calls_matching, calls_with_number

from .results import AgentStats, CallDetail, CallRow, CallStats, ToolCall, Turn, Usage

User = AbstractBaseUser | AnonymousUser


def visible_calls(*, user: User) -> QuerySet[Call]:
    if not (user.is_active and user.is_staff and user.has_perm("calls.view_call")):
        return Call.objects.none()
    return Call.objects.select_related("agent", "caller").order_by("-started_at", "-pk")


def _row(call: Call) -> dict:
    return {
        "id": call.pk,
        "carrier_call_id": call.call_sid,
        "direction": call.direction,
        "from_number": call.from_number,
        "to_number": call.to_number,
        "agent": call.agent.name if call.agent_id else "",
        "caller_name": call.caller.name if call.caller_id else "",
        "started_at": call.started_at,
        "ended_at": call.ended_at,
        "end_reason": call.end_reason,
        "summary": call.summary,
    }


def recent_calls(*, user: User, limit: int) -> list[CallRow]:
    return [CallRow(**_row(call)) for call in visible_calls(user=user)[:limit]]


def search_calls(
    *,
    user: User,
    text: str = "",
    number: str = "",
    agent: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 20,
) -> list[CallRow]:
    """Calls matching every criterion given; `number` must already be E.164."""
    calls = visible_calls(user=user)
    if number:
        calls = calls_with_number(calls, number)
    if agent:
        calls = calls.filter(agent__name__iexact=agent)
    if since is not None:
        calls = calls.filter(started_at__gte=since)
    if until is not None:
        calls = calls.filter(started_at__lt=until)
    if text.strip():
        calls = calls_matching(calls, text.strip())
    return [CallRow(**_row(call)) for call in calls[:limit]]


def get_call(*, user: User, call_id: str) -> CallDetail | None:
    """The call with our id or the carrier's call id `call_id`, if the user may view it."""
    match = Q(call_sid=call_id)
    if call_id.isdigit():
        match |= Q(pk=int(call_id))
    call = visible_calls(user=user).filter(match).first()
    if call is None:
        return None
    return CallDetail(
        **_row(call),
        transcript=_transcript(user, call),
        tool_calls=_tool_calls(user, call),
        usage=Usage(
            input_tokens=call.input_tokens,
            output_tokens=call.output_tokens,
            total_tokens=call.total_tokens,
            duration_seconds=call.duration_seconds,
        ),
    )


def _transcript(user: User, call: Call) -> list[Turn]:
    if not user.has_perm("calls.view_transcriptitem"):
        return []
    # Tool and system turns are the tool calls, listed apart: the transcript is who said what.
    items = call.transcript.filter(role__in=[Role.CALLER, Role.AGENT]).order_by("order")
    return [Turn(speaker=item.role, text=item.text, interrupted=item.interrupted) for item in items]


def _tool_calls(user: User, call: Call) -> list[ToolCall]:
    if not user.has_perm("tools.view_toolinvocation"):
        return []
    return [
        ToolCall(name=tool.name, arguments=tool.arguments, result=tool.result, error=tool.error)
        for tool in call.tool_calls.order_by("created_at", "pk")
    ]


def call_stats(*, user: User, since: datetime, until: datetime, agent: str = "") -> CallStats:
    """Calls per agent and outcome started in [since, until)."""
    calls = visible_calls(user=user).filter(started_at__gte=since, started_at__lt=until)
    if agent:
        calls = calls.filter(agent__name__iexact=agent)
    groups = (
        calls.order_by()
        .values("agent__name", "end_reason", "status")
        .annotate(n=Count("pk"), timed=Count("duration_seconds"), seconds=Sum("duration_seconds"))
    )
    outcomes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    durations: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # [timed calls, seconds]
    for group in groups:
        name = group["agent__name"] or ""
        outcomes[name][group["end_reason"] or group["status"]] += group["n"]
        durations[name][0] += group["timed"]
        durations[name][1] += group["seconds"] or 0
    agents = [
        AgentStats(
            agent=name,
            calls=sum(by_outcome.values()),
            outcomes=dict(sorted(by_outcome.items())),
            average_duration_seconds=round(durations[name][1] / durations[name][0], 1) if durations[name][0] else None,
        )
        for name, by_outcome in sorted(outcomes.items())
    ]
    return CallStats(since=since, until=until, calls=sum(a.calls for a in agents), agents=agents)
