"""Callers in the admin: search by any spelling of a number, CSV export (an action) and import (a view)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from .callers_csv import COLUMNS, callers_export, callers_import
from .models import Caller
from .phone import to_e164


class ImportForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="UTF-8, comma separated, with a header row.")


@admin.register(Caller)
class CallerAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "group", "email", "language", "status", "do_not_call"]
    list_filter = ["status", "do_not_call", "group", "language"]
    list_select_related = ["group"]
    search_fields = ["number", "name", "email"]
    actions = ["export_csv"]
    fieldsets = [
        (None, {"fields": ["number", "name", "group", "status", "max_calls_per_day", "do_not_call"]}),
        ("Contact", {"fields": ["email", "language"]}),
        ("What the agent is told", {"fields": ["notes"]}),
    ]

    def get_search_results(self, request, queryset, search_term):
        """Staff type numbers as they see them: "(555) 010-0001" finds +15550100001."""
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        normalised = to_e164(search_term)
        if normalised:
            found |= queryset.filter(number=normalised)
        return found, may_have_duplicates

    @admin.action(description="Export the selected callers as CSV", permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset) -> HttpResponse:
        response = HttpResponse(
            callers_export(callers=queryset.select_related("group").order_by("number")),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="callers-{timezone.now():%Y%m%d}.csv"'
        return response

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="agents_caller_import"),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        # Import both adds and updates callers.
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        report = None
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            report = callers_import(data=form.cleaned_data["file"].read())
            if report.refused:
                self.message_user(request, f"Nothing was imported: {report.refused}.", messages.ERROR)
            else:
                self.message_user(
                    request, f"Imported: {report.created} added, {report.updated} updated.", messages.SUCCESS
                )
            if report.ok:
                return HttpResponseRedirect(reverse("admin:agents_caller_changelist"))
            if report.errors:
                # Stay on the page: the bad rows are listed below it, to fix and upload again.
                self.message_user(request, f"{len(report.errors)} row(s) were not imported.", messages.WARNING)
        context = {
            **self.admin_site.each_context(request),
            "title": "Import callers from CSV",
            "opts": self.opts,
            "form": form,
            "report": report,
            "columns": COLUMNS,
            "region": settings.PHONE_DEFAULT_REGION,
        }
        return TemplateResponse(request, "admin/agents/caller/import.html", context)
