"""Calls and what was said in them."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from agents.models import Agent, Caller, PhoneNumber, carrier_choices
from calls.bridge.actions import EndReason

END_REASON_CHOICES = [(reason.value, reason.label) for reason in EndReason]


class CallStatus(models.TextChoices):
    REFUSED = "refused", "Refused"
    CONNECTING = "connecting", "Connecting"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


class CallDirection(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"


class CallOutcome(models.TextChoices):
    """Who or what an outbound call reached (answering-machine detection, the carrier's final status)."""

    HUMAN = "human", "A person"
    MACHINE = "machine", "Answering machine"
    VOICEMAIL_LEFT = "voicemail_left", "Voicemail left"
    FAX = "fax", "Fax"
    UNKNOWN = "unknown", "Answered (unknown)"
    NO_ANSWER = "no_answer", "No answer"
    BUSY = "busy", "Busy"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"


class StepStatus(models.TextChoices):
    """A post-call step's progress; empty means none was scheduled (refused calls, older calls)."""

    PENDING = "pending", "Pending"
    DONE = "done", "Done"
    SKIPPED = "skipped", "Skipped"
    FAILED = "failed", "Failed"


class Call(models.Model):
    """One phone call, from the carrier's webhook to the last word."""

    carrier = models.CharField(max_length=20, choices=carrier_choices, default="twilio")
    call_sid = models.CharField(
        "carrier call id", max_length=64, unique=True, help_text="Twilio's CallSid, Plivo's CallUUID."
    )
    stream_sid = models.CharField("StreamSid", max_length=64, blank=True)
    agent = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls")
    phone_number = models.ForeignKey(
        PhoneNumber, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    caller = models.ForeignKey(Caller, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls")
    from_number = models.CharField(max_length=32)
    to_number = models.CharField(max_length=32)
    direction = models.CharField(max_length=32, choices=CallDirection.choices, default=CallDirection.INBOUND)
    outcome = models.CharField(
        "answered by",
        max_length=20,
        choices=CallOutcome.choices,
        blank=True,
        help_text="Outbound calls: who or what answered.",
    )
    purpose = models.TextField(blank=True, help_text="Outbound calls: why the agent called (given to the agent).")
    attempt_number = models.PositiveSmallIntegerField(
        "attempt", null=True, blank=True, help_text="Outbound calls: which try of its outbound call this was."
    )
    answered_by_raw = models.CharField(
        "AnsweredBy", max_length=40, blank=True, help_text="The carrier's answering-machine verdict, as it sent it."
    )
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
    # After the call (calls/postcall): each step's status, the last failure, and what it produced.
    summary = models.TextField(blank=True)
    extracted = models.JSONField(default=dict, blank=True, help_text="The agent's extraction fields, by name.")
    summary_status = models.CharField(max_length=10, choices=StepStatus.choices, blank=True)
    extraction_status = models.CharField(max_length=10, choices=StepStatus.choices, blank=True)
    notify_status = models.CharField(max_length=10, choices=StepStatus.choices, blank=True)
    postcall_error = models.CharField(
        max_length=300, blank=True, help_text="The last post-call failure (step: reason), never a secret."
    )

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["status", "started_at"]),
            models.Index(fields=["-started_at"], name="call_newest_first"),  # lists, MCP recent_calls
            models.Index(fields=["from_number"], name="call_from_number"),  # search by either party
            models.Index(fields=["to_number"], name="call_to_number"),
        ]
        permissions = [("hangup_call", "Can hang up a call in progress")]

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
    TRANSFER_FAILED = "transfer_failed", "Transfer failed"
    ANSWERED_BY = "answered_by", "Answering-machine detection"
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


# --- After the call: what to extract, and who was emailed ------------------------------

#: A JSON key the model fills in and a lookup the admin filters on: no "__", no leading digit.
extraction_name_validator = RegexValidator(
    r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$", "Lower-case letters, digits and single underscores, e.g. follow_up_needed."
)


class ExtractionKind(models.TextChoices):
    TEXT = "text", "Text"
    BOOLEAN = "boolean", "Yes / no"
    NUMBER = "number", "Number"
    CHOICE = "choice", "One of a list"


class ExtractionField(models.Model):
    """One thing staff want pulled out of every call an agent takes (e.g. the callback number)."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="extraction_fields")
    name = models.CharField(max_length=50, validators=[extraction_name_validator])
    description = models.CharField(
        max_length=300, help_text="What to pull out, as you would tell a colleague; the model reads this."
    )
    kind = models.CharField(max_length=10, choices=ExtractionKind.choices, default=ExtractionKind.TEXT)
    choices = models.TextField(blank=True, help_text='For "one of a list": the allowed answers, one per line.')
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["agent", "order", "name"]
        constraints = [models.UniqueConstraint(fields=["agent", "name"], name="extraction_field_unique_per_agent")]

    def __str__(self) -> str:
        return self.name

    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]

    def clean(self) -> None:
        if self.kind == ExtractionKind.CHOICE and not self.choice_list():
            raise ValidationError({"choices": "List at least one answer, one per line."})


class DeliveryStatus(models.TextChoices):
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class EmailDelivery(models.Model):
    """One email of a call to one recipient; unique, so a retried task or a repeated tool call never
    sends twice. The call's notification has no tool call id; an email a tool sent has the model's."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="email_deliveries")
    tool_call_id = models.CharField(max_length=64, blank=True, default="")
    recipient = models.EmailField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.SENDING)
    error = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["call", "recipient"]
        verbose_name_plural = "email deliveries"
        constraints = [
            models.UniqueConstraint(fields=["call", "tool_call_id", "recipient"], name="email_delivery_unique_per_call")
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.get_status_display()}"
