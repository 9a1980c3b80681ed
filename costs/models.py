"""The cost ledger: price tables staff edit (valid from a date), each call's usage and cost, budget alerts."""

from __future__ import annotations

from django.db import models

from agents.models import Agent, carrier_choices
from calls.models import Call

PRICE = {"max_digits": 12, "decimal_places": 4, "default": 0}
DOLLARS = {"max_digits": 14, "decimal_places": 6, "default": 0}


class ModelPrice(models.Model):
    """A model's list prices from `valid_from` on (a later row replaces it from its own date)."""

    model = models.CharField(max_length=60, help_text="As agents name it: gpt-realtime, gpt-4o-transcribe, …")
    valid_from = models.DateField()
    text_input = models.DecimalField("text in", **PRICE, help_text="US$ per 1M tokens.")
    cached_text_input = models.DecimalField("cached text in", **PRICE, help_text="US$ per 1M tokens.")
    audio_input = models.DecimalField("audio in", **PRICE, help_text="US$ per 1M tokens.")
    cached_audio_input = models.DecimalField("cached audio in", **PRICE, help_text="US$ per 1M tokens.")
    text_output = models.DecimalField("text out", **PRICE, help_text="US$ per 1M tokens.")
    audio_output = models.DecimalField("audio out", **PRICE, help_text="US$ per 1M tokens.")
    per_minute = models.DecimalField(
        "per minute", **PRICE, help_text="US$ per minute of audio, for models billed by duration (whisper-1)."
    )

    class Meta:
        ordering = ["model", "-valid_from"]
        constraints = [models.UniqueConstraint(fields=["model", "valid_from"], name="one_model_price_a_day")]

    def __str__(self) -> str:
        return f"{self.model} from {self.valid_from}"


class Direction(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"


class CarrierPrice(models.Model):
    """A carrier's price of a call minute in one direction, from `valid_from` on."""

    carrier = models.CharField(max_length=20, choices=carrier_choices)
    direction = models.CharField(max_length=10, choices=Direction.choices)
    valid_from = models.DateField()
    per_minute = models.DecimalField(max_digits=10, decimal_places=5, help_text="US$ per started minute.")

    class Meta:
        ordering = ["carrier", "direction", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["carrier", "direction", "valid_from"], name="one_carrier_price_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.get_carrier_display()} {self.direction} from {self.valid_from}"


class CallCost(models.Model):
    """One call's line of the ledger: usage as the API reported it, summed, and what it cost."""

    call = models.OneToOneField(Call, on_delete=models.CASCADE, related_name="cost")
    model = models.CharField(max_length=60)
    transcription_model = models.CharField(max_length=60, blank=True)
    responses = models.PositiveIntegerField(default=0)
    input_text = models.PositiveIntegerField(default=0)
    input_audio = models.PositiveIntegerField(default=0)
    cached_text = models.PositiveIntegerField(default=0, help_text="Part of the text input, billed at the cached rate.")
    cached_audio = models.PositiveIntegerField(default=0, help_text="Part of the audio input, at the cached rate.")
    output_text = models.PositiveIntegerField(default=0)
    output_audio = models.PositiveIntegerField(default=0)
    transcription_input_text = models.PositiveIntegerField(default=0)
    transcription_input_audio = models.PositiveIntegerField(default=0)
    transcription_output_text = models.PositiveIntegerField(default=0)
    transcription_seconds = models.FloatField(default=0)
    billed_minutes = models.PositiveIntegerField(default=0)
    model_cost = models.DecimalField(**DOLLARS)
    transcription_cost = models.DecimalField(**DOLLARS)
    carrier_cost = models.DecimalField(**DOLLARS)
    total = models.DecimalField(**DOLLARS)
    unpriced = models.CharField(max_length=200, blank=True, help_text="What had no price on the call's day.")
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-call__started_at"]

    def __str__(self) -> str:
        return f"${self.total:.4f} for {self.call.call_sid}"


class BudgetAlert(models.Model):
    """An alert sent: one per agent, month and threshold, whatever happens after."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="budget_alerts")
    month = models.DateField(help_text="The month's first day.")
    percent = models.PositiveSmallIntegerField()
    spent = models.DecimalField(**DOLLARS)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-month", "agent", "percent"]
        constraints = [models.UniqueConstraint(fields=["agent", "month", "percent"], name="one_alert_a_month")]

    def __str__(self) -> str:
        return f"{self.agent} {self.month:%Y-%m} {self.percent}%"
