"""Text messages in the back office: conversations as threads, every message with its status and reason.

The agent's SMS persona and the number's switch are inlines on the agent's and the number's
pages, added from here so that agents/admin.py needs no import of this app.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Exists, OuterRef, Subquery
from django.utils.text import Truncator

from agents.models import Agent, PhoneNumber
from voiceagent.admin_pages import add_inline
from voiceagent.admin_records import RecordInline

from .models import Direction, MessageStatus, SmsMessage, SmsNumberSetting, SmsOptOut, SmsPersona, SmsThread
from .tasks import enqueue_reply

FAILED = [MessageStatus.REPLY_FAILED, MessageStatus.FAILED, MessageStatus.UNDELIVERED]


class SmsPersonaInline(admin.StackedInline):
    page_order = 40
    model = SmsPersona
    max_num = 1
    can_delete = False
    verbose_name_plural = "SMS persona (text message replies)"
    fields = [
        "instructions",
        "model",
        "max_length",
        "history_hours",
        "max_replies_per_hour",
        "unknown_sender_reply",
        "help_reply",
    ]


class SmsNumberSettingInline(admin.StackedInline):
    model = SmsNumberSetting
    max_num = 1
    can_delete = False
    fields = ["replies_enabled"]


add_inline(Agent, SmsPersonaInline)  # on the agent's and the number's pages (voiceagent.admin_pages)
add_inline(PhoneNumber, SmsNumberSettingInline)


class SmsMessageInline(RecordInline):
    model = SmsMessage
    fields = ["created_at", "direction", "kind", "body", "status", "error", "message_sid"]
    verbose_name_plural = "Messages, oldest first"


class ReplyStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("failed", "Has a failed reply"), ("pending", "Waiting for a reply"), ("opted_out", "Opted out")]

    def queryset(self, request, queryset):
        if self.value() == "failed":
            return queryset.filter(Exists(SmsMessage.objects.filter(thread=OuterRef("pk"), status__in=FAILED)))
        if self.value() == "pending":
            waiting = [MessageStatus.REPLY_PENDING, MessageStatus.PENDING, MessageStatus.SENDING]
            return queryset.filter(Exists(SmsMessage.objects.filter(thread=OuterRef("pk"), status__in=waiting)))
        if self.value() == "opted_out":
            return queryset.filter(Exists(SmsOptOut.objects.filter(number=OuterRef("contact"))))
        return queryset


@admin.register(SmsThread)
class SmsThreadAdmin(admin.ModelAdmin):
    # Narrow enough for a 1366-pixel screen beside the filters; the number is on the thread's page.
    list_display = ["contact", "caller", "agent", "last_message", "last_message_at", "failures"]
    list_filter = ["agent", ReplyStatusFilter]
    list_select_related = ["caller", "agent"]
    search_fields = ["contact", "our_number", "caller__name", "messages__body"]
    fields = ["contact", "caller", "agent", "our_number", "phone_number", "created_at", "last_message_at"]
    readonly_fields = fields
    inlines = [SmsMessageInline]

    def get_queryset(self, request):
        # The last message's columns and the failure flag in the list's one query (no query per row).
        failed = SmsMessage.objects.filter(thread=OuterRef("pk"), status__in=FAILED)
        last = SmsMessage.objects.filter(thread=OuterRef("pk")).order_by("-created_at", "-pk")
        return (
            super()
            .get_queryset(request)
            .annotate(
                has_failed=Exists(failed),
                last_body=Subquery(last.values("body")[:1]),
                last_direction=Subquery(last.values("direction")[:1]),
                last_status=Subquery(last.values("status")[:1]),
            )
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a record of what was said: shown, never edited

    @admin.display(description="last message")
    def last_message(self, thread: SmsThread) -> str:
        if thread.last_status is None:
            return ""
        arrow = "←" if thread.last_direction == Direction.INBOUND else "→"
        return f"{arrow} {Truncator(thread.last_body).chars(40)} ({MessageStatus(thread.last_status).label})"

    @admin.display(description="failed", ordering="has_failed")
    def failures(self, thread: SmsThread) -> str:
        # Words, not the admin's boolean icons: a green tick would read as "fine".
        return "failed" if thread.has_failed else ""


@admin.register(SmsMessage)
class SmsMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "thread", "direction", "kind", "short_body", "status", "error"]
    list_filter = ["status", "direction", "kind", "thread__agent"]
    list_select_related = ["thread"]
    search_fields = ["body", "thread__contact", "message_sid", "error"]
    fields = [
        "thread",
        "direction",
        "kind",
        "body",
        "status",
        "error",
        "attempts",
        "message_sid",
        "reply_to",
        "call",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields
    actions = ["reply_again"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description="text")
    def short_body(self, message: SmsMessage) -> str:
        return Truncator(message.body).chars(80)

    @admin.action(description="Try the failed replies again", permissions=["change"])
    def reply_again(self, request, queryset) -> None:
        # Only replies the model never wrote: a reply Twilio refused could have been sent, so it stays.
        failed = queryset.filter(status=MessageStatus.REPLY_FAILED, reply__isnull=True)
        ids = list(failed.values_list("pk", flat=True))
        SmsMessage.objects.filter(pk__in=ids).update(status=MessageStatus.REPLY_PENDING, error="", attempts=0)
        for message_id in ids:
            enqueue_reply(message_id)
        self.message_user(request, f"{len(ids)} repl{'y' if len(ids) == 1 else 'ies'} scheduled again.")


@admin.register(SmsOptOut)
class SmsOptOutAdmin(admin.ModelAdmin):
    list_display = ["number", "keyword", "created_at"]
    search_fields = ["number"]
    readonly_fields = ["keyword", "created_at"]
