"""Typed, immutable events, parsed at the edge from the carrier's and the model's wire formats."""

from __future__ import annotations

from dataclasses import dataclass


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
class CallerSpeechStarted:
    item_id: str


@dataclass(frozen=True, slots=True)
class CallerTranscribed:
    item_id: str
    text: str


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
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.total_tokens + other.total_tokens,
        )


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
