"""The ledger in the admin: price tables staff edit, each call's cost (read-only, re-priced on
demand), totals per agent, number and caller by day or month, and the budget alerts sent."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import path, reverse

from voiceagent.admin_records import RecordAdmin

from .models import BudgetAlert, CallCost, CarrierPrice, ModelPrice
from .reports import REPORT_GROUPS, REPORT_PERIODS, cost_totals
from .services import call_cost_price


@admin.register(ModelPrice)
class ModelPriceAdmin(admin.ModelAdmin):
    list_display = [
        "model",
        "valid_from",
        "text_input",
        "cached_text_input",
        "audio_input",
        "cached_audio_input",
        "text_output",
        "audio_output",
        "per_minute",
    ]
    list_filter = ["model"]
    search_fields = ["model"]


@admin.register(CarrierPrice)
class CarrierPriceAdmin(admin.ModelAdmin):
    list_display = ["carrier", "direction", "valid_from", "per_minute"]
    list_filter = ["carrier", "direction"]


@admin.register(CallCost)
class CallCostAdmin(RecordAdmin):
    list_display = ["call", "started", "agent", "model", "model_cost", "transcription_cost", "carrier_cost", "total"]
    list_filter = ["call__agent", "call__carrier", "model", "call__started_at"]
    list_select_related = ["call", "call__agent"]
    search_fields = ["call__call_sid", "call__from_number"]
    date_hierarchy = "call__started_at"
    actions = ["reprice"]
    readonly_fields = [f.name for f in CallCost._meta.fields]
    change_list_template = "admin/costs/callcost/change_list.html"

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="started", ordering="call__started_at")
    def started(self, cost: CallCost):
        return cost.call.started_at

    @admin.display(description="agent", ordering="call__agent__name")
    def agent(self, cost: CallCost) -> str:
        return str(cost.call.agent or "—")

    @admin.action(description="Price again with the current price tables", permissions=["view"])
    def reprice(self, request: HttpRequest, queryset) -> None:
        count = 0
        for cost in queryset.select_related("call"):
            call_cost_price(cost=cost)
            count += 1
        self.message_user(request, f"Priced {count} call(s) again.")

    def get_urls(self):
        report = self.admin_site.admin_view(self.report_view)
        return [path("report/", report, name="costs_callcost_report"), *super().get_urls()]

    def report_view(self, request: HttpRequest) -> TemplateResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        group = request.GET.get("by", "agent")
        period = request.GET.get("period", "month")
        group = group if group in REPORT_GROUPS else "agent"
        period = period if period in REPORT_PERIODS else "month"
        context = {
            **self.admin_site.each_context(request),
            "title": f"Costs by {group} and {period}",
            "opts": self.model._meta,
            "rows": cost_totals(group=group, period=period),
            "group": group,
            "period": period,
            "groups": list(REPORT_GROUPS),
            "periods": list(REPORT_PERIODS),
            "changelist_url": reverse("admin:costs_callcost_changelist"),
        }
        return TemplateResponse(request, "admin/costs/report.html", context)


@admin.register(BudgetAlert)
class BudgetAlertAdmin(RecordAdmin):
    list_display = ["month", "agent", "percent", "spent", "sent_at"]
    list_filter = ["agent", "percent"]
    readonly_fields = ["agent", "month", "percent", "spent", "sent_at"]
