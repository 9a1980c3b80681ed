"""What a `CallSession` asks its adapters to do. Plain data: the adapters own all I/O."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .config import SessionConfig


class EndReason(enum.StrEnum):
    """Why a call ended. Stored on the Call; the labels are shown to staff."""

    CALLER_HUNG_UP = "caller_hung_up"
    CARRIER_DISCONNECTED = "carrier_disconnected"
    AGENT_ENDED = "agent_ended"
    STAFF_ENDED = "staff_ended"
    MAX_DURATION = "max_duration"
    MODEL_UNAVAILABLE = "model_unavailable"
    MODEL_ERROR = "model_error"
    MODEL_CLOSED = "model_closed"
    BAD_STREAM = "bad_stream"
    STREAM_REJECTED = "stream_rejected"
    TRANSFERRED = "transferred"
    SERVER_RESTART = "server_restart"
    NO_STREAM = "no_stream"  # answered by the webhook, but the media stream never started
    VOICEMAIL_LEFT = "voicemail_left"  # an outbound call reached a machine; the agent left its message
    # Refused at the webhook: the call never reached an agent.
    UNKNOWN_NUMBER = "unknown_number"
    AGENT_UNAVAILABLE = "agent_unavailable"
    CALLER_NOT_ALLOWED = "caller_not_allowed"
    CALLER_BLOCKED = "caller_blocked"
    NUMBER_BUSY = "number_busy"  # the number's calls-per-hour limit
    CALLER_LIMIT = "caller_limit"  # the caller's calls-per-day limit

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Farewell(enum.StrEnum):
    """Pre-rendered clips the caller hears before the line closes."""

    APOLOGY = "apology"
    GOODBYE = "goodbye"


# --- To the caller ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlayAudio:
    payload: str


@dataclass(frozen=True, slots=True)
class PlaceMark:
    name: str


@dataclass(frozen=True, slots=True)
class ClearPlayback:
    """Drop everything queued for playback at the carrier, at once."""


@dataclass(frozen=True, slots=True)
class PlayFarewell:
    """Play a shipped clip, then place `mark`; its echo means the caller heard it all."""

    clip: Farewell
    mark: str


# --- To the model -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConfigureSession:
    config: SessionConfig


@dataclass(frozen=True, slots=True)
class AppendCallerAudio:
    payload: str


@dataclass(frozen=True, slots=True)
class RequestResponse:
    instructions: str | None = None


@dataclass(frozen=True, slots=True)
class AddCallerNote:
    """A short text from the caller's side (a keypress, for instance)."""

    text: str


@dataclass(frozen=True, slots=True)
class CancelResponse:
    pass


@dataclass(frozen=True, slots=True)
class TruncateAgentAudio:
    item_id: str
    content_index: int
    audio_end_ms: int


@dataclass(frozen=True, slots=True)
class UpdateNoiseReduction:
    """A partial session update: only the input's noise reduction changes."""

    kind: str


@dataclass(frozen=True, slots=True)
class SubmitToolResult:
    call_id: str
    output: str


# --- To the application -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TranscriptEntry:
    """A turn to store, keyed by `key` (the provider's item id): saving twice updates it."""

    key: str
    order: int
    role: str
    text: str
    offset_ms: int
    full_text: str = ""
    interrupted: bool = False
    heard_ms: int | None = None


@dataclass(frozen=True, slots=True)
class SaveTranscript:
    entry: TranscriptEntry


@dataclass(frozen=True, slots=True)
class RunTool:
    call_id: str
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class AmendToolCall:
    """A tool call's stored outcome changed after it ran (a transfer the carrier refused)."""

    call_id: str
    output: str
    error: str


@dataclass(frozen=True, slots=True)
class Record:
    """Something worth an audit line (`kind` as in CallEvent), not a reason to end the call."""

    kind: str
    detail: str


@dataclass(frozen=True, slots=True)
class HangUp:
    """Ask the carrier to end the call (REST), before the sockets close."""


@dataclass(frozen=True, slots=True)
class TransferCall:
    """Ask the carrier to move the call to `target`; its stream then ends.

    The adapter reports the carrier's answer to `CallSession.transfer_result`: the tool call
    `tool_call_id` gets its output only then, so a refused transfer reaches the model as an error.
    """

    target: str
    tool_call_id: str = ""


@dataclass(frozen=True, slots=True)
class EndCall:
    """Close both sides now and finalise the call."""

    reason: EndReason
    detail: str = ""


CallerAction = PlayAudio | PlaceMark | ClearPlayback | PlayFarewell
ModelAction = (
    ConfigureSession
    | AppendCallerAudio
    | RequestResponse
    | AddCallerNote
    | CancelResponse
    | TruncateAgentAudio
    | SubmitToolResult
    | UpdateNoiseReduction
)
CarrierControl = HangUp | TransferCall
Action = CallerAction | ModelAction | CarrierControl | SaveTranscript | RunTool | AmendToolCall | Record | EndCall
