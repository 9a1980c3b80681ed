"""Outbound calls: create, place (every path goes through `outbound_call_place`), follow, retry.

Every path (the admin's form, `place_call`, schedules, campaigns, retries) places through one
function, which checks do-not-call and the callee's calling hours at the moment of dialling.
The carrier's answers come back as webhooks (calls/, outbound/views.py); each attempt is a row.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from agents.models import Agent, Caller, PhoneNumber
from agents.phone import to_e164
from calls.carriers.base import OutgoingCall
from calls.carriers.registry import carrier as carrier_named
from calls.models import Call, CallDirection, CallOutcome, CallStatus

from .hours import next_call_time
from .models import Attempt, Campaign, OutboundCall, OutboundStatus

logger = logging.getLogger(__name__)

ANSWER_TOKEN_SALT = "outbound.answer"
ANSWER_TOKEN_MAX_AGE = 24 * 3600  # the URL of one attempt; the CallSid it first answers is bound to it
RETRY_OUTCOMES = {CallOutcome.NO_ANSWER, CallOutcome.BUSY, CallOutcome.FAILED}
REACHED_OUTCOMES = {
    CallOutcome.HUMAN,
    CallOutcome.MACHINE,
    CallOutcome.VOICEMAIL_LEFT,
    CallOutcome.FAX,
    CallOutcome.UNKNOWN,
}


class OutboundError(Exception):
    """An outbound call that cannot be made as asked (no number, no PUBLIC_URL…): the message says why."""


@dataclass(frozen=True)
class Placed:
    """What one placing did: the attempt made (None when the call waits or was skipped), and why."""

    outbound: OutboundCall
    attempt: Attempt | None
    message: str


# --- creating -------------------------------------------------------------------------------


def outbound_from_number(agent: Agent, phone_number: PhoneNumber | None) -> PhoneNumber:
    number = phone_number or agent.numbers.order_by("pk").first()
    if number is None:
        raise OutboundError(f"agent {agent.name} has no phone number to call from")
    return number


def outbound_call_create(
    *,
    agent: Agent,
    to_number: str = "",
    caller: Caller | None = None,
    phone_number: PhoneNumber | None = None,
    purpose: str = "",
    due_at: dt.datetime | None = None,
    campaign: Campaign | None = None,
    created_by: str = "",
) -> OutboundCall:
    """A call to make at `due_at` (now by default); the person is `caller`, or whoever has `to_number`."""
    number = to_e164(to_number) if to_number else (caller.number if caller else None)
    if not number:
        raise OutboundError(f"{to_number or 'no number'} is not a phone number in international form")
    caller = caller or Caller.objects.filter(number=number).first()
    return OutboundCall.objects.create(
        agent=agent,
        phone_number=outbound_from_number(agent, phone_number),
        to_number=number,
        caller=caller,
        purpose=purpose.strip(),
        due_at=due_at or timezone.now(),
        campaign=campaign,
        created_by=created_by[:150],
    )


# --- placing --------------------------------------------------------------------------------


def _public_url(path: str) -> str:
    base: str = settings.PUBLIC_URL
    if not base:
        raise OutboundError("outbound calls need PUBLIC_URL: the carrier must reach our webhooks")
    return base.rstrip("/") + path


def _outgoing(outbound: OutboundCall, attempt: Attempt) -> OutgoingCall:
    carrier = carrier_named(outbound.phone_number.carrier)
    token = signing.dumps(attempt.pk, salt=ANSWER_TOKEN_SALT)
    return OutgoingCall(
        to_number=outbound.to_number,
        from_number=outbound.phone_number.number,
        answer_url=_public_url(reverse(f"{carrier.name}-outbound-answer", kwargs={"token": token})),
        status_url=_public_url(f"/{carrier.status_path}"),
        amd_url=_public_url(reverse(f"{carrier.name}-amd")),
    )


def _blocked(outbound: OutboundCall) -> str:
    """Why this call must not be made at all now (do-not-call), or ''."""
    dnc = Caller.objects.filter(number=outbound.to_number, do_not_call=True).exists()
    return f"{outbound.to_number} is on the do-not-call list" if dnc else ""


def _claim(outbound_id: int, now: dt.datetime) -> OutboundCall | None:
    """Take a due call for this placing (one worker only: a status guard)."""
    due = OutboundCall.objects.filter(pk=outbound_id, status=OutboundStatus.SCHEDULED, due_at__lte=now)
    if not due.update(status=OutboundStatus.CALLING):
        return None
    return OutboundCall.objects.select_related("agent", "phone_number", "caller").get(pk=outbound_id)


def _wait(outbound: OutboundCall, until: dt.datetime, why: str, attempt: Attempt | None = None) -> Placed:
    outbound.status, outbound.due_at, outbound.detail = OutboundStatus.SCHEDULED, until, why[:300]
    outbound.save(update_fields=["status", "due_at", "detail", "outcome"])
    return Placed(outbound, attempt, why)


def _stop(outbound: OutboundCall, status: OutboundStatus, why: str, attempt: Attempt | None = None) -> Placed:
    outbound.status, outbound.detail = status, why[:300]
    outbound.save(update_fields=["status", "detail", "outcome"])
    logger.info("outbound call %s to %s: %s", outbound.pk, outbound.to_number, why)
    return Placed(outbound, attempt, why)


def outbound_call_place(*, outbound_id: int, now: dt.datetime | None = None) -> Placed | None:
    """Dial a due outbound call, unless do-not-call or the callee's hours say otherwise. None if not due.

    Returns once the carrier has accepted or refused the call.
    """
    now = now or timezone.now()
    outbound = _claim(outbound_id, now)
    if outbound is None:
        return None
    blocked = _blocked(outbound)
    if blocked:
        return _stop(outbound, OutboundStatus.SKIPPED, blocked)
    number = outbound.phone_number
    opens = next_call_time(
        outbound.to_number, number.calling_hours_start, number.calling_hours_end, now, fallback_zone=settings.TIME_ZONE
    )
    if opens > now:
        return _wait(
            outbound, opens, f"outside calling hours in the callee's time zone; next try {opens:%Y-%m-%d %H:%M} UTC"
        )
    try:
        return _dial(outbound, now)
    except OutboundError as exc:
        return _stop(outbound, OutboundStatus.GAVE_UP, str(exc))


def _dial(outbound: OutboundCall, now: dt.datetime) -> Placed:
    _public_url("/")  # no attempt without the URLs the carrier needs
    attempt = Attempt.objects.create(outbound=outbound, number=outbound.attempts_made + 1)
    outbound.attempts_made = attempt.number
    outbound.save(update_fields=["attempts_made"])
    placed = carrier_named(outbound.phone_number.carrier).control().place_call(_outgoing(outbound, attempt))
    if not placed.ok:
        attempt.outcome, attempt.detail, attempt.settled_at = CallOutcome.FAILED, placed.detail[:300], now
        attempt.save(update_fields=["outcome", "detail", "settled_at"])
        return _after_attempt(outbound, attempt, retryable=placed.retryable, now=now)
    attempt.carrier_call_id = placed.call_id[:64]
    attempt.save(update_fields=["carrier_call_id"])
    attempt.call = attempt_call(attempt=attempt, call_sid=placed.call_id)
    logger.info("outbound call %s: attempt %d placed (%s)", outbound.pk, attempt.number, placed.call_id)
    return Placed(outbound, attempt, f"the carrier accepted the call: {placed.call_id}")


def _after_attempt(outbound: OutboundCall, attempt: Attempt, *, retryable: bool, now: dt.datetime) -> Placed:
    """An attempt that reached nobody: try again after the agent's spacing, or give up."""
    outbound.outcome = attempt.outcome
    agent = outbound.agent
    why = f"attempt {attempt.number}: {attempt.get_outcome_display()}" + (
        f" ({attempt.detail})" if attempt.detail else ""
    )
    if retryable and attempt.number < agent.outbound_max_attempts:
        later = now + dt.timedelta(minutes=agent.outbound_retry_minutes)
        return _wait(outbound, later, f"{why}; next try {later:%Y-%m-%d %H:%M} UTC", attempt)
    return _stop(outbound, OutboundStatus.GAVE_UP, why, attempt)


def attempt_call(*, attempt: Attempt, call_sid: str) -> Call:
    """The Call row of an attempt's carrier call; made by whichever comes first, the carrier's
    acceptance or its answer webhook (idempotent on the carrier's call id)."""
    outbound = attempt.outbound
    call, _ = Call.objects.get_or_create(
        call_sid=call_sid[:64],
        defaults={
            "carrier": outbound.phone_number.carrier,
            "direction": CallDirection.OUTBOUND,
            "from_number": outbound.phone_number.number,
            "to_number": outbound.to_number,
            "phone_number": outbound.phone_number,
            "agent": outbound.agent,
            "caller": outbound.caller,
            "purpose": outbound.purpose,
            "attempt_number": attempt.number,
        },
    )
    Attempt.objects.filter(pk=attempt.pk, call__isnull=True).update(call=call, carrier_call_id=call.call_sid)
    return call


def attempt_answered(*, token: str, call_sid: str) -> Call | None:
    """The carrier fetched an attempt's answer URL: its call, waiting for its stream, or None
    when the token is not ours or belongs to another carrier call."""
    try:
        attempt_id = signing.loads(token, salt=ANSWER_TOKEN_SALT, max_age=ANSWER_TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    attempt = Attempt.objects.select_related("outbound__phone_number", "outbound__agent").filter(pk=attempt_id).first()
    if attempt is None or (attempt.carrier_call_id and attempt.carrier_call_id != call_sid):
        return None
    call = attempt_call(attempt=attempt, call_sid=call_sid)
    return call if call.status == CallStatus.CONNECTING else None


# --- following the carrier's answers ----------------------------------------------------------


def attempt_settle(*, call_id: int, now: dt.datetime | None = None) -> None:
    """A call of an attempt settled (its bridge ended it, or the carrier's final status came): the
    attempt takes the call's outcome; nobody reached means a retry per the agent's policy."""
    attempt = Attempt.objects.select_related("call", "outbound__agent").filter(call_id=call_id).first()
    if attempt is None or attempt.call is None:
        return
    call, now = attempt.call, now or timezone.now()
    outcome = call.outcome or (CallOutcome.UNKNOWN if call.answered_at else "")
    if not outcome and call.ended_at is not None:
        outcome = CallOutcome.FAILED  # closed as stale: no stream, no word from the carrier
    if not outcome:
        return  # ringing still
    attempt.outcome, attempt.settled_at = outcome, attempt.settled_at or now
    attempt.save(update_fields=["outcome", "settled_at"])
    with transaction.atomic():
        outbound = OutboundCall.objects.select_for_update().get(pk=attempt.outbound_id)
        if outbound.status == OutboundStatus.CALLING and outbound.attempts_made == attempt.number:
            if outcome in REACHED_OUTCOMES:
                outbound.outcome = outcome
                _stop(outbound, OutboundStatus.REACHED, f"attempt {attempt.number}: {attempt.get_outcome_display()}")
            else:
                _after_attempt(outbound, attempt, retryable=outcome in RETRY_OUTCOMES, now=now)
        elif outbound.status == OutboundStatus.REACHED and outcome in REACHED_OUTCOMES:
            OutboundCall.objects.filter(pk=outbound.pk).update(outcome=outcome)  # machine, then voicemail left


def attempt_settle_on_signal(sender: object, *, call_id: int, **kwargs: object) -> None:
    try:
        attempt_settle(call_id=call_id)
    except Exception:  # a listener must not break the call's own finishing
        logger.exception("following outbound attempt of call %s failed", call_id)


def outbound_dispatch_due(*, now: dt.datetime | None = None, limit: int = 50) -> int:
    """Place the calls whose time has come (Celery beat, every minute); returns how many were dialled."""
    now = now or timezone.now()
    due = OutboundCall.objects.filter(status=OutboundStatus.SCHEDULED, due_at__lte=now).order_by("due_at")
    dialled = 0
    for outbound_id in due.values_list("pk", flat=True)[:limit]:
        placed = outbound_call_place(outbound_id=outbound_id, now=now)
        dialled += bool(placed and placed.attempt)
    return dialled


def outbound_call_cancel(*, outbound: OutboundCall) -> bool:
    """Stop a call that has not been made (or is waiting for a retry)."""
    cancelled = OutboundCall.objects.filter(pk=outbound.pk, status=OutboundStatus.SCHEDULED)
    return bool(cancelled.update(status=OutboundStatus.CANCELLED, detail="cancelled by staff"))
