"""Live view plumbing over the channel layer: what the bridge publishes, and staff hang-ups.

Group names and message shapes are the contract between the bridge (which publishes and
listens) and the staff live page (which subscribes and commands):

- ``LIVE_GROUP`` ("calls.live") receives ``{"type": "live.call", "call_sid", "state":
  "started" | "ending" | "ended", "reason"}`` ("ending": we hang up, the goodbye is playing;
  "ended" always follows, though a page may see the two in either order) and
  ``{"type": "live.transcript", "call_sid", "entry": {key, order, role, text, full_text,
  interrupted, heard_ms, offset_ms}}``.
- ``call_group(call_sid)`` is joined by the consumer that holds that call; a
  ``{"type": "call.hangup", "by": "<username>"}`` sent to it ends the call politely, from any
  process (with channels-redis).

Publishing never blocks or breaks a call: a failed send (Redis down) is logged and dropped.

A process's calls take turns at the channel layer, a few at a time (`layer_turn`): channels-redis
opens a new connection for every send in flight beyond those idle in its pool, at about 2 ms of
the event loop's CPU each, so fifty calls ending together opened 48, in the second their audio
could least spare it. Fifty publishing at once on a fresh layer took 93 ms of the loop's CPU;
taking turns, 26 ms and 3 connections (README, *Benchmark*, 2026-12-02).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import weakref
from typing import Any

from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

LIVE_GROUP = "calls.live"
PUBLISH_TIMEOUT_S = 1.0  # waiting for a turn included
LAYER_TURNS = 4  # channel-layer calls in flight at once, per event loop
_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


def layer_turn() -> asyncio.Semaphore:
    """`async with layer_turn():` around a channel-layer call: at most LAYER_TURNS at once, first come first served."""
    loop = asyncio.get_running_loop()
    turn = _turns.get(loop)
    if turn is None:
        turn = _turns[loop] = asyncio.Semaphore(LAYER_TURNS)
    return turn


def call_group(call_sid: str) -> str:
    return f"call.{call_sid}"[:99]


def transcript_message(call_sid: str, entry: Any) -> dict[str, Any]:
    return {"type": "live.transcript", "call_sid": call_sid, "entry": dataclasses.asdict(entry)}


def call_state_message(call_sid: str, state: str, reason: str = "") -> dict[str, Any]:
    return {"type": "live.call", "call_sid": call_sid, "state": state, "reason": reason}


class LivePublisher:
    """Fire-and-forget group sends for one call; never awaited on the audio path."""

    def __init__(self) -> None:
        self._layer = get_channel_layer()
        self._tasks: set[asyncio.Task[None]] = set()

    def publish(self, message: dict[str, Any], group: str = LIVE_GROUP) -> None:
        if self._layer is None:
            return
        task = asyncio.ensure_future(self._send(group, message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, group: str, message: dict[str, Any]) -> None:
        try:
            await asyncio.wait_for(self._send_in_turn(group, message), PUBLISH_TIMEOUT_S)
        except Exception as exc:  # the live view is optional; the call is not
            logger.warning("live publish to %s failed: %s", group, type(exc).__name__)

    async def _send_in_turn(self, group: str, message: dict[str, Any]) -> None:
        async with layer_turn():
            await self._layer.group_send(group, message)

    async def flush(self) -> None:
        """Wait for pending sends (bounded by their timeout)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
