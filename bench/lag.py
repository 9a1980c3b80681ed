"""How late an event loop runs its callbacks: the benchmark watches its own processes with it.

A latency measured between two processes includes any stall of either one. The load generator
and the stand-in each run this, so a late frame can be pinned on them or, by elimination, on
the server.
"""

from __future__ import annotations

import asyncio
import time

TICK_S = 0.005


class LoopLag:
    def __init__(self) -> None:
        self.stalls: list[tuple[float, float]] = []  # (monotonic time, ms late) for each tick > 5 ms late
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._watch())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def worst_between(self, start: float, end: float) -> float:
        return max((ms for t, ms in self.stalls if start <= t <= end), default=0.0)

    async def _watch(self) -> None:
        while True:
            due = time.monotonic() + TICK_S
            await asyncio.sleep(TICK_S)
            late_ms = (time.monotonic() - due) * 1000
            if late_ms > 5:
                self.stalls.append((time.monotonic(), late_ms))
