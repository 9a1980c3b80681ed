"""Text messages: each agent's SMS persona, the per-number switch, threads, messages, opt-outs."""

from __future__ import annotations

from django.db import models

from agents.models import Agent, Caller, PhoneNumber
from agents.phone import E164Field

DEFAULT_SMS_INSTRUCTIONS = (
    "You answer text messages for the business. Reply in plain text, briefly and helpfully, as in an SMS."
)


class SmsPersona(models.Model):
    """How an agent answers text messages (its voice instructions are for calls)."""

    agent = models.OneToOneField(Agent, on_delete=models.CASCADE, related_name="sms_persona")
    instructions = models.TextField(
        default=DEFAULT_SMS_INSTRUCTIONS,
        help_text="The system prompt of every text reply. The sender's name, group and last call summary are "
        "appended; the thread's recent messages are sent with it.",
    )
    model = models.CharField(max_length=60, default="gpt-4o-mini", help_text="Text model that writes the replies.")
    max_length = models.PositiveIntegerField(
        default=320, help_text="Longest reply, in characters (160 is one SMS segment); longer answers are cut."
    )
    history_hours = models.PositiveIntegerField(
        default=12, help_text="Messages of the thread from the last this many hours go with each request."
    )
    unknown_sender_reply = models.CharField(
        max_length=320,
        blank=True,
        help_text="Sent (once per message) to senders the number's policy refuses; empty: they get nothing. "
        "They never reach the model.",
    )
    help_reply = models.CharField(
        max_length=320,
        blank=True,
        help_text="Sent to HELP/INFO. Empty: nothing (Twilio answers HELP itself on long codes unless Advanced "
        "Opt-Out is customised).",
    )
    max_replies_per_hour = models.PositiveIntegerField(
        default=10, help_text="Replies one sender gets in any 60 minutes; more messages are stored, not answered."
    )

    class Meta:
        verbose_name = "SMS persona"

    def __str__(self) -> str:
        return f"SMS persona of {self.agent}"


class SmsNumberSetting(models.Model):
    """Whether the agent answers text messages sent to this number."""

    phone_number = models.OneToOneField(PhoneNumber, on_delete=models.CASCADE, related_name="sms_setting")
    replies_enabled = models.BooleanField(
        default=False, help_text="The number's agent answers its text messages (same allowlist policy as calls)."
    )

    class Meta:
        verbose_name = "SMS replies"
        verbose_name_plural = "SMS replies"

    def __str__(self) -> str:
        return f"SMS on {self.phone_number}: {'on' if self.replies_enabled else 'off'}"


class SmsOptOut(models.Model):
    """A sender who texted STOP (or another opt-out word): they get nothing more until START."""

    number = E164Field(unique=True)
    keyword = models.CharField(max_length=20)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "SMS opt-out"

    def __str__(self) -> str:
        return self.number


class SmsThread(models.Model):
    """One sender's conversation with one of our numbers."""

    phone_number = models.ForeignKey(PhoneNumber, null=True, on_delete=models.SET_NULL, related_name="sms_threads")
    our_number = models.CharField(max_length=32, help_text="The number the messages were sent to.")
    contact = models.CharField(max_length=32, help_text="The sender's number.")
    agent = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="sms_threads")
    caller = models.ForeignKey(Caller, null=True, blank=True, on_delete=models.SET_NULL, related_name="sms_threads")
    created_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField(null=True, db_index=True)

    class Meta:
        ordering = ["-last_message_at", "-pk"]
        verbose_name = "SMS conversation"
        constraints = [models.UniqueConstraint(fields=["our_number", "contact"], name="one_sms_thread_per_pair")]

    def __str__(self) -> str:
        return f"{self.contact} ↔ {self.our_number}"


class Direction(models.TextChoices):
    INBOUND = "inbound", "Received"
    OUTBOUND = "outbound", "Sent"


class Kind(models.TextChoices):
    MESSAGE = "message", "Message from the sender"
    REPLY = "reply", "Agent's reply"
    FIXED = "fixed", "Fixed text (unknown sender, HELP)"
    TOOL = "tool", "Sent by the voice agent during a call"


class MessageStatus(models.TextChoices):
    # Inbound
    REPLY_PENDING = "reply_pending", "Reply pending"
    ANSWERED = "answered", "Answered"
    NOT_ANSWERED = "not_answered", "Not answered"  # by policy: see `error` for why
    REPLY_FAILED = "reply_failed", "Reply failed"
    # Outbound: recorded before the REST request, so a retried task finds it and never sends twice
    PENDING = "pending", "To send"
    SENDING = "sending", "Sending"
    QUEUED = "queued", "Queued at Twilio"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    UNDELIVERED = "undelivered", "Undelivered"
    FAILED = "failed", "Failed"


class SmsMessage(models.Model):
    thread = models.ForeignKey(SmsThread, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=10, choices=Direction.choices)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.MESSAGE)
    body = models.TextField(blank=True)
    message_sid = models.CharField(max_length=64, null=True, blank=True, unique=True, help_text="Twilio's id.")
    status = models.CharField(max_length=20, choices=MessageStatus.choices)
    error = models.CharField(max_length=300, blank=True, help_text="Why it was not answered, or not delivered.")
    attempts = models.PositiveIntegerField(default=0)
    # The inbound message an outbound one answers: one answer per message, whatever retries do.
    reply_to = models.OneToOneField("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reply")
    call = models.ForeignKey(
        "calls.Call", null=True, blank=True, on_delete=models.SET_NULL, related_name="sms_messages"
    )
    tool_call_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = "SMS message"
        constraints = [
            models.UniqueConstraint(
                fields=["call", "tool_call_id"], condition=~models.Q(tool_call_id=""), name="one_sms_per_tool_call"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()}: {self.body[:50]}"
