"""The realtime stand-in in a process of its own, for the benchmark.

In the load generator's process the stand-in's receive times would wait behind the
clients' sends and count as latency added by the bridge. Here it has an event loop to
itself. CLOCK_MONOTONIC is system-wide on Linux, so its times compare with the clients'.

The text API (the post-call summaries) runs in a process of its own too (`--text-api`), so the
summaries of calls that hung up never share this loop with the sessions still talking. (With
both in one process the stand-in's own loop stalled by up to 246 ms in the hang-up seconds, and
its late receive times counted as the bridge's latency; with this split and `gc.freeze()` its
worst stall in the runs of 2026-12-01 was 9-26 ms. Which of the two changes did it was not
measured apart.)

Driven over stdin/stdout, one JSON line each way:
  → {"port": P}  (with --text-api: {"text_port": T})  once listening
  ← "collect"  → {"sessions": [{"instructions": …, "timings": {…}}, …], "stalls": [[t, ms], …]}
                 once every session has closed; stalls are this loop's (bench/lag.py)
  ← "quit"
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.lag import LoopLag
from calls.standin import RealtimeStandin, StandinOptions
from calls.standin.text_api import TextApiStandin

CLOSE_WAIT_S = 15.0  # the bridge forwards a call's last frames after its client hangs up


async def collect(standin: RealtimeStandin, lag: LoopLag) -> dict:
    closing = [session.closed.wait() for session in standin.sessions]
    await asyncio.wait_for(asyncio.gather(*closing), CLOSE_WAIT_S)
    sessions = []
    for session in standin.sessions:
        first_update = session.session_updates[0] if session.session_updates else {}
        sessions.append({"instructions": first_update.get("instructions", ""), "timings": dict(session.timings)})
    standin.sessions.clear()
    stalls, lag.stalls = lag.stalls, []
    return {"sessions": sessions, "stalls": stalls}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunk-ms", type=int, default=20)
    parser.add_argument("--pace", type=float, default=0.02, help="seconds between deltas; 0 sends in bursts")
    parser.add_argument("--text-api", action="store_true", help="serve the text API (post-call summaries) only")
    args = parser.parse_args()
    loop = asyncio.get_running_loop()
    if args.text_api:  # answers the post-call summaries, as in `make demo`
        async with TextApiStandin() as text_api:
            print(json.dumps({"text_port": text_api.port}), flush=True)
            while (await loop.run_in_executor(None, sys.stdin.readline)).strip() not in ("quit", ""):
                pass
        return
    options = StandinOptions(chunk_ms=args.chunk_ms, pace=args.pace, record_timings=True)
    lag = LoopLag()
    gc.freeze()  # what start-up loaded is never garbage: no full collection walks it during a level
    lag.start()
    async with RealtimeStandin(port=0, options=options) as standin:
        print(json.dumps({"port": standin.port}), flush=True)
        while (command := (await loop.run_in_executor(None, sys.stdin.readline)).strip()) not in ("quit", ""):
            if command == "collect":
                print(json.dumps(await collect(standin, lag)), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
