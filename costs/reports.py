"""Selectors of the ledger: totals per agent, number or caller, per day or month."""

from __future__ import annotations

from django.db.models import Count, F, QuerySet, Sum
from django.db.models.functions import TruncDay, TruncMonth

from .models import CallCost

REPORT_GROUPS = {"agent": "call__agent__name", "number": "call__phone_number__number", "caller": "call__from_number"}
REPORT_PERIODS = {"day": TruncDay, "month": TruncMonth}


def cost_totals(*, group: str, period: str) -> QuerySet:
    """Rows of `period`, `who`, `calls`, `minutes` and the costs, newest period first, dearest first."""
    return (
        CallCost.objects.annotate(period=REPORT_PERIODS[period]("call__started_at"), who=F(REPORT_GROUPS[group]))
        .values("period", "who")
        .annotate(
            calls=Count("pk"),
            minutes=Sum("billed_minutes"),
            model_cost=Sum("model_cost"),
            transcription_cost=Sum("transcription_cost"),
            carrier_cost=Sum("carrier_cost"),
            total=Sum("total"),
        )
        .order_by("-period", "-total")
    )
