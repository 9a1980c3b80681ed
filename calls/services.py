"""Business logic of calls: screening, the stream handshake, transcripts, finishing.

Views, the media consumer and tasks call these; each is small, keyword-only and typed.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from agents.hold import default_hold_chunks, uploaded_hold_chunks
from agents.models import AccessPolicy, Caller, CallerStatus, PhoneNumber
from agents.services import agent_greeting, agent_session_config
from calls.bridge.actions import EndReason, TranscriptEntry
from calls.bridge.answering import OutboundPlan
from calls.bridge.config import Keypresses, SessionConfig
from calls.bridge.events import Usage
from calls.tokens import stream_token_call_sid
from tools.services import Toolbox, agent_toolbox

from .extensions import CallEnd
from .models import Call, CallDirection, CallEvent, CallOutcome, CallStatus, EventKind, TranscriptItem
from .signals import call_settled
from .wrap_up import wrap_up_enqueue

logger = logging.getLogger(__name__)

REFUSAL_MESSAGES = {
    EndReason.UNKNOWN_NUMBER: "Sorry, this number is not in service. Goodbye.",
    EndReason.AGENT_UNAVAILABLE: "Sorry, nobody can take your call right now. Please try again later. Goodbye.",
    EndReason.CALLER_NOT_ALLOWED: "Sorry, this line only takes calls from registered callers. Goodbye.",
    EndReason.CALLER_BLOCKED: "Sorry, we can't take your call. Goodbye.",
    EndReason.NUMBER_BUSY: "Sorry, this line is very busy right now. Please try again a little later. Goodbye.",
    EndReason.CALLER_LIMIT: "Sorry, you have reached today's limit of calls to this service. "
    "Please try again tomorrow. Goodbye.",
}


def _screen(number: PhoneNumber | None, caller: Caller | None) -> EndReason | None:
    """Why this call must be refused, or None to connect it."""
    if number is None:
        return EndReason.UNKNOWN_NUMBER
    if number.agent is None or not number.agent.is_active:
        return EndReason.AGENT_UNAVAILABLE
    if caller is not None and caller.status == CallerStatus.BLOCKED:
        return EndReason.CALLER_BLOCKED
    if number.access_policy == AccessPolicy.ALLOWLIST and caller is None:
        return EndReason.CALLER_NOT_ALLOWED
    return _over_limit(number, caller)


def _over_limit(number: PhoneNumber, caller: Caller | None) -> EndReason | None:
    """Rate limits staff set (off unless set): calls that reached an agent count, refusals don't."""
    answered = Call.objects.exclude(status=CallStatus.REFUSED)
    now = timezone.now()
    if number.max_calls_per_hour is not None:
        recent = answered.filter(phone_number=number, started_at__gte=now - timedelta(hours=1)).count()
        if recent >= number.max_calls_per_hour:
            return EndReason.NUMBER_BUSY
    if caller is not None and caller.max_calls_per_day is not None:
        today = answered.filter(caller=caller, started_at__gte=now - timedelta(days=1)).count()
        if today >= caller.max_calls_per_day:
            return EndReason.CALLER_LIMIT
    return None


def _lock_limited(number: PhoneNumber | None, caller: Caller | None) -> None:
    """Serialize the webhooks a limit applies to, until this transaction commits its new call.

    PostgreSQL: lock the number's and the caller's rows (always in that order, so two webhooks
    never wait on each other crosswise); FOR NO KEY UPDATE still lets other calls reference them.
    SQLite has no row locks and ignores this: its IMMEDIATE transactions (settings.py) take the
    database's write lock at BEGIN, which serializes the count and the insert just the same.
    """
    if number is not None and number.max_calls_per_hour is not None:
        list(PhoneNumber.objects.select_for_update(no_key=True).filter(pk=number.pk).values_list("pk"))
    if caller is not None and caller.max_calls_per_day is not None:
        list(Caller.objects.select_for_update(no_key=True).filter(pk=caller.pk).values_list("pk"))


def call_receive(
    *, call_sid: str, from_number: str, to_number: str, direction: str = "inbound", carrier: str = "twilio"
) -> Call:
    """Record an incoming call and decide whether it reaches an agent. Idempotent on the carrier's call id.

    The number must be one the carrier holds for us: a number held at Twilio does not answer a
    webhook from Plivo (it is refused as an unknown number).
    """
    # The E164Fields normalise what they are compared with ("+1 500-555-0006", Plivo's "15005550006").
    number = unique_or_none(PhoneNumber.objects.select_related("agent").filter(carrier=carrier, number=to_number))
    caller = unique_or_none(Caller.objects.select_related("group").filter(number=from_number))
    with transaction.atomic():
        # Count and insert as one step, or simultaneous webhooks all count "under the limit".
        _lock_limited(number, caller)
        refusal = _screen(number, caller)
        try:
            # The insert finds a retried webhook (the unique CallSid): no SELECT first, on every new call.
            with transaction.atomic():
                call = Call.objects.create(
                    call_sid=call_sid,
                    carrier=carrier,
                    from_number=from_number[:32],
                    to_number=to_number[:32],
                    direction=direction[:32],
                    phone_number=number,
                    agent=number.agent if number else None,
                    caller=caller,
                    status=CallStatus.REFUSED if refusal else CallStatus.CONNECTING,
                    end_reason=refusal or "",
                    ended_at=timezone.now() if refusal else None,
                )
        except IntegrityError:
            existing = unique_or_none(Call.objects.filter(call_sid=call_sid))
            if existing is None:
                raise  # another constraint than the CallSid's
            return existing  # the carrier retried the webhook: the same decision
        if refusal:
            CallEvent.objects.create(call=call, kind=EventKind.REFUSED, detail=refusal.label)
            logger.info("refused call %s from %s: %s", call_sid, from_number, refusal.value)
    return call


def unique_or_none(queryset):
    """The one row a lookup on unique fields finds, or None.

    Not `.first()`: it adds an ORDER BY that Django compiles on every call, for at most one row.
    """
    try:
        return queryset.get()
    except queryset.model.DoesNotExist:
        return None


def refusal_message(call: Call) -> str:
    return REFUSAL_MESSAGES.get(EndReason(call.end_reason), REFUSAL_MESSAGES[EndReason.AGENT_UNAVAILABLE])


@dataclass(frozen=True)
class BridgeSetup:
    """What the media consumer needs to bridge one call."""

    call_id: int
    call_sid: str
    config: SessionConfig
    greet_first: bool
    greeting: str
    max_call_seconds: int | None  # None: no limit
    agent_id: int = 0
    caller_id: int | None = None
    caller_number: str = ""
    toolbox: Toolbox = field(default_factory=Toolbox)
    keypresses: Keypresses = Keypresses.RESPOND
    tool_wait_ms: int = 1500
    hold_audio: tuple[str, ...] = ()
    record: bool = False  # the bridge writes a two-channel recording (recordings/)
    outbound: OutboundPlan | None = None  # an outbound call: why we called, what to leave on a machine
    answered_by: str = ""  # the carrier's answering-machine verdict, when it came before the stream


RECORDING_NOTICE = "This call is recorded."


def with_recording_notice(greeting: str, config: SessionConfig, greet_first: bool) -> tuple[str, SessionConfig]:
    """The caller is told the call is recorded: in the agent's greeting, or else by the agent's first words."""
    if greet_first and greeting:
        return f"{greeting} {RECORDING_NOTICE}", config
    rule = f'In your first words to the caller, say: "{RECORDING_NOTICE}"'
    return greeting, dataclasses.replace(config, instructions=f"{config.instructions}\n\n{rule}")


def hold_audio_for(agent) -> tuple[str, ...]:
    """The agent's wait audio as media payloads: its uploaded WAV, or the soft tone."""
    if agent.wait_audio:
        try:
            upload = agent.wait_audio
            return uploaded_hold_chunks(upload.storage, upload.name, upload.size)
        except (OSError, ValueError):
            logger.warning("wait audio of agent %s is unreadable; using the tone", agent.pk)
    return default_hold_chunks()


def bridge_setup(*, call_sid: str) -> BridgeSetup | None:
    """The bridge's configuration for a call waiting for its stream, or None."""
    call = unique_or_none(
        Call.objects.select_related("agent", "caller", "phone_number").filter(
            call_sid=call_sid, status=CallStatus.CONNECTING, agent__isnull=False
        )
    )
    if call is None:
        return None
    agent = call.agent
    toolbox = agent_toolbox(agent)
    config = agent_session_config(agent, call.caller, tools=toolbox.specs())
    outbound = call.direction == CallDirection.OUTBOUND
    if outbound:
        config = dataclasses.replace(config, instructions=f"{config.instructions}\n\n{outbound_context(call)}")
    # Outbound: the agent waits for the person's hello or the carrier's verdict (README, Outbound calls).
    greet_first, greeting = agent.first_speaker == "agent" and not outbound, agent_greeting(agent, call.caller)
    if call.phone_number is not None:
        if call.phone_number.agent_id == agent.pk:
            call.phone_number.agent = agent  # the same row: not fetched again
        record, notice = call.phone_number.recording_wanted()
    else:
        record, notice = agent.record_calls, agent.record_calls and agent.recording_notice
    if notice:
        greeting, config = with_recording_notice(greeting, config, greet_first)
    return BridgeSetup(
        call_id=call.pk,
        call_sid=call.call_sid,
        config=config,
        greet_first=greet_first,
        greeting=greeting,
        record=record,
        max_call_seconds=agent.max_call_seconds,
        agent_id=agent.pk,
        caller_id=call.caller_id,
        caller_number=call.to_number if outbound else call.from_number,
        outbound=OutboundPlan(call.purpose, agent.voicemail_message) if outbound else None,
        answered_by=call.answered_by_raw if outbound else "",
        toolbox=toolbox,
        keypresses=Keypresses(agent.keypresses),
        tool_wait_ms=agent.wait_audio_after_ms,
        hold_audio=hold_audio_for(agent),
    )


def outbound_context(call: Call) -> str:
    """What the agent is told of an outbound call, for this call only: whom it called, and why."""
    who = call.caller.name if call.caller and call.caller.name else call.to_number
    lines = [f"This is an outbound call: you called {who} ({call.to_number}) on behalf of the business."]
    if call.purpose:
        lines.append(f"The purpose of this call: {call.purpose}")
    return "\n".join(lines)


def stream_claim(*, carrier: str, call_sid: str, token: str) -> tuple[BridgeSetup | None, str]:
    """Redeem the stream token at the handshake, before anything is opened for the stream.

    The token (from the stream URL) must be genuine, unexpired, issued for this CallSid and
    unused; the call must be waiting for its stream. Returns the bridge's setup, or None and why.
    """
    if stream_token_call_sid(token, settings.STREAM_TOKEN_MAX_AGE) != call_sid:
        return None, "stream token missing, forged, expired or for another call"
    claimed = Call.objects.filter(
        carrier=carrier,
        call_sid=call_sid,
        status=CallStatus.CONNECTING,
        stream_token_used_at__isnull=True,
        agent__isnull=False,
    ).update(stream_token_used_at=timezone.now())
    if not claimed:
        return None, "stream token already used, or the call is not waiting for a stream"
    setup = bridge_setup(call_sid=call_sid)
    return setup, "" if setup else "the call is not waiting for a stream"


def stream_refused_record(*, call_sid: str, problem: str) -> None:
    """Audit a refused stream handshake, on its call when the CallSid is one of ours."""
    call_id = Call.objects.filter(call_sid=call_sid).values_list("pk", flat=True).first()
    call_event_record(call_id=call_id, kind=EventKind.STREAM_REJECTED, detail=f"{problem} ({call_sid[:64]})")


def stream_start(*, call_id: int, stream_sid: str) -> None:
    """The carrier's `start` arrived on a claimed stream: the call is live."""
    now = timezone.now()
    Call.objects.filter(pk=call_id, status=CallStatus.CONNECTING).update(
        answered_at=now, stream_sid=stream_sid[:64], status=CallStatus.IN_PROGRESS
    )


def call_event_record(*, call_id: int | None, kind: str, detail: str) -> None:
    CallEvent.objects.create(call_id=call_id, kind=kind, detail=detail[:500])


def transcript_save(*, call_id: int, entry: TranscriptEntry) -> None:
    """Store a turn; saving the same provider item again updates it (a later cut, the final text).

    A call's writes run one at a time, in order (`CallStore`), so an UPDATE and, when it
    matched nothing, an INSERT need no transaction: half the statements of update_or_create.
    """
    fields = {
        "order": entry.order,
        "role": entry.role,
        "text": entry.text,
        "full_text": entry.full_text,
        "interrupted": entry.interrupted,
        "heard_ms": entry.heard_ms,
        "offset_ms": entry.offset_ms,
    }
    same_item = TranscriptItem.objects.filter(call_id=call_id, provider_item_id=entry.key)
    updated = same_item.update(**fields) if entry.key else 0  # an unnamed item is never the same one
    if not updated:
        TranscriptItem.objects.create(call_id=call_id, provider_item_id=entry.key, **fields)
    logger.info("call %s: %s turn %d %s", call_id, entry.role, entry.order, "updated" if updated else "saved")


FAILED_REASONS = {EndReason.MODEL_UNAVAILABLE, EndReason.MODEL_ERROR, EndReason.MODEL_CLOSED, EndReason.BAD_STREAM}


def call_finish(*, call_id: int, reason: EndReason, detail: str, usage: Usage, ended: CallEnd | None = None) -> None:
    """Finalise a call once: times, status, why it ended, tokens used; then its wrap-up (`ended`: what it used)."""
    call_sid, answered_at = Call.objects.values_list("call_sid", "answered_at").get(pk=call_id)
    now = timezone.now()
    # One UPDATE of only what this step decides, and only while the call is open: the carrier's
    # status callback and the machine verdict land meanwhile, from other processes, and a
    # read-modify-save would write back their fields as read here.
    values: dict[str, object] = {
        "ended_at": now,
        "status": CallStatus.FAILED if reason in FAILED_REASONS else CallStatus.COMPLETED,
        "end_reason": reason.value,
        "end_detail": detail[:300],
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
    }
    if answered_at:
        values["duration_seconds"] = int((now - answered_at).total_seconds())
    if reason == EndReason.VOICEMAIL_LEFT:
        values["outcome"] = CallOutcome.VOICEMAIL_LEFT
    if not Call.objects.filter(pk=call_id, ended_at=None).update(**values):
        return  # already finished (or closed as stale)
    logger.info("call %s ended: %s %s", call_sid, reason.value, detail)
    if not answered_at:
        logger.warning("call %s ended without a stream start: no duration, so no carrier minutes", call_sid)
    # Outbound's attempts, the cost ledger, the summary: once the row is committed, on a worker (wrap_up.py).
    transaction.on_commit(partial(wrap_up_enqueue, call_id=call_id, ended=ended))


def call_request_hangup(*, call_sid: str, username: str) -> bool:
    """Ask the process holding a live call to end it (with a goodbye). False if it is not live."""
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from .live import call_group

    if not Call.objects.filter(call_sid=call_sid, status=CallStatus.IN_PROGRESS).update(ended_by=username[:150]):
        return False
    async_to_sync(get_channel_layer().group_send)(call_group(call_sid), {"type": "call.hangup", "by": username})
    return True


STALE_GRACE_SECONDS = 120  # beyond an agent's maximum call length, no bridge can still hold the call
UNLIMITED_STALE_SECONDS = 4 * 3600  # an agent without a maximum: a call "in progress" this long is taken as stale
NO_STREAM_AFTER_SECONDS = 600


def calls_close_stale(*, now: datetime | None = None, everything: bool = False) -> int:
    """Close calls a dead server left open; returns how many.

    A live bridge ends every call by its agent's maximum length, so a call still "in progress"
    well past it was held by a process that died. `everything` closes all open calls at once:
    for a restart of the only server process.
    """
    now = now or timezone.now()
    closed = 0
    open_calls = Call.objects.filter(status__in=[CallStatus.IN_PROGRESS, CallStatus.CONNECTING], ended_at=None)
    for call in open_calls.select_related("agent"):
        if call.status == CallStatus.CONNECTING:
            limit, reason = NO_STREAM_AFTER_SECONDS, EndReason.NO_STREAM
        else:
            maximum = call.agent.max_call_seconds if call.agent else 3600
            limit = (maximum or UNLIMITED_STALE_SECONDS) + STALE_GRACE_SECONDS
            reason = EndReason.SERVER_RESTART
        if everything or (now - (call.answered_at or call.started_at)).total_seconds() > limit:
            updated = Call.objects.filter(pk=call.pk, ended_at=None).update(
                status=CallStatus.FAILED, end_reason=reason.value, ended_at=now, end_detail="closed as interrupted"
            )
            closed += updated
            if updated:
                transaction.on_commit(partial(call_settled.send, sender=Call, call_id=call.pk))
    if closed:
        logger.warning("closed %d call(s) left open by a server that stopped", closed)
    return closed


def carrier_status_record(*, call_sid: str, status: str, duration: str | None) -> bool:
    """Store the carrier's final status and duration. False when the call is unknown."""
    call = Call.objects.filter(call_sid=call_sid).only("pk", "direction").first()
    if call is None:
        return False
    # Conditional UPDATEs, not a read-modify-save: the callback often lands while the bridge ends
    # the call, and writing back the status and end as read here would reopen it.
    values: dict[str, object] = {"carrier_status": status[:32]}
    if duration and duration.isdigit():
        values["duration_seconds"] = int(duration)
    if call.direction == CallDirection.OUTBOUND and status in CARRIER_OUTCOMES:
        values["outcome"] = CARRIER_OUTCOMES[status]
    Call.objects.filter(pk=call.pk).update(**values)
    if status in CARRIER_FINAL_STATUSES:
        # The stream never started; a live call is finalised by its bridge instead.
        Call.objects.filter(pk=call.pk, status=CallStatus.CONNECTING).update(
            ended_at=timezone.now(), status=CallStatus.FAILED
        )
    transaction.on_commit(partial(call_settled.send, sender=Call, call_id=call.pk))
    return True


# The carrier's statuses that mean the call is over (a call whose stream never started is ended by them).
CARRIER_FINAL_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}

# The carrier's final status of an outbound call nobody (and no machine) answered.
CARRIER_OUTCOMES = {
    "busy": CallOutcome.BUSY,
    "no-answer": CallOutcome.NO_ANSWER,
    "failed": CallOutcome.FAILED,
    "canceled": CallOutcome.CANCELED,
}
MACHINE_OUTCOMES = {"human": CallOutcome.HUMAN, "fax": CallOutcome.FAX, "unknown": CallOutcome.UNKNOWN}


def call_answered_by(*, call_sid: str, answered_by: str) -> bool:
    """The carrier's answering-machine verdict: stored, and passed to the process holding the call.

    False when the call is not ours. A verdict for a call whose stream has not started yet is
    read from the row when it starts (`bridge_setup`).
    """
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from .live import call_group

    value = answered_by.strip().lower()[:40]
    outcome = MACHINE_OUTCOMES.get(value, CallOutcome.MACHINE if value.startswith("machine") else CallOutcome.UNKNOWN)
    updated = Call.objects.filter(call_sid=call_sid, direction=CallDirection.OUTBOUND).exclude(
        outcome=CallOutcome.VOICEMAIL_LEFT
    )
    if not updated.update(outcome=outcome, answered_by_raw=value):
        return Call.objects.filter(call_sid=call_sid, direction=CallDirection.OUTBOUND).exists()
    call_id = Call.objects.filter(call_sid=call_sid).values_list("pk", flat=True).first()
    call_event_record(call_id=call_id, kind=EventKind.ANSWERED_BY, detail=f"AnsweredBy={value}")
    message = {"type": "call.answered_by", "answered_by": value}
    try:
        async_to_sync(get_channel_layer().group_send)(call_group(call_sid), message)
    except Exception as exc:  # the verdict is stored; the call goes on as if none had come
        logger.warning("answering-machine verdict for %s not delivered: %s", call_sid, type(exc).__name__)
    return True
