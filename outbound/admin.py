"""Outbound calls in the admin: "Call someone" (the add form), campaigns from a CSV, every attempt shown.

The forms check what they can before anything is saved (a number, do-not-call, PUBLIC_URL); the
call itself is placed by the services once the row is committed, so that the carrier's answer
webhook, which may come at once, finds it.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from agents.models import Caller
from agents.phone import E164FormField
from voiceagent.admin_records import RecordInline

from .campaigns import campaign_create, campaign_rows_parse
from .models import Attempt, Campaign, OutboundCall, OutboundStatus
from .services import OutboundError, outbound_call_cancel, outbound_call_place, outbound_from_number
from .tasks import dispatch_due_outbound_calls


def _check_can_call(number: str) -> None:
    if Caller.objects.filter(number=number, do_not_call=True).exists():
        raise forms.ValidationError(f"{number} is on the do-not-call list.")
    if not settings.PUBLIC_URL:
        raise forms.ValidationError("Outbound calls need PUBLIC_URL: the carrier must reach this server.")


class OutboundCallForm(forms.ModelForm):
    to_number = E164FormField(required=False, label="Number", help_text="Or pick one of our callers below.")

    class Meta:
        model = OutboundCall
        fields = ["agent", "phone_number", "caller", "to_number", "purpose", "due_at"]
        help_texts = {
            "phone_number": "The number we call from. Empty: the agent's first number.",
            "due_at": "Empty: now (within the number's calling hours in the callee's time zone).",
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("phone_number", "due_at"):
            if name in self.fields:  # not on a made call's page, where every field is read-only
                self.fields[name].required = False

    def clean(self) -> dict:
        data = super().clean()
        caller, agent = data.get("caller"), data.get("agent")
        number = data.get("to_number") or (caller.number if caller else "")
        if not number:
            raise forms.ValidationError("Pick a caller or type the number to call.")
        _check_can_call(number)
        data["to_number"], data["caller"] = number, caller or Caller.objects.filter(number=number).first()
        data["due_at"] = data.get("due_at") or timezone.now()
        if agent is not None and data.get("phone_number") is None:
            try:
                data["phone_number"] = outbound_from_number(agent, None)
            except OutboundError as exc:
                raise forms.ValidationError(str(exc)) from None
        return data


class AttemptInline(RecordInline):
    model = Attempt
    fields = ["number", "placed_at", "outcome", "detail", "call_link"]

    @admin.display(description="call")
    def call_link(self, attempt: Attempt) -> str:
        if attempt.call_id is None:
            return "—"
        url = reverse("admin:calls_call_change", args=[attempt.call_id])
        return format_html('<a href="{}">{}</a>', url, attempt.carrier_call_id or attempt.call_id)


@admin.register(OutboundCall)
class OutboundCallAdmin(admin.ModelAdmin):
    form = OutboundCallForm
    list_display = ["created_at", "to_number", "caller", "agent", "status", "attempts_made", "outcome", "due_at"]
    list_filter = ["status", "outcome", "agent", "campaign"]
    list_select_related = ["caller", "agent"]
    search_fields = ["to_number", "caller__name", "purpose"]
    inlines = [AttemptInline]
    actions = ["cancel", "call_now"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [*self.form.Meta.fields, "campaign", "status", "attempts_made", "outcome", "detail", "created_by"]

    def save_model(self, request: HttpRequest, obj: OutboundCall, form, change: bool) -> None:
        if change:
            return  # a record: nothing on it is edited by hand
        obj.created_by = request.user.get_username()
        super().save_model(request, obj, form, change)
        if obj.due_at <= timezone.now():
            transaction.on_commit(lambda: self._place(request, obj.pk))

    def _place(self, request: HttpRequest, outbound_id: int) -> None:
        placed = outbound_call_place(outbound_id=outbound_id)
        if placed is None:
            return
        dialled = placed.attempt is not None and placed.attempt.call_id is not None
        self.message_user(request, placed.message, messages.SUCCESS if dialled else messages.WARNING)

    @admin.action(description="Cancel the selected calls (those not yet made)", permissions=["change"])
    def cancel(self, request: HttpRequest, queryset) -> None:
        cancelled = sum(outbound_call_cancel(outbound=outbound) for outbound in queryset)
        self.message_user(request, f"Cancelled {cancelled} call(s).")

    @admin.action(description="Call the selected scheduled calls now", permissions=["change"])
    def call_now(self, request: HttpRequest, queryset) -> None:
        due = queryset.filter(status=OutboundStatus.SCHEDULED)
        ids = list(due.values_list("pk", flat=True))
        due.update(due_at=timezone.now())
        for outbound_id in ids:
            self._place(request, outbound_id)


class CampaignForm(forms.ModelForm):
    people = forms.FileField(
        label="People (CSV)",
        help_text="A 'number' column (international form), optionally 'purpose' per person. "
        "Nothing is saved unless every line is valid.",
    )

    class Meta:
        model = Campaign
        fields = ["name", "agent", "phone_number", "purpose", "starts_at"]

    def clean_people(self):
        parsed = campaign_rows_parse(data=self.cleaned_data["people"].read())
        if parsed.errors:
            raise forms.ValidationError([f"line {line}: {why}" for line, why in parsed.errors])
        if not settings.PUBLIC_URL:
            raise forms.ValidationError("Outbound calls need PUBLIC_URL: the carrier must reach this server.")
        return parsed.rows


class CampaignCallInline(RecordInline):
    model = OutboundCall
    fields = ["to_number", "caller", "status", "attempts_made", "outcome", "due_at", "detail"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    form = CampaignForm
    list_display = ["name", "agent", "phone_number", "starts_at", "created_at", "call_count"]
    list_filter = ["agent"]
    search_fields = ["name", "purpose"]
    inlines = [CampaignCallInline]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["name", "agent", "phone_number", "purpose", "starts_at", "created_by"]

    def get_fields(self, request, obj=None):
        fields = ["name", "agent", "phone_number", "purpose", "starts_at"]
        return [*fields, "people"] if obj is None else [*fields, "created_by"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            kwargs["form"] = forms.ModelForm  # a record once made: no file to upload
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request: HttpRequest, obj: Campaign, form, change: bool) -> None:
        if change:
            return
        data = form.cleaned_data
        created = campaign_create(
            name=data["name"],
            agent=data["agent"],
            phone_number=data["phone_number"],
            purpose=data["purpose"],
            starts_at=data["starts_at"],
            rows=data["people"],
            created_by=request.user.get_username(),
        )
        obj.pk, obj.created_at = created.pk, created.created_at
        obj._state.adding = False
        # Beat dials them within a minute; a campaign due now starts at once (in-process without a broker).
        transaction.on_commit(dispatch_due_outbound_calls.delay)
        self.message_user(request, f"{len(data['people'])} call(s) scheduled for {data['starts_at']:%Y-%m-%d %H:%M}.")

    @admin.display(description="calls")
    def call_count(self, campaign: Campaign) -> int:
        return campaign.outbound_calls.count()
