"""The staff live page: calls in progress with their transcripts streaming, and a hang-up button."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from . import services
from .selectors import live_calls_snapshot


@staff_member_required
@permission_required("calls.view_call", raise_exception=True)
def live_page(request: HttpRequest) -> HttpResponse:
    context = {
        **admin.site.each_context(request),
        "title": "Live calls",
        "calls": live_calls_snapshot(),
        "can_hang_up": request.user.has_perm("calls.hangup_call"),
    }
    return TemplateResponse(request, "calls/live.html", context)


@require_POST
@staff_member_required
@permission_required("calls.hangup_call", raise_exception=True)
def hang_up(request: HttpRequest, call_sid: str) -> JsonResponse:
    """Ask the process holding the call to end it; 409 when it is no longer in progress."""
    ok = services.call_request_hangup(call_sid=call_sid, username=request.user.get_username())
    return JsonResponse({"ok": ok}, status=200 if ok else 409)
