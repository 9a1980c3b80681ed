"""A week of finished calls on the demo line, for the back-office browser tests (and a look by hand):
`manage.py shell -c "from tests.backoffice_seed import seed_calls; seed_calls()"` after seed_demo.

Every outcome appears, some calls today; one call has everything the call page shows (turns, an
interrupted turn, a tool call, an event, a summary, an extraction).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from agents.models import Caller, PhoneNumber
from calls.models import Call, CallEvent, CallStatus, EventKind, Role, TranscriptItem
from tools.models import ToolInvocation

DEMO_NUMBER = "+15005550006"
FULL_CALL_SID = "CA" + "f" * 32
TODAY_HOURS = 3  # the calls this many hours old or younger are today's
# (hours ago, status, end reason, carrier status, seconds, reason given)
CALLS = [
    (0.2, CallStatus.COMPLETED, "agent_ended", "completed", 95, "Opening hours"),
    (0.5, CallStatus.COMPLETED, "caller_hung_up", "completed", 41, "opening hours"),
    (1.1, CallStatus.COMPLETED, "transferred", "completed", 130, "Leaking pipe"),
    (1.4, CallStatus.REFUSED, "caller_blocked", "", None, ""),
    (2.0, CallStatus.FAILED, "model_unavailable", "completed", 3, ""),
    (2.2, CallStatus.COMPLETED, "staff_ended", "completed", 300, "Invoice question"),
    (26, CallStatus.COMPLETED, "max_duration", "completed", 600, "Leaking pipe"),
    (27, CallStatus.COMPLETED, "caller_hung_up", "completed", 62, "Opening hours"),
    (50, CallStatus.COMPLETED, "agent_ended", "completed", 75, "Book a visit"),
    (75, CallStatus.COMPLETED, "agent_ended", "completed", 88, "Book a visit"),
    (100, CallStatus.COMPLETED, "", "no-answer", None, ""),
    (140, CallStatus.COMPLETED, "agent_ended", "completed", 51, "Opening hours"),
]


def _add_conversation(call: Call) -> None:
    greeting = "Hello! Thanks for calling Acme Plumbing."
    lines = [
        (0, Role.AGENT, greeting, f"{greeting} How can I help?"),
        (4300, Role.CALLER, "Hi, my kitchen pipe is leaking, can someone come today?", ""),
        (9100, Role.AGENT, "I can take a message for the plumber on duty.", ""),
    ]
    for order, (offset, role, text, full) in enumerate(lines):
        TranscriptItem.objects.create(
            call=call,
            order=order,
            role=role,
            text=text,
            full_text=full,
            interrupted=bool(full),
            heard_ms=2100 if full else None,
            offset_ms=offset,
            provider_item_id=f"item_{order}",
        )
    answered = call.answered_at
    ToolInvocation.objects.create(
        call=call,
        provider_call_id="call_1",
        name="take_message",
        arguments='{"text": "Kitchen pipe leaking, please come today"}',
        result='{"ok": true}',
        duration_ms=12,
    )
    ToolInvocation.objects.filter(call=call).update(created_at=answered + timedelta(seconds=11))
    CallEvent.objects.create(call=call, kind=EventKind.NOTE, detail="Caller asked for a visit today")
    CallEvent.objects.filter(call=call).update(at=answered + timedelta(seconds=14))


def seed_calls() -> int:
    """The calls above (idempotent: earlier seeded calls are replaced); returns how many."""
    number = PhoneNumber.objects.select_related("agent").get(number=DEMO_NUMBER)
    caller = Caller.objects.filter(number="+15550100001").first()
    Call.objects.filter(call_sid__startswith="CAseed").delete()
    Call.objects.filter(call_sid=FULL_CALL_SID).delete()
    now = timezone.now()
    today = now - timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    for index, (hours, status, reason, carrier_status, seconds, said) in enumerate(CALLS):
        ago = timedelta(hours=hours)
        if hours < TODAY_HOURS:  # today's calls stay today, in order, even just after midnight
            ago = min(ago, today * (hours / TODAY_HOURS))
        started = now - ago
        call = Call.objects.create(
            call_sid=FULL_CALL_SID if index == 2 else f"CAseed{index:026d}",
            agent=number.agent,
            phone_number=number,
            caller=caller if index % 2 == 0 else None,
            from_number=caller.number if caller and index % 2 == 0 else f"+1555010{index:04d}",
            to_number=number.number,
            status=status,
            end_reason=reason,
            carrier_status=carrier_status,
            duration_seconds=seconds,
            total_tokens=(seconds or 0) * 9,
            summary=f"The caller asked about: {said.lower()}." if said else "",
            extracted={"reason": said, "follow_up_needed": index % 3 == 0} if said else {},
        )
        answered = started + timedelta(seconds=2)
        ended = started + timedelta(seconds=seconds or 0)
        Call.objects.filter(pk=call.pk).update(started_at=started, answered_at=answered, ended_at=ended)
        call.refresh_from_db()
        if index == 2:
            _add_conversation(call)
    return len(CALLS)
