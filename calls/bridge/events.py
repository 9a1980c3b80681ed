"""Typed, immutable events, parsed at the edge from the carrier's and the model's wire formats."""

from __future__ import annotations

from dataclasses import dataclass, fields


class ProtocolError(ValueError):
    """A message that cannot be a valid frame of its protocol (bad JSON, bad base64, too big)."""


# --- From the carrier (telephony side) -------------------------------------------------


@dataclass(frozen=True, slots=True)
class StreamStarted:
    """The carrier's `start`: the stream's id, and the carrier's id of the call it belongs to.

    The parameters the answer may attach (TwiML `<Parameter>`s, Plivo `extraHeaders`) are not
    carried: we send none, since the stream URL already names the call and its one-time token.
    """

    stream_id: str
    call_id: str


@dataclass(frozen=True, slots=True)
class CallerAudio:
    """One frame of the caller's µ-law audio, still base64 as it arrived: it is forwarded untouched."""

    payload: str
    size: int  # bytes of µ-law, known to the parser once it has validated the base64
    stream_id: str = ""


@dataclass(frozen=True, slots=True)
class PlaybackMarked:
    """The carrier played everything queued before the mark named `name` (or cleared it)."""

    name: str


@dataclass(frozen=True, slots=True)
class DigitPressed:
    digit: str


@dataclass(frozen=True, slots=True)
class StreamStopped:
    pass


TelephonyEvent = StreamStarted | CallerAudio | PlaybackMarked | DigitPressed | StreamStopped


# --- From the model ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ModelReady:
    """The model session exists (`session.created`)."""


@dataclass(frozen=True, slots=True)
class TranscriptionUsage:
    """What transcribing the caller used (`usage` of a transcription's completed event):
    tokens for the gpt-4o transcribe models, seconds for whisper-1."""

    input_text: int = 0
    input_audio: int = 0
    output_text: int = 0
    seconds: float = 0.0

    def __add__(self, other: TranscriptionUsage) -> TranscriptionUsage:
        return TranscriptionUsage(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


@dataclass(frozen=True, slots=True)
class CallerSpeechStarted:
    item_id: str


@dataclass(frozen=True, slots=True)
class CallerTranscribed:
    item_id: str
    text: str
    usage: TranscriptionUsage = TranscriptionUsage()


@dataclass(frozen=True, slots=True)
class CallerTranscriptionFailed:
    item_id: str
    message: str


@dataclass(frozen=True, slots=True)
class ResponseStarted:
    response_id: str


@dataclass(frozen=True, slots=True)
class AgentAudio:
    """A chunk of the agent's µ-law voice; `size` is its length in bytes (derived from the base64)."""

    response_id: str
    item_id: str
    payload: str
    size: int
    content_index: int = 0


@dataclass(frozen=True, slots=True)
class AgentTranscriptDelta:
    response_id: str
    item_id: str
    text: str


@dataclass(frozen=True, slots=True)
class AgentTranscriptDone:
    response_id: str
    item_id: str
    text: str


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens one response (or, summed, a call) used, split as `response.done` reports them.

    The cached counts are part of the input counts (a subset, billed at the cached rate).
    """

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    input_text: int = 0
    input_audio: int = 0
    cached_text: int = 0
    cached_audio: int = 0
    output_text: int = 0
    output_audio: int = 0
    responses: int = 0  # how many responses reported usage

    def __add__(self, other: Usage) -> Usage:
        return Usage(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(Usage)))


@dataclass(frozen=True, slots=True)
class ResponseFinished:
    response_id: str
    status: str
    usage: Usage = Usage()


@dataclass(frozen=True, slots=True)
class FunctionCallRequested:
    response_id: str
    item_id: str
    call_id: str
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class ModelFailed:
    """An `error` event. `fatal` errors end the call; others are recorded and the call goes on."""

    code: str
    message: str
    fatal: bool = False


ModelEvent = (
    ModelReady
    | CallerSpeechStarted
    | CallerTranscribed
    | CallerTranscriptionFailed
    | ResponseStarted
    | AgentAudio
    | AgentTranscriptDelta
    | AgentTranscriptDone
    | ResponseFinished
    | FunctionCallRequested
    | ModelFailed
)
