"""The OpenAI Realtime API (GA) event format. Older beta names are accepted on input."""

from __future__ import annotations

import json
from typing import Any

import orjson

from .actions import (
    AddCallerNote,
    AppendCallerAudio,
    CancelResponse,
    ConfigureSession,
    ModelAction,
    RequestResponse,
    SubmitToolResult,
    TruncateAgentAudio,
    UpdateNoiseReduction,
)
from .config import SessionConfig
from .events import (
    AgentAudio,
    AgentTranscriptDelta,
    AgentTranscriptDone,
    CallerSpeechStarted,
    CallerTranscribed,
    CallerTranscriptionFailed,
    FunctionCallRequested,
    ModelEvent,
    ModelFailed,
    ModelReady,
    ResponseFinished,
    ResponseStarted,
    TranscriptionUsage,
    Usage,
)
from .playback import base64_size

# Errors after which the session cannot go on; the rest concern one client event.
FATAL_ERROR_CODES = frozenset({"session_expired", "invalid_api_key", "insufficient_quota"})


def session_update(config: SessionConfig) -> dict[str, Any]:
    """The GA `session.update` for `config`: µ-law in and out, so audio passes untouched."""
    turns = config.turn_taking
    if turns.kind == "semantic_vad":
        turn_detection: dict[str, Any] = {"type": "semantic_vad", "eagerness": turns.eagerness}
    else:
        turn_detection = {
            "type": "server_vad",
            "threshold": turns.threshold,
            "prefix_padding_ms": turns.prefix_padding_ms,
            "silence_duration_ms": turns.silence_duration_ms,
        }
    transcription: dict[str, Any] = {"model": config.transcription_model}
    if config.transcription_language:
        transcription["language"] = config.transcription_language
    session: dict[str, Any] = {
        "type": "realtime",
        "model": config.model,
        "output_modalities": ["audio"],
        "instructions": config.instructions,
        "audio": {
            "input": {
                "format": {"type": "audio/pcmu"},
                "turn_detection": turn_detection,
                "noise_reduction": {"type": config.noise_reduction} if config.noise_reduction else None,
                "transcription": transcription,
            },
            "output": {"format": {"type": "audio/pcmu"}, "voice": config.voice},
        },
    }
    if config.tools:
        session["tools"] = [
            {"type": "function", "name": t.name, "description": t.description, "parameters": t.parameters}
            for t in config.tools
        ]
        session["tool_choice"] = "auto"
    return {"type": "session.update", "session": session}


class OpenAIRealtimeWire:
    name = "openai"

    def parse(self, text: str) -> ModelEvent | None:
        try:
            message = orjson.loads(text)
            return self._event(message.get("type", ""), message)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            return ModelFailed("unparseable_event", f"{type(exc).__name__} in a server event")

    def _event(self, kind: str, m: dict[str, Any]) -> ModelEvent | None:
        match kind:
            case "response.output_audio.delta" | "response.audio.delta":
                delta = _text(m, "delta")
                return AgentAudio(
                    _text(m, "response_id"), _text(m, "item_id"), delta, base64_size(delta), m.get("content_index", 0)
                )
            case "response.output_audio_transcript.delta" | "response.audio_transcript.delta":
                return AgentTranscriptDelta(_text(m, "response_id"), _text(m, "item_id"), _text(m, "delta"))
            case "response.output_audio_transcript.done" | "response.audio_transcript.done":
                return AgentTranscriptDone(_text(m, "response_id"), _text(m, "item_id"), _text(m, "transcript", ""))
            case "input_audio_buffer.speech_started":
                return CallerSpeechStarted(_text(m, "item_id"))
            case "conversation.item.input_audio_transcription.completed":
                return CallerTranscribed(
                    _text(m, "item_id"), _text(m, "transcript", ""), _transcription_usage(m.get("usage"))
                )
            case "conversation.item.input_audio_transcription.failed":
                return CallerTranscriptionFailed(_text(m, "item_id"), str((m.get("error") or {}).get("message", "")))
            case "response.created":
                return ResponseStarted(_text(m["response"], "id"))
            case "response.done":
                response = m["response"]
                return ResponseFinished(
                    _text(response, "id"), _text(response, "status", ""), _usage(response.get("usage"))
                )
            case "response.function_call_arguments.done":
                return FunctionCallRequested(
                    _text(m, "response_id", ""),
                    _text(m, "item_id", ""),
                    _text(m, "call_id"),
                    _text(m, "name", ""),
                    _text(m, "arguments"),
                )
            case "session.created":
                return ModelReady()
            case "error":
                error = m.get("error") or {}
                code = str(error.get("code") or error.get("type") or "error")
                fatal = code in FATAL_ERROR_CODES or error.get("type") == "authentication_error"
                return ModelFailed(code, str(error.get("message", ""))[:300], fatal)
        return None

    def encode(self, action: ModelAction) -> str:
        match action:
            case AppendCallerAudio(payload=payload):
                # The caller's base64 passes through as it came; no JSON escaping is needed.
                return f'{{"type":"input_audio_buffer.append","audio":"{payload}"}}'
            case ConfigureSession(config=config):
                return json.dumps(session_update(config))
            case RequestResponse(instructions=None):
                return '{"type":"response.create"}'
            case RequestResponse(instructions=instructions):
                return json.dumps({"type": "response.create", "response": {"instructions": instructions}})
            case CancelResponse():
                return '{"type":"response.cancel"}'
            case TruncateAgentAudio(item_id=item_id, content_index=index, audio_end_ms=end):
                return json.dumps(
                    {
                        "type": "conversation.item.truncate",
                        "item_id": item_id,
                        "content_index": index,
                        "audio_end_ms": end,
                    }
                )
            case AddCallerNote(text=text):
                item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
                return json.dumps({"type": "conversation.item.create", "item": item})
            case UpdateNoiseReduction(kind=kind):
                audio = {"input": {"noise_reduction": {"type": kind}}}
                return json.dumps({"type": "session.update", "session": {"type": "realtime", "audio": audio}})
            case SubmitToolResult(call_id=call_id, output=output):
                item = {"type": "function_call_output", "call_id": call_id, "output": output}
                return json.dumps({"type": "conversation.item.create", "item": item})
        raise TypeError(f"the realtime API cannot carry {type(action).__name__}")


def _text(message: dict[str, Any], key: str, default: str | None = None) -> str:
    """A string field: an id of another type would break the session's bookkeeping later, far from here."""
    value = message[key] if default is None else message.get(key, default)
    if not isinstance(value, str):
        raise TypeError(f"{key} is not a string")
    return value


def _count(raw: Any, *path: str) -> int:
    """A token count deep in a usage block; absent or malformed counts are 0."""
    for key in path:
        raw = raw.get(key) if isinstance(raw, dict) else None
    return raw if isinstance(raw, int) and raw >= 0 else 0


def _usage(raw: dict[str, Any] | None) -> Usage:
    """`response.done`'s usage: totals, and input (text, audio, cached of each) and output (text, audio)."""
    if not isinstance(raw, dict):
        return Usage()
    cached_split = ("input_token_details", "cached_tokens_details")
    return Usage(
        input_tokens=_count(raw, "input_tokens"),
        output_tokens=_count(raw, "output_tokens"),
        total_tokens=_count(raw, "total_tokens"),
        input_text=_count(raw, "input_token_details", "text_tokens"),
        input_audio=_count(raw, "input_token_details", "audio_tokens"),
        cached_text=_count(raw, *cached_split, "text_tokens"),
        cached_audio=_count(raw, *cached_split, "audio_tokens"),
        output_text=_count(raw, "output_token_details", "text_tokens"),
        output_audio=_count(raw, "output_token_details", "audio_tokens"),
        responses=1,
    )


def _transcription_usage(raw: Any) -> TranscriptionUsage:
    """Tokens (`"type": "tokens"`, the gpt-4o transcribe models) or seconds (`"duration"`, whisper-1)."""
    if not isinstance(raw, dict):
        return TranscriptionUsage()
    seconds = raw.get("seconds")
    return TranscriptionUsage(
        input_text=_count(raw, "input_token_details", "text_tokens"),
        input_audio=_count(raw, "input_token_details", "audio_tokens"),
        output_text=_count(raw, "output_tokens"),
        seconds=float(seconds) if isinstance(seconds, int | float) and seconds >= 0 else 0.0,
    )
