"""Calls and what was said in them."""

from __future__ import annotations

from django.db import models

from agents.models import Agent, Caller, PhoneNumber
from calls.bridge.actions import EndReason

END_REASON_CHOICES = [(reason.value, reason.label) for reason in EndReason]


class CallStatus(models.TextChoices):
    REFUSED = "refused", "Refused"
    CONNECTING = "connecting", "Connecting"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


class Call(models.Model):
    """One phone call, from the carrier's webhook to the last word."""

    call_sid = models.CharField("CallSid", max_length=64, unique=True)
    stream_sid = models.CharField("StreamSid", max_length=64, blank=True)
    agent = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls")
    phone_number = models.ForeignKey(
        PhoneNumber, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    caller = models.ForeignKey(Caller, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls")
    from_number = models.CharField(max_length=32)
    to_number = models.CharField(max_length=32)
    direction = models.CharField(max_length=32, default="inbound")
    status = models.CharField(max_length=20, choices=CallStatus.choices, default=CallStatus.CONNECTING)
    carrier_status = models.CharField(max_length=32, blank=True, help_text="The carrier's final call status.")
    started_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    end_reason = models.CharField(max_length=40, choices=END_REASON_CHOICES, blank=True)
    end_detail = models.CharField(max_length=300, blank=True)
    ended_by = models.CharField(max_length=150, blank=True, help_text="The staff member who hung up, if one did.")
    stream_token_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    total_tokens = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["status", "started_at"])]

    def __str__(self) -> str:
        return f"{self.from_number} → {self.to_number} ({self.call_sid})"


class Role(models.TextChoices):
    CALLER = "caller", "Caller"
    AGENT = "agent", "Agent"
    TOOL = "tool", "Tool"
    SYSTEM = "system", "System"


class TranscriptItem(models.Model):
    """One turn of the conversation, written the moment it is complete."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="transcript")
    order = models.PositiveIntegerField()
    role = models.CharField(max_length=10, choices=Role.choices)
    text = models.TextField(help_text="What was said; for an interrupted agent turn, the part the caller heard.")
    full_text = models.TextField(blank=True, help_text="Everything the model generated for an interrupted turn.")
    provider_item_id = models.CharField(max_length=64, blank=True)
    interrupted = models.BooleanField(default=False)
    heard_ms = models.PositiveIntegerField(null=True, blank=True)
    offset_ms = models.PositiveIntegerField(default=0, help_text="Time since the call was answered.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["call", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["call", "provider_item_id"],
                condition=~models.Q(provider_item_id=""),
                name="transcript_item_unique_per_call",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.text[:60]}"


class EventKind(models.TextChoices):
    REFUSED = "refused", "Call refused"
    STREAM_REJECTED = "stream_rejected", "Media stream rejected"
    BAD_FRAME = "bad_frame", "Malformed media frame"
    MODEL_ERROR = "model_error", "Model error"
    NOTE = "note", "Note"


class CallEvent(models.Model):
    """An audit record: a refusal, a rejected stream, a protocol fault. `call` is empty when unknown."""

    call = models.ForeignKey(Call, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    detail = models.CharField(max_length=500)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.detail[:60]}"
