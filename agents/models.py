"""Agent personas, the phone numbers they answer, and the callers allowed to reach them."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from .phone import E164Field


class Voice(models.TextChoices):
    ALLOY = "alloy", "Alloy"
    ASH = "ash", "Ash"
    BALLAD = "ballad", "Ballad"
    CEDAR = "cedar", "Cedar"
    CORAL = "coral", "Coral"
    ECHO = "echo", "Echo"
    MARIN = "marin", "Marin"
    SAGE = "sage", "Sage"
    SHIMMER = "shimmer", "Shimmer"
    VERSE = "verse", "Verse"


class RealtimeModel(models.TextChoices):
    GPT_REALTIME = "gpt-realtime", "gpt-realtime"
    GPT_REALTIME_MINI = "gpt-realtime-mini", "gpt-realtime-mini"


class FirstSpeaker(models.TextChoices):
    AGENT = "agent", "Agent greets first"
    CALLER = "caller", "Caller speaks first"


class TurnDetection(models.TextChoices):
    SERVER_VAD = "server_vad", "Server VAD (silence based)"
    SEMANTIC_VAD = "semantic_vad", "Semantic VAD (meaning based)"


class Eagerness(models.TextChoices):
    AUTO = "auto", "Auto"
    LOW = "low", "Low (lets the caller finish)"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High (answers quickly)"


class NoiseReduction(models.TextChoices):
    NEAR_FIELD = "near_field", "Near field (handset)"
    FAR_FIELD = "far_field", "Far field (speakerphone, car)"
    OFF = "off", "Off"


def validate_wait_audio(file) -> None:
    from tools.hold import wav_to_mulaw

    try:
        wav_to_mulaw(file)
    except ValueError as exc:
        raise ValidationError(str(exc), code="invalid_wait_audio") from exc
    finally:
        file.seek(0)


class Agent(models.Model):
    """A persona that answers calls: what it knows, how it sounds, how it takes turns."""

    name = models.CharField(max_length=100, unique=True)
    instructions = models.TextField(help_text="The system prompt: who the agent is and what it may do.")
    greeting = models.TextField(
        blank=True,
        help_text="What the agent says first when it greets. Leave empty to let the model greet in its own words.",
    )
    first_speaker = models.CharField(max_length=10, choices=FirstSpeaker.choices, default=FirstSpeaker.AGENT)
    voice = models.CharField(max_length=20, choices=Voice.choices, default=Voice.ALLOY)
    realtime_model = models.CharField(max_length=60, choices=RealtimeModel.choices, default=RealtimeModel.GPT_REALTIME)
    turn_detection = models.CharField(max_length=20, choices=TurnDetection.choices, default=TurnDetection.SERVER_VAD)
    vad_threshold = models.FloatField(default=0.5, help_text="Server VAD: 0-1; higher needs louder speech.")
    vad_prefix_padding_ms = models.PositiveIntegerField(default=300)
    vad_silence_duration_ms = models.PositiveIntegerField(
        default=500, help_text="Server VAD: silence that ends the caller's turn."
    )
    eagerness = models.CharField(
        max_length=10, choices=Eagerness.choices, default=Eagerness.AUTO, help_text="Semantic VAD only."
    )
    noise_reduction = models.CharField(max_length=20, choices=NoiseReduction.choices, default=NoiseReduction.NEAR_FIELD)
    transcription_model = models.CharField(max_length=60, default="gpt-4o-transcribe")
    transcription_language = models.CharField(
        max_length=10, blank=True, default="en", help_text="ISO-639-1 code; empty lets the model detect it."
    )
    max_call_seconds = models.PositiveIntegerField(default=600, help_text="The call is ended politely after this long.")
    is_active = models.BooleanField(default=True, help_text="Inactive agents refuse calls politely.")
    dtmf_to_model = models.BooleanField(
        "keypresses to the agent",
        default=True,
        help_text='Keys the caller presses reach the agent as a short note ("The caller pressed 5").',
    )
    wait_audio_after_ms = models.PositiveIntegerField(
        default=1500, help_text="When a tool runs longer than this, the caller hears wait audio until the agent speaks."
    )
    wait_audio = models.FileField(
        upload_to="wait_audio/",
        blank=True,
        validators=[validate_wait_audio],
        help_text="An 8 kHz mono 16-bit WAV to play while tools run; empty plays a soft tone.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AccessPolicy(models.TextChoices):
    ALLOWLIST = "allowlist", "Allowlisted callers only"
    ANYONE = "anyone", "Anyone (blocked callers still refused)"


class PhoneNumber(models.Model):
    """A number held at the carrier, and the agent that answers it."""

    number = E164Field(unique=True)
    label = models.CharField(max_length=100, blank=True)
    agent = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="numbers")
    access_policy = models.CharField(max_length=20, choices=AccessPolicy.choices, default=AccessPolicy.ALLOWLIST)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number} {self.label}".strip()


class CallerGroup(models.Model):
    """A set of callers treated alike (for example primary and secondary contacts)."""

    name = models.CharField(max_length=60, unique=True)
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CallerStatus(models.TextChoices):
    ALLOWED = "allowed", "Allowed"
    BLOCKED = "blocked", "Blocked"


class Caller(models.Model):
    """Someone who phones in; allowlisted numbers reach agents whose number requires it."""

    number = E164Field(unique=True)
    name = models.CharField(max_length=100, blank=True)
    group = models.ForeignKey(CallerGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="callers")
    email = models.EmailField(blank=True)
    language = models.CharField(max_length=10, blank=True)
    notes = models.TextField(blank=True, help_text="Given to the agent at the start of each call.")
    status = models.CharField(max_length=10, choices=CallerStatus.choices, default=CallerStatus.ALLOWED)

    class Meta:
        ordering = ["name", "number"]

    def __str__(self) -> str:
        return self.name or self.number
