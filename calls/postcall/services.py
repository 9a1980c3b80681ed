"""Post-call services: summarize, extract, notify, each guarded by its status on the Call.

Tasks (`calls/tasks.py`) and admin actions call these. Every write is an `update()` of the
post-call columns only, so post-call work never overwrites what the call itself recorded.
Guard: a step runs when its status is empty or pending, or when `force` (staff re-run) is given.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from enum import StrEnum
from functools import partial

from django.conf import settings

from agents.validators import parse_email_list
from calls.models import Call, CallStatus, StepStatus

from .content import transcript_prompt, transcript_turns
from .deliveries import email_deliver
from .dispatch import dispatcher
from .emails import call_email_render
from .errors import PostCallError
from .extraction import extraction_clean, extraction_schema
from .llm import text_response

logger = logging.getLogger(__name__)


class Step(StrEnum):
    SUMMARY = "summary"
    EXTRACTION = "extraction"
    NOTIFY = "notify"

    @property
    def status_field(self) -> str:
        return f"{self.value}_status"


ALL_STEPS = (Step.SUMMARY, Step.EXTRACTION, Step.NOTIFY)
SUMMARY_INSTRUCTIONS = (
    "You summarise phone calls that an AI agent answered for a business, for the business's staff. "
    "In two to four plain sentences: who called, what they wanted, what the agent told or promised them, "
    "and anything staff must follow up. Do not invent details that are not in the transcript. "
    "Say how the call ended as its first line does: do not say the caller interrupted or hung up unless it says so."
)
EXTRACTION_INSTRUCTIONS = (
    "Fill in each field from the phone call transcript below, following each field's description. "
    "Use null when the call does not say."
)


# --- scheduling ---------------------------------------------------------------------------


def postcall_enqueue(*, call_id: int, steps: Iterable[Step] = ALL_STEPS, force: bool = False) -> None:
    """Schedule post-call work for a call, from any thread; returns at once (see dispatch.py)."""
    if settings.POSTCALL_ENABLED:
        dispatcher.submit(partial(postcall_start, call_id=call_id, steps=tuple(steps), force=force))


def postcall_start(*, call_id: int, steps: tuple[Step, ...] = ALL_STEPS, force: bool = False) -> bool:
    """Mark the steps pending and run their chain: on the broker's worker, or here when eager.

    False for a refused (or unknown) call, which gets no post-call work.
    """
    from calls.tasks import STEP_TASKS  # the tasks import these services

    pending = {step.status_field: StepStatus.PENDING for step in steps}
    if not Call.objects.filter(pk=call_id).exclude(status=CallStatus.REFUSED).update(**pending):
        return False
    # Immutable signatures: a step's return value must not become the next step's argument.
    work = [STEP_TASKS[step].si(call_id, force) for step in steps]
    chain = work[0] if len(work) == 1 else _chain(work)
    if settings.CELERY_TASK_ALWAYS_EAGER:
        chain.apply()
        return True
    try:
        chain.apply_async()
    except Exception as exc:  # kombu's connection errors vary by transport
        reason = f"scheduling: the broker could not be reached ({type(exc).__name__})"
        Call.objects.filter(pk=call_id).update(postcall_error=reason)
        logger.error("post-call call %s %s", call_id, reason)
        return False
    return True


def _chain(signatures: list):
    from celery import chain

    return chain(*signatures)


# --- the steps ----------------------------------------------------------------------------


def _begin(*, call_id: int, step: Step, force: bool) -> Call | None:
    """The call if this step should run now (the idempotency guard), else None."""
    call = Call.objects.select_related("agent", "caller__group").get(pk=call_id)
    if call.status == CallStatus.REFUSED:
        return None
    if not force and getattr(call, step.status_field) not in ("", StepStatus.PENDING):
        logger.info("post-call %s of call %s already %s", step, call.call_sid, getattr(call, step.status_field))
        return None
    return call


def _finish(*, call_id: int, step: Step, status: StepStatus, **values: object) -> None:
    Call.objects.filter(pk=call_id).update(**{step.status_field: status}, **values)
    # This step's earlier failure is resolved; another step's is kept.
    Call.objects.filter(pk=call_id, postcall_error__startswith=f"{step}:").update(postcall_error="")


def _model(call: Call) -> str:
    return call.agent.summary_model if call.agent and call.agent.summary_model else "gpt-4o-mini"


def call_summarize(*, call_id: int, force: bool = False) -> StepStatus | None:
    """Write the call's short summary; skipped when nothing was said."""
    call = _begin(call_id=call_id, step=Step.SUMMARY, force=force)
    if call is None:
        return None
    turns = transcript_turns(call_id=call_id)
    if not turns:
        _finish(call_id=call_id, step=Step.SUMMARY, status=StepStatus.SKIPPED, summary="")
        return StepStatus.SKIPPED
    prompt = transcript_prompt(call, turns)
    summary = text_response(model=_model(call), instructions=SUMMARY_INSTRUCTIONS, text=prompt)
    _finish(call_id=call_id, step=Step.SUMMARY, status=StepStatus.DONE, summary=summary[:5000])
    logger.info("summarised call %s", call.call_sid)
    return StepStatus.DONE


def call_extract(*, call_id: int, force: bool = False) -> StepStatus | None:
    """Fill in the agent's extraction fields; skipped when it has none or nothing was said."""
    call = _begin(call_id=call_id, step=Step.EXTRACTION, force=force)
    if call is None:
        return None
    fields = list(call.agent.extraction_fields.all()) if call.agent else []
    turns = transcript_turns(call_id=call_id)
    if not fields or not turns:
        _finish(call_id=call_id, step=Step.EXTRACTION, status=StepStatus.SKIPPED, extracted={})
        return StepStatus.SKIPPED
    answer = text_response(
        model=_model(call),
        instructions=EXTRACTION_INSTRUCTIONS,
        text=transcript_prompt(call, turns),
        json_schema=extraction_schema(fields),
    )
    try:
        raw = json.loads(answer)
    except ValueError:
        raise PostCallError("the text API returned invalid JSON", transient=True) from None
    extracted, rejected = extraction_clean(fields=fields, raw=raw)
    if rejected:
        logger.warning("call %s: extraction values of the wrong kind dropped: %s", call.call_sid, rejected)
    _finish(call_id=call_id, step=Step.EXTRACTION, status=StepStatus.DONE, extracted=extracted)
    return StepStatus.DONE


def notify_recipients(call: Call) -> list[str]:
    """The agent's addresses, then the caller's group's, without duplicates."""
    lists = [call.agent.notify_emails if call.agent else ""]
    if call.caller and call.caller.group:
        lists.append(call.caller.group.notify_emails)
    return parse_email_list(",".join(lists))


def call_notify(*, call_id: int, force: bool = False) -> StepStatus | None:
    """Email the call to its recipients, each at most once; `force` (staff "resend") sends again.

    Sends even when the summary failed (it then reads "Summary unavailable"): staff learn of
    the call either way. Raises a transient PostCallError naming a failed recipient, after
    trying them all, so a retry re-sends only to those that failed.
    """
    call = _begin(call_id=call_id, step=Step.NOTIFY, force=force)
    if call is None:
        return None
    recipients = notify_recipients(call)
    if not recipients:
        _finish(call_id=call_id, step=Step.NOTIFY, status=StepStatus.SKIPPED)
        return StepStatus.SKIPPED
    email = call_email_render(call)
    failed = [r for r in recipients if email_deliver(call_id=call_id, recipient=r, email=email, resend=force) is False]
    if failed:
        raise PostCallError(f"{len(failed)} of {len(recipients)} email(s) failed, e.g. to {failed[0]}", transient=True)
    _finish(call_id=call_id, step=Step.NOTIFY, status=StepStatus.DONE)
    logger.info("emailed call %s to %d recipient(s)", call.call_sid, len(recipients))
    return StepStatus.DONE


# --- failures -----------------------------------------------------------------------------


def postcall_step_failed(*, call_id: int, step: Step, reason: str, final: bool, attempt: int) -> None:
    """Record a step's failure on the Call: retrying (status stays pending) or final (status failed)."""
    detail = f"{step}: {reason} (attempt {attempt}{'' if final else ', retrying'})"
    values: dict[str, object] = {"postcall_error": detail[:300]}
    if final:
        values[step.status_field] = StepStatus.FAILED
    Call.objects.filter(pk=call_id).update(**values)
    log = logger.error if final else logger.warning
    log("post-call call %s %s", call_id, detail)
