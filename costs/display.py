"""The ledger on the call list and page: a column and a section of their own, so the pages'
design can change around them."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ObjectDoesNotExist
from django.template.loader import render_to_string


def cost_of(call):
    try:
        return call.cost  # joined by the list's select_related: no query per row
    except ObjectDoesNotExist:
        return None


def cost_column(call) -> str:
    cost = cost_of(call)
    return "—" if cost is None else f"${cost.total:.4f}"


def cost_breakdown(call) -> str:
    return render_to_string("admin/calls/call/cost.html", {"cost": cost_of(call)})


@admin.display(description="cost", ordering="cost__total")
def cost(call) -> str:
    """The calls list's column (named so: its cells are `td.field-cost`)."""
    return cost_column(call)
