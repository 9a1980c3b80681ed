"""Outbound calls to make, their attempts, and the small campaigns that make many at once."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from agents.models import Agent, Caller, PhoneNumber
from agents.phone import E164Field
from calls.models import Call, CallOutcome


class OutboundStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"  # waiting for its time, its next attempt, or calling hours
    CALLING = "calling", "Calling"  # an attempt is under way
    REACHED = "reached", "Reached"  # a person, or a machine (voicemail left)
    GAVE_UP = "gave_up", "Gave up"  # attempts used up, or a failure that trying again cannot fix
    SKIPPED = "skipped", "Skipped (do not call)"
    CANCELLED = "cancelled", "Cancelled"


class Campaign(models.Model):
    """A list of people (from a CSV) the same agent calls from the same number for the same purpose."""

    name = models.CharField(max_length=100)
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="campaigns")
    phone_number = models.ForeignKey(
        PhoneNumber, on_delete=models.CASCADE, related_name="campaigns", help_text="The number the calls come from."
    )
    purpose = models.TextField(help_text="Why the agent calls each of them; a row's own purpose wins.")
    starts_at = models.DateTimeField(default=timezone.now, help_text="No call before this; calling hours apply.")
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class OutboundCall(models.Model):
    """One person to call: tried up to the agent's attempts, each attempt a row of its own."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="outbound_calls")
    phone_number = models.ForeignKey(
        PhoneNumber, on_delete=models.CASCADE, related_name="outbound_calls", help_text="The number we call from."
    )
    to_number = E164Field(help_text="Whom to call, in international form: +15550100001.")
    caller = models.ForeignKey(
        Caller,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outbound_calls",
        help_text="The person, when they are one of our callers: their name and notes reach the agent.",
    )
    purpose = models.TextField(blank=True, help_text="Why the agent calls; given to it for this call only.")
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.CASCADE, related_name="outbound_calls"
    )
    status = models.CharField(max_length=12, choices=OutboundStatus.choices, default=OutboundStatus.SCHEDULED)
    due_at = models.DateTimeField(default=timezone.now, help_text="When the next attempt may start.")
    attempts_made = models.PositiveSmallIntegerField("attempts", default=0)
    outcome = models.CharField(max_length=20, choices=CallOutcome.choices, blank=True)
    detail = models.CharField(max_length=300, blank=True, help_text="Why it was skipped, waits, or gave up.")
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "due_at"], name="outbound_due")]

    def __str__(self) -> str:
        return f"{self.to_number} ({self.get_status_display()})"


class Attempt(models.Model):
    """One try at an outbound call: the carrier's call, or its refusal with the carrier's message."""

    outbound = models.ForeignKey(OutboundCall, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    call = models.OneToOneField(Call, null=True, blank=True, on_delete=models.SET_NULL, related_name="outbound_attempt")
    carrier_call_id = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=20, choices=CallOutcome.choices, blank=True)
    detail = models.CharField(max_length=300, blank=True, help_text="The carrier's message when it refused.")
    placed_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["outbound", "number"]
        constraints = [models.UniqueConstraint(fields=["outbound", "number"], name="attempt_unique_number")]

    def __str__(self) -> str:
        return f"attempt {self.number}: {self.get_outcome_display() or 'in progress'}"
