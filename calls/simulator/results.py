"""What a simulated call observed, for tests and the ``simulate_call`` command to read."""

from __future__ import annotations

from dataclasses import dataclass, field

from calls.simulator.playback import BYTES_PER_MS, Segment

CLEAR_WINDOW_MS = 200  # audio arriving this soon after a clear is stale audio


@dataclass
class ClearRecord:
    """One clear (``clear``, ``clearAudio``) from the server and what the caller had heard then.

    - ``played_bytes_total``: agent audio played since the stream started.
    - ``played_since_last_clear``: played between the previous clear (or stream start)
      and this one: the simplest faithful "how much of the interrupted answer was heard"
      when each answer follows a clear or the start.
    - ``played_in_run``: played since playback last started from an empty queue: "how
      much of the item being played was heard", provided the server sent that item faster
      than real time (an underrun mid-item starts a new run). Stale after playback went
      idle: check ``was_playing``.
    - ``received_after_bytes``: outbound media bytes received after this clear and
      before the next one; ``received_within_window_bytes``: of those, received within
      ``CLEAR_WINDOW_MS``, i.e. stale audio a correct bridge never sends.
    - ``marks_echoed``: pending marks the clear answered at once (Twilio);
      ``marks_dropped``: pending checkpoints it dropped unanswered (Plivo).
    """

    at_ms: int
    played_bytes_total: int
    played_since_last_clear: int
    played_in_run: int
    was_playing: bool
    dropped_bytes: int
    marks_echoed: list[str]
    received_after_bytes: int = 0
    received_within_window_bytes: int = 0
    marks_dropped: list[str] = field(default_factory=list)

    @property
    def played_ms_at_clear(self) -> int:
        """``played_in_run`` in ms: compare with the bridge's truncate ``audio_end_ms``."""
        return self.played_in_run // BYTES_PER_MS

    @property
    def played_ms_since_last_clear(self) -> int:
        """``played_since_last_clear`` in ms."""
        return self.played_since_last_clear // BYTES_PER_MS


@dataclass(frozen=True)
class MarkEcho:
    """A mark sent back to the server, with how much had been played at that moment."""

    name: str
    at_ms: int
    played_bytes: int
    by_clear: bool


@dataclass
class CallResult:
    """Everything one simulated call saw. Times are ms after the ``start`` message.

    ``call_sid`` is the carrier's call id (Twilio's CallSid, Plivo's CallUUID), ``stream_sid``
    its stream id. ``ended_by`` is one of ``"refused"`` (non-200 webhook or no stream in the
    answer), ``"handshake_failed"``, ``"answered"``, ``"hangup_after_ms"``, ``"held"``, ``"max_call_ms"``,
    ``"server_closed"`` or ``"error"``. ``hangup_webhook_status`` is the server's answer to
    the webhook posted after the call (Plivo's hangup URL); ``None`` when none was posted.
    ``utterance_started_ms`` and ``utterance_ended_ms`` are the caller's first turn, ``turns_started_ms``
    and ``turns_ended_ms`` every turn's; ``utterance_bytes_sent`` holds every turn's audio.
    """

    call_sid: str
    carrier: str = "twilio"
    stream_sid: str = ""
    webhook_status: int | None = None
    webhook_body: str = ""
    refused: bool = False
    say_text: str | None = None
    stream_url: str | None = None
    custom_parameters: dict[str, str] = field(default_factory=dict)
    handshake_status: int | None = None
    caller_bytes_sent: bytearray = field(default_factory=bytearray)
    utterance_bytes_sent: bytearray = field(default_factory=bytearray)
    utterance_started_ms: int | None = None  # the first turn's
    utterance_ended_ms: int | None = None
    turns_started_ms: list[int] = field(default_factory=list)  # every caller turn's
    turns_ended_ms: list[int] = field(default_factory=list)
    media_frames_sent: int = 0
    dtmf_sent: list[str] = field(default_factory=list)
    played: bytearray = field(default_factory=bytearray)
    received_audio_bytes: int = 0
    unplayed_bytes: int = 0
    first_audio_ms: int | None = None
    marks_received: list[str] = field(default_factory=list)
    marks_echoed: list[str] = field(default_factory=list)
    mark_echoes: list[MarkEcho] = field(default_factory=list)
    clears: list[ClearRecord] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    stop_sent: bool = False
    closed_by_server: bool = False
    close_code: int | None = None
    close_reason: str = ""
    ended_by: str = ""
    duration_ms: int = 0
    hangup_webhook_status: int | None = None
    hangup_webhook_body: str = ""
    protocol_errors: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def played_ms_at_clear(self) -> list[int]:
        """For each clear, ms of the current run heard (see :class:`ClearRecord`)."""
        return [clear.played_ms_at_clear for clear in self.clears]

    @property
    def audio_after_clear(self) -> list[int]:
        """For each clear, media bytes received within ``CLEAR_WINDOW_MS`` after it."""
        return [clear.received_within_window_bytes for clear in self.clears]
