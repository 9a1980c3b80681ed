"""Small pure helpers for Realtime GA wire objects: ids, session defaults, log lines."""

from __future__ import annotations

import copy
import uuid
from typing import Any

__all__ = ["Event", "default_session", "describe", "dig", "merge", "new_id"]

#: A decoded JSON event (client or server), as on the wire.
Event = dict[str, Any]


def new_id(prefix: str) -> str:
    """A unique id shaped like OpenAI's (``event_…``, ``item_…``, ``resp_…``)."""
    return f"{prefix}_{uuid.uuid4().hex[:22]}"


def default_session(model: str | None, silence_ms: int) -> Event:
    """The session object of ``session.created``: µ-law both ways, server VAD on.

    Transcription is configured by default so caller turns get a transcript (the
    bridge logs them); a ``session.update`` with ``"transcription": null`` turns
    it off, as on the real service.
    """
    return {
        "object": "realtime.session",
        "id": new_id("sess"),
        "type": "realtime",
        "model": model or "gpt-realtime",
        "output_modalities": ["audio"],
        "instructions": "",
        "tools": [],
        "tool_choice": "auto",
        "audio": {
            "input": {
                "format": {"type": "audio/pcmu"},
                "transcription": {"model": "gpt-4o-transcribe"},
                "noise_reduction": None,
                "turn_detection": {
                    "type": "server_vad",
                    "threshold": 0.5,
                    "prefix_padding_ms": 300,
                    "silence_duration_ms": silence_ms,
                    "create_response": True,
                    "interrupt_response": True,
                },
            },
            "output": {
                "format": {"type": "audio/pcmu"},
                "voice": "alloy",
                "speed": 1.0,
            },
        },
    }


def merge(target: Event, update: Event) -> None:
    """Deep-merge a partial ``session`` update into ``target`` in place.

    Objects merge key by key (``session.update`` sends only what changes); any
    other value, ``null`` included, replaces. Values are copied so the recorded
    update and the live session never alias.
    """
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


def dig(obj: Any, *keys: str) -> Any:
    """``obj[k1][k2]…`` or None when a level is missing or not an object."""
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def describe(event: Event) -> str:
    """One short log line: the type, ids, and the one detail that matters."""
    kind = str(event.get("type"))
    bits = [kind, *(str(event[k]) for k in ("response_id", "item_id") if k in event)]
    payload = event.get("audio") if kind.endswith("append") else event.get("delta")
    if kind.endswith(("append", "audio.delta")) and isinstance(payload, str):
        # Decoded size without decoding: 3 bytes per 4 characters, minus padding.
        bits.append(f"{len(payload) * 3 // 4 - payload.count('=')}B")
    elif kind.endswith("transcript.delta") or "transcript" in event:
        bits.append(repr(event.get("delta", event.get("transcript"))))
    elif kind == "error":
        bits += [str(dig(event, "error", "code")), str(dig(event, "error", "message"))]
    elif isinstance(event.get("response"), dict):
        bits += [
            str(dig(event, "response", "id")),
            str(dig(event, "response", "status")),
        ]
    elif isinstance(event.get("item"), dict):
        item = event["item"]
        bits += [str(item.get("id")), str(item.get("role") or item.get("type"))]
    bits += [f"{event[k]}ms" for k in ("audio_start_ms", "audio_end_ms") if k in event]
    return " ".join(bits)
