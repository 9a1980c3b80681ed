from __future__ import annotations

from django.apps import AppConfig


class CostsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "costs"
    verbose_name = "Costs"

    def ready(self) -> None:
        from calls import extensions

        from .display import cost, cost_breakdown, cost_column
        from .observer import record_call_cost

        extensions.ENDINGS.append(record_call_cost)
        extensions.PAGE_PARTS["cost"] = cost_column
        extensions.PAGE_PARTS["cost_breakdown"] = cost_breakdown
        extensions.LIST_COLUMNS.append(extensions.ListColumn(cost, select_related="cost"))
