"""Agent personas, the phone numbers they answer, and the callers allowed to reach them."""

from __future__ import annotations

import datetime
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from .hold import wav_to_mulaw
from .phone import E164Field
from .validators import validate_email_list

GREETING_PLACEHOLDERS = {"first_name"}


def validate_greeting_template(value: str) -> None:
    """Only known placeholders: a typo like `{firstname}` would otherwise be spoken as is."""
    unknown = sorted(set(re.findall(r"\{([^{}]*)\}", value)) - GREETING_PLACEHOLDERS)
    if unknown:
        raise ValidationError(
            "Unknown placeholder(s): %(names)s. Only {first_name} is filled in.",
            params={"names": ", ".join("{" + name + "}" for name in unknown)},
            code="unknown_placeholder",
        )


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


class KeypressHandling(models.TextChoices):
    """Mirrors `calls.bridge.config.Keypresses`, the values the call session understands."""

    RESPOND = "respond", "Agent answers the keypress"
    NOTE = "note", "Note only (read with the caller's next words)"
    OFF = "off", "Ignored"


class NoiseReduction(models.TextChoices):
    NEAR_FIELD = "near_field", "Near field (handset)"
    FAR_FIELD = "far_field", "Far field (speakerphone, car)"
    OFF = "off", "Off"


def validate_wait_audio(file) -> None:
    try:
        wav_to_mulaw(file)
    except ValueError as exc:
        raise ValidationError(str(exc), code="invalid_wait_audio") from exc
    finally:
        file.seek(0)


class Agent(models.Model):
    """A persona that answers calls: what it knows, how it sounds, how it takes turns."""

    name = models.CharField(max_length=100, unique=True, help_text="For staff only; callers never hear it.")
    instructions = models.TextField(
        help_text="The system prompt sent to the model at the start of every call: who the agent is, what it "
        "knows, what it may do. The caller's name and notes are appended per call."
    )
    greeting = models.TextField(
        blank=True,
        validators=[validate_greeting_template],
        help_text="What the agent says first when it greets. {first_name} is replaced by the caller's first name. "
        "Per-group greetings below take precedence. Leave empty to let the model greet in its own words.",
    )
    name_fallback = models.CharField(
        max_length=40,
        default="there",
        help_text='Said in place of {first_name} when the caller\'s name is unknown ("Hi there").',
    )
    first_speaker = models.CharField(
        max_length=10,
        choices=FirstSpeaker.choices,
        default=FirstSpeaker.AGENT,
        help_text="Agent: the greeting plays as soon as the call connects. Caller: the agent waits to be spoken to.",
    )
    voice = models.CharField(
        max_length=20,
        choices=Voice.choices,
        default=Voice.ALLOY,
        help_text="The model's speaking voice. It cannot change once the agent has spoken in a call.",
    )
    realtime_model = models.CharField(
        max_length=60,
        choices=RealtimeModel.choices,
        default=RealtimeModel.GPT_REALTIME,
        help_text="The speech-to-speech model; the mini model is cheaper and a little less capable.",
    )
    turn_detection = models.CharField(
        max_length=20,
        choices=TurnDetection.choices,
        default=TurnDetection.SERVER_VAD,
        help_text="How the model decides the caller has finished: after a silence (server VAD) or when what "
        "they said sounds complete (semantic VAD). Either lets the caller interrupt the agent.",
    )
    vad_threshold = models.FloatField(
        default=0.5, help_text="Server VAD: 0-1; higher needs louder speech, so background noise interrupts less."
    )
    vad_prefix_padding_ms = models.PositiveIntegerField(
        default=300, help_text="Server VAD: audio kept from before speech was detected, so first syllables survive."
    )
    vad_silence_duration_ms = models.PositiveIntegerField(
        default=500,
        help_text="Server VAD: silence that ends the caller's turn. Shorter answers faster but cuts off "
        "callers who pause mid-sentence.",
    )
    eagerness = models.CharField(
        max_length=10,
        choices=Eagerness.choices,
        default=Eagerness.AUTO,
        help_text="Semantic VAD only: how quickly the agent takes its turn.",
    )
    noise_reduction = models.CharField(
        max_length=20,
        choices=NoiseReduction.choices,
        default=NoiseReduction.NEAR_FIELD,
        help_text="Filters the caller's audio before the model hears it; pick what most callers use.",
    )
    transcription_model = models.CharField(
        max_length=60,
        default="gpt-4o-transcribe",
        help_text="Writes down what the caller says, for the transcript; it does not change what the agent hears.",
    )
    transcription_language = models.CharField(
        max_length=10,
        blank=True,
        default="en",
        help_text="ISO-639-1 code of the caller transcript; empty lets the model detect it. A caller's own "
        "language overrides it.",
    )
    max_call_seconds = models.PositiveIntegerField(
        null=True,
        blank=True,
        default=600,
        help_text="After this long the agent says goodbye and the call ends (end reason: max duration). "
        "Empty: no limit.",
    )
    is_active = models.BooleanField(default=True, help_text="Inactive agents refuse calls politely.")
    keypresses = models.CharField(
        "keypresses",
        max_length=10,
        choices=KeypressHandling.choices,
        default=KeypressHandling.RESPOND,
        help_text='Keys the caller presses reach the agent as a short note ("The caller pressed the key 5"): '
        "answered at once, or only read with the caller's next words.",
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
    # Recording (recordings/): a two-channel WAV of the caller and of what the caller heard.
    record_calls = models.BooleanField(default=False, help_text="Record this agent's calls (a number may override).")
    recording_notice = models.BooleanField(
        default=False, help_text="When recording, the greeting tells the caller the call is recorded."
    )
    recording_retention_days = models.PositiveIntegerField(
        null=True, blank=True, default=90, help_text="Recordings older than this are deleted. Empty: kept."
    )
    # Costs (costs/): the ledger prices each call; staff hear when a month's spend nears this.
    monthly_budget = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="US dollars a calendar month (UTC); an email goes to the notify addresses at 80% and 100%. "
        "Empty: no budget.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # After the call (calls/postcall): the text model that summarises and extracts, and who hears about it.
    summary_model = models.CharField(
        max_length=60, default="gpt-4o-mini", help_text="Text model that writes each call's summary and extraction."
    )
    notify_emails = models.TextField(
        blank=True,
        validators=[validate_email_list],
        help_text="Comma-separated addresses that get each finished call's summary by email.",
    )

    # Outbound calls (outbound/): how often to try, and what to leave on an answering machine.
    outbound_max_attempts = models.PositiveSmallIntegerField(
        "attempts per outbound call",
        default=3,
        help_text="Tries in all (the first call and its retries) when nobody answers, the line is busy or fails.",
    )
    outbound_retry_minutes = models.PositiveIntegerField(
        "minutes between attempts", default=30, help_text="How long to wait before trying a number again."
    )
    voicemail_message = models.TextField(
        blank=True,
        help_text="What the agent leaves on an answering machine after the beep, in its own voice, "
        "with the call's purpose. Empty: a short message saying who called and why.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AgentVersion(models.Model):
    """What an agent's instructions and greeting were from `changed_at` on: a history to restore from."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="versions")
    instructions = models.TextField()
    greeting = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]
        get_latest_by = ["changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.agent} @ {self.changed_at:%Y-%m-%d %H:%M}"


class AccessPolicy(models.TextChoices):
    ALLOWLIST = "allowlist", "Allowlisted callers only"
    ANYONE = "anyone", "Anyone (blocked callers still refused)"


def carrier_choices() -> list[tuple[str, str]]:
    """The carriers of `settings.CARRIERS` (calls/carriers/registry.py), by name and label.

    Read from the settings, not the registry, so that agents imports nothing of calls.
    """
    return [(name, label) for name, (label, *_rest) in settings.CARRIERS.items()]


class Override(models.TextChoices):
    AGENT = "", "As the agent"
    ON = "on", "On"
    OFF = "off", "Off"


DEFAULT_HOURS = (datetime.time(9, 0), datetime.time(20, 0))  # outbound calls, in the callee's time zone


class PhoneNumber(models.Model):
    """A number held at a carrier, and the agent that answers it."""

    number = E164Field(unique=True, help_text="As bought at the carrier, in international form: +15005550006.")
    carrier = models.CharField(
        max_length=20, choices=carrier_choices, default="twilio", help_text="Who holds the number and sends its calls."
    )
    label = models.CharField(max_length=100, blank=True)
    agent = models.ForeignKey(
        Agent,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="numbers",
        help_text="Who answers. Without an agent, callers hear that nobody can take the call.",
    )
    access_policy = models.CharField(
        max_length=20,
        choices=AccessPolicy.choices,
        default=AccessPolicy.ALLOWLIST,
        help_text="Allowlist: only callers listed under Callers (and not blocked) get through.",
    )
    max_calls_per_hour = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Calls this number takes in any 60 minutes; more are refused politely. Empty: no limit.",
    )
    record_calls = models.CharField(
        max_length=3,
        choices=Override.choices,
        blank=True,
        default=Override.AGENT,
        help_text="Record calls to this number.",
    )
    recording_notice = models.CharField(
        max_length=3,
        choices=Override.choices,
        blank=True,
        default=Override.AGENT,
        help_text="Tell callers of this number that the call is recorded.",
    )

    def recording_wanted(self) -> tuple[bool, bool]:
        """(record, give the notice): this number's overrides, else its agent's settings."""
        agent = self.agent
        record = self.record_calls == Override.ON if self.record_calls else bool(agent and agent.record_calls)
        notice = (
            self.recording_notice == Override.ON if self.recording_notice else bool(agent and agent.recording_notice)
        )
        return record, record and notice

    calling_hours_start = models.TimeField(
        default=DEFAULT_HOURS[0],
        blank=True,
        help_text="Outbound calls from this number start no earlier than this, in the callee's time zone.",
    )
    calling_hours_end = models.TimeField(
        default=DEFAULT_HOURS[1],
        blank=True,
        help_text="…and end before this (callee's time zone); calls due outside wait for the next window. "
        "The same start and end: any time.",
    )

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number} {self.label}".strip()

    def clean(self) -> None:
        # Calling hours left empty in a form are the defaults, not "none".
        if self.calling_hours_start is None:
            self.calling_hours_start = DEFAULT_HOURS[0]
        if self.calling_hours_end is None:
            self.calling_hours_end = DEFAULT_HOURS[1]


class CallerGroup(models.Model):
    """A set of callers treated alike (for example primary and secondary contacts)."""

    name = models.CharField(max_length=60, unique=True)
    description = models.CharField(max_length=200, blank=True)
    notify_emails = models.TextField(
        blank=True,
        validators=[validate_email_list],
        help_text="Comma-separated addresses that also get the summary of calls from this group.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CallerStatus(models.TextChoices):
    ALLOWED = "allowed", "Allowed"
    BLOCKED = "blocked", "Blocked"


class Caller(models.Model):
    """Someone who phones in; allowlisted numbers reach agents whose number requires it."""

    number = E164Field(unique=True, help_text="The number they call from, in international form: +15550100001.")
    name = models.CharField(
        max_length=100, blank=True, help_text="Told to the agent; the first word fills {first_name} in greetings."
    )
    group = models.ForeignKey(
        CallerGroup,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="callers",
        help_text="Picks the agent's greeting for this group, if it has one.",
    )
    email = models.EmailField(blank=True)
    language = models.CharField(
        max_length=10, blank=True, help_text="ISO-639-1 code; overrides the agent's transcription language."
    )
    notes = models.TextField(blank=True, help_text="Given to the agent at the start of each call.")
    status = models.CharField(
        max_length=10,
        choices=CallerStatus.choices,
        default=CallerStatus.ALLOWED,
        help_text="Blocked callers are refused on every number.",
    )
    max_calls_per_day = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Calls this caller may make in any 24 hours, on all numbers; more are refused politely. "
        "Empty: no limit.",
    )
    do_not_call = models.BooleanField(
        "do not call",
        default=False,
        help_text="Never called by an agent: every outbound call, schedule and campaign skips this number.",
    )

    class Meta:
        ordering = ["name", "number"]

    def __str__(self) -> str:
        return self.name or self.number


class GroupGreeting(models.Model):
    """How an agent greets callers of one group, in place of its default greeting."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="group_greetings")
    group = models.ForeignKey(CallerGroup, on_delete=models.CASCADE, related_name="greetings")
    greeting = models.TextField(
        validators=[validate_greeting_template],
        help_text="Said to callers of this group; {first_name} is replaced by the caller's first name.",
    )

    class Meta:
        ordering = ["group__name"]
        constraints = [models.UniqueConstraint(fields=["agent", "group"], name="group_greeting_unique_per_agent")]

    def __str__(self) -> str:
        return f"{self.agent} → {self.group}"
