"""`/`: what a supervisor looks at first. Staff only (anyone else is sent to the admin login), and
only those who may read calls, since every figure on it is made of calls."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from calls.outcomes import TONES

from . import selectors
from .chart import hourly_chart


@staff_member_required
@permission_required("calls.view_call", raise_exception=True)
def index(request: HttpRequest) -> HttpResponse:
    today = selectors.today_start()
    week = timezone.now() - timedelta(days=7)
    calls = reverse("admin:calls_call_changelist")
    since_today = {"started_at__gte": today.strftime("%Y-%m-%d %H:%M:%S")}
    outcomes = [
        {
            "label": outcome.label,
            "tone": TONES[outcome],
            "count": n,
            "url": f"{calls}?{urlencode({**since_today, 'outcome': outcome.value})}",
        }
        for outcome, n in selectors.outcomes_since(today)
    ]
    context = {
        **admin.site.each_context(request),
        "title": "Dashboard",
        "live": selectors.calls_in_progress(),
        "outcomes": outcomes,
        "today_total": sum(row["count"] for row in outcomes),
        "today_url": f"{calls}?{urlencode(since_today)}",
        "chart": hourly_chart(selectors.calls_per_hour(now=timezone.now())),
        "reasons": selectors.top_reasons(since=week),
        "calls_url": calls,
    }
    return TemplateResponse(request, "dashboard/index.html", context)
