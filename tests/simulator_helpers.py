"""Shared by the simulator's tests (Twilio's and Plivo's dialects): µ-law test audio, and the
recording half of a fake server's end of one stream."""

from __future__ import annotations

import asyncio
import base64
import json
import math
from collections.abc import Callable
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from calls.simulator import CallResult, ClearRecord

SILENCE = b"\xff"
TIMEOUT_S = 10


def ulaw(sample: int) -> int:
    """G.711 µ-law encoding of one 16-bit linear sample."""
    sign = 0x80 if sample < 0 else 0
    magnitude = min(abs(sample), 32635) + 0x84
    exponent = 7
    while exponent > 0 and not magnitude & (0x4000 >> (7 - exponent)):
        exponent -= 1
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | exponent << 4 | mantissa) & 0xFF


def tone(n_bytes: int, hz: float = 400.0) -> bytes:
    """A loud sine as 8 kHz µ-law."""
    return bytes(ulaw(int(12000 * math.sin(2 * math.pi * hz * i / 8000))) for i in range(n_bytes))


def is_loud(payload: bytes) -> bool:
    return any(byte != 0xFF for byte in payload)


def payload(message: dict[str, Any]) -> bytes:
    """The audio of a caller ``media`` message (Twilio's and Plivo's have the same ``media.payload``)."""
    return base64.b64decode(message["media"]["payload"])


def loud(message: dict[str, Any]) -> bool:
    return is_loud(payload(message))


class StreamRecorder:
    """The server side of one stream: every message the simulated carrier sent, awaitable in order."""

    def __init__(self, ws: ServerConnection) -> None:
        self.ws = ws
        self.received: list[dict[str, Any]] = []
        self._inbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()

    async def read_all(self) -> None:
        try:
            async for raw in self.ws:
                message = json.loads(raw)
                self.received.append(message)
                self._inbox.put_nowait(message)
        except ConnectionClosed:
            pass
        finally:
            self._inbox.put_nowait(None)

    async def next(self, event: str, where: Callable[[dict[str, Any]], bool] = lambda _: True) -> dict[str, Any]:
        """The next message of this kind (earlier ones stay in ``received``)."""
        while (message := await self._inbox.get()) is not None:
            if message["event"] == event and where(message):
                return message
        raise AssertionError(f"stream ended while waiting for {event}")

    def events(self, event: str) -> list[dict[str, Any]]:
        return [message for message in self.received if message["event"] == event]


# --- what every carrier's barge-in must look like to the caller -------------------------


def assert_cleared_mid_answer(result: CallResult, *, answer: bytes, first_mark_bytes: int, stale: bytes) -> ClearRecord:
    """One clear while ``answer`` played, after its first mark; ``stale`` audio came after it."""
    (clear,) = result.clears
    assert clear.was_playing
    assert first_mark_bytes <= clear.played_bytes_total < len(answer)
    assert clear.played_bytes_total + clear.dropped_bytes == len(answer)
    assert clear.played_in_run == clear.played_since_last_clear == clear.played_bytes_total
    assert result.played_ms_at_clear == [clear.played_bytes_total // 8]
    assert clear.received_after_bytes == len(stale) and result.audio_after_clear == [len(stale)]
    assert bytes(result.played) == answer[: clear.played_bytes_total] + stale
    assert [s.cleared for s in result.segments] == [True, False]
    assert result.ended_by == "answered"
    return clear


def assert_barged_in(result: CallResult, *, after_ms: int, greeting_bytes: int) -> ClearRecord:
    """The caller talked over the greeting ``after_ms`` after it started; the server cleared it."""
    greeting = result.segments[0]
    assert result.utterance_started_ms == greeting.start_ms + after_ms
    (clear,) = result.clears
    # The first loud frame left once after_ms + 20 ms of greeting had played.
    heard_ms = after_ms + 20
    assert clear.was_playing and heard_ms * 8 <= clear.played_in_run < greeting_bytes
    assert clear.played_ms_at_clear == clear.played_in_run // 8 >= heard_ms
    assert greeting.cleared and greeting.played_bytes == clear.played_in_run
    return clear
