"""The ledger's business logic: price a call from its usage, re-price, and alert on budgets."""

from __future__ import annotations

import logging
from dataclasses import fields
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from agents.models import Agent
from calls.bridge.events import TranscriptionUsage, Usage
from calls.models import Call

from .models import BudgetAlert, CallCost, CarrierPrice, ModelPrice
from .pricing import TokenPrices, billed_minutes, model_cost, transcription_cost

logger = logging.getLogger(__name__)

ALERT_PERCENTS = (80, 100)
USAGE_FIELDS = ["responses", "input_text", "input_audio", "cached_text", "cached_audio", "output_text", "output_audio"]


def model_price(*, model: str, on: date) -> TokenPrices | None:
    row = ModelPrice.objects.filter(model=model, valid_from__lte=on).order_by("-valid_from").first()
    if row is None:
        return None
    return TokenPrices(**{f.name: getattr(row, f.name) for f in fields(TokenPrices)})


def carrier_minute_price(*, carrier: str, direction: str, on: date) -> Decimal | None:
    row = CarrierPrice.objects.filter(carrier=carrier, direction=direction, valid_from__lte=on)
    return row.order_by("-valid_from").values_list("per_minute", flat=True).first()


def call_cost_record(
    *, call_id: int, usage: Usage, transcription: TranscriptionUsage, model: str, transcription_model: str
) -> CallCost:
    """Store a finished call's usage (summed over its responses) and price it."""
    cost, _ = CallCost.objects.update_or_create(
        call_id=call_id,
        defaults={
            "model": model,
            "transcription_model": transcription_model,
            **{name: getattr(usage, name) for name in USAGE_FIELDS},
            "transcription_input_text": transcription.input_text,
            "transcription_input_audio": transcription.input_audio,
            "transcription_output_text": transcription.output_text,
            "transcription_seconds": transcription.seconds,
        },
    )
    call_cost_price(cost=cost)
    logger.info(
        "call %s priced: %s (carrier %s for %d min of %s s%s)",
        cost.call.call_sid,
        cost.total,
        cost.carrier_cost,
        cost.billed_minutes,
        cost.call.duration_seconds,
        f"; unpriced: {cost.unpriced}" if cost.unpriced else "",
    )
    return cost


def call_cost_price(*, cost: CallCost) -> CallCost:
    """(Re)price a ledger line from its stored usage with the prices valid on the call's day."""
    call: Call = cost.call
    on = timezone.localdate(call.started_at)
    usage = Usage(**{name: getattr(cost, name) for name in USAGE_FIELDS})
    transcribed = TranscriptionUsage(
        cost.transcription_input_text,
        cost.transcription_input_audio,
        cost.transcription_output_text,
        cost.transcription_seconds,
    )
    unpriced = []
    prices = model_price(model=cost.model, on=on)
    cost.model_cost = model_cost(usage, prices) if prices else Decimal(0)
    if prices is None:
        unpriced.append(cost.model)
    transcribe_prices = model_price(model=cost.transcription_model, on=on) if cost.transcription_model else None
    cost.transcription_cost = transcription_cost(transcribed, transcribe_prices) if transcribe_prices else Decimal(0)
    if transcribe_prices is None and transcribed != TranscriptionUsage():
        unpriced.append(cost.transcription_model)
    cost.billed_minutes = billed_minutes(call.duration_seconds)
    minute = carrier_minute_price(carrier=call.carrier, direction=_direction(call), on=on)
    cost.carrier_cost = minute * cost.billed_minutes if minute is not None else Decimal(0)
    if minute is None and cost.billed_minutes:
        unpriced.append(f"{call.carrier} {_direction(call)}")
    cost.total = cost.model_cost + cost.transcription_cost + cost.carrier_cost
    cost.unpriced = ", ".join(unpriced)[:200]
    cost.save()
    return cost


def _direction(call: Call) -> str:
    return "outbound" if call.direction.startswith("outbound") else "inbound"


def month_start(day: date) -> date:
    return day.replace(day=1)


def agent_month_spend(*, agent: Agent, month: date) -> Decimal:
    start = datetime(month.year, month.month, 1, tzinfo=timezone.get_current_timezone())
    end = datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=start.tzinfo)
    spent = CallCost.objects.filter(call__agent=agent, call__started_at__gte=start, call__started_at__lt=end)
    return spent.aggregate(total=Sum("total"))["total"] or Decimal(0)


def agent_budget_check(*, agent_id: int, today: date | None = None) -> list[int]:
    """Email the agent's notify addresses when this month's spend reaches 80% and 100% of its budget,
    once each a month (a unique row claims each alert before it is sent). Returns the percents sent."""
    agent = Agent.objects.filter(pk=agent_id).first()
    if agent is None or not agent.monthly_budget:
        return []
    month = month_start(today or timezone.localdate())
    spent = agent_month_spend(agent=agent, month=month)
    sent = []
    for percent in ALERT_PERCENTS:
        if spent * 100 < agent.monthly_budget * percent:
            continue
        try:
            with transaction.atomic():
                BudgetAlert.objects.create(agent=agent, month=month, percent=percent, spent=spent)
        except IntegrityError:
            continue  # already sent this month
        _send_alert(agent, month, percent, spent)
        sent.append(percent)
    return sent


def _send_alert(agent: Agent, month: date, percent: int, spent: Decimal) -> None:
    recipients = [address.strip() for address in agent.notify_emails.split(",") if address.strip()]
    if not recipients:
        logger.warning("budget alert for agent %s: it has no notify addresses", agent.pk)
        return
    subject = f"{agent.name}: {percent}% of the {month:%B %Y} budget used"
    body = (
        f"Calls answered by {agent.name} have cost ${spent:.2f} so far in {month:%B %Y}, "
        f"{percent}% or more of its monthly budget of ${agent.monthly_budget:.2f}.\n"
        "Calls go on; change the budget or the agent in the back office."
    )
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    logger.info("budget alert for agent %s: %d%% of %s", agent.pk, percent, f"{month:%Y-%m}")
