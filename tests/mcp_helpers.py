"""A small call history for the MCP tests, and the ways an MCP client reaches our server."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from agents.models import Agent, Caller
from calls.models import Call, CallStatus, Role, TranscriptItem
from tools.models import ToolInvocation

JORDAN_SID = "CA" + "1" * 32
STRANGER_SID = "CA" + "2" * 32
SALES_SID = "CA" + "3" * 32


def _call(sid: str, agent: Agent, caller: Caller | None, from_number: str, ago: timedelta, **fields) -> Call:
    call = Call.objects.create(
        call_sid=sid,
        agent=agent,
        caller=caller,
        from_number=from_number,
        to_number="+15005550006",
        status=CallStatus.COMPLETED,
        ended_at=timezone.now() - ago + timedelta(minutes=2),
        duration_seconds=120,
        **fields,
    )
    Call.objects.filter(pk=call.pk).update(started_at=timezone.now() - ago)  # auto_now_add: set it after
    call.refresh_from_db()
    return call


def call_history(receptionist: Agent, jordan: Caller) -> dict[str, Call]:
    """Three calls: Jordan's (newest, with a transcript and a tool call), a stranger's, and an old sales call."""
    sales = Agent.objects.create(name="Sales", instructions="Sell.", greeting="Hi.")
    calls = {
        "jordan": _call(
            JORDAN_SID,
            receptionist,
            jordan,
            jordan.number,
            timedelta(hours=1),
            end_reason="agent_ended",
            summary="Jordan asked to move the dentist appointment to Friday.",
            input_tokens=300,
            output_tokens=200,
            total_tokens=500,
        ),
        "stranger": _call(
            STRANGER_SID, receptionist, None, "+15550100777", timedelta(days=2), end_reason="caller_hung_up"
        ),
        "sales": _call(SALES_SID, sales, None, "+15550100888", timedelta(days=20), end_reason="caller_hung_up"),
    }
    turns = [
        (Role.AGENT, "Hello from Acme! How can I help?", True),
        (Role.CALLER, "Could I reschedule my appointment?", False),
        (Role.TOOL, "end_call → ok", False),
        (Role.AGENT, "Done, see you Friday.", False),
    ]
    for order, (role, text, interrupted) in enumerate(turns):
        TranscriptItem.objects.create(call=calls["jordan"], order=order, role=role, text=text, interrupted=interrupted)
    hours = "What are your opening hours?"
    TranscriptItem.objects.create(call=calls["stranger"], order=0, role=Role.CALLER, text=hours)
    ToolInvocation.objects.create(
        call=calls["jordan"], provider_call_id="fc_1", name="end_call", arguments='{"reason": "done"}', result="ok"
    )
    return calls
