"""Benchmark: N concurrent calls through a real daphne, measured from both ends.

    .venv/bin/python bench/run.py --calls 1,10,50

Processes: one daphne serving the calls (or uvicorn, --server; SQLite, DEBUG off; with
redis-server installed also channels-redis, a Redis broker and a Celery worker for the post-call
work, as in production), the realtime stand-in and its text API (bench/standin_process.py, each
in a process of its own), and this one, the load generator: N lean Twilio-side clients
(bench/loadgen.py). Every client sends paced 20 ms frames for the whole call and speaks every
few seconds, over the agent if it is still talking (a barge-in); the stand-in answers in paced
20 ms deltas. All stamp events with CLOCK_MONOTONIC,
which is system-wide, so the latency the bridge adds is measured directly:

- up: a caller frame sent → the stand-in receiving it as input_audio_buffer.append
  (frames sent before the model session was configured are set-up, not counted here)
- model ready: the first caller frame sent → the stand-in receiving session.update
- first audio: the stream's `start` sent → the first agent audio received (the greeting)
- down: the stand-in sending an audio delta → the client receiving it as Twilio media
- barge-in: the stand-in sending speech_started → the client receiving clear
- steady: while every call of the level is connected; the whole run adds the level's calls
  arriving (within --stagger seconds) and hanging up (within the same spread)
- CPU: each process's user+system time as % of one core; the server's RSS sampled

--arrival burst places each level's calls within one second, --arrival rate R places R new calls a
second for --arrival-for seconds (each lasting --duration); both then report, for calls in
progress (each from its own model session's set-up on), the whole run's p99 and max and a row per
wall-clock second, so a stall shows where it happened (issue #17). --model-audio picks how the
stand-in speaks: paced 20 ms deltas, 100 ms deltas at 4x real time (as OpenAI sends them), or
100 ms deltas as fast as the socket takes them.

--floor serves bench/floor_app.py instead: the same traffic through the same daphne with no
product behind it, to show what the frameworks cost on their own.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import processes
from bench.arrival import Arrival
from bench.lag import LoopLag
from bench.loadgen import BenchCall, CallTiming
from bench.measure import (
    CpuSamples,
    LevelMeasure,
    descendants,
    measure,
    per_second,
    percentile,
    reference_cpu_ms,
    stalls_by_second,
    sum_cpu_seconds,
    sum_rss_mib,
    tree_cpu_seconds,
)
from calls.audio import load_clip


@dataclass
class Servers:
    daphne: subprocess.Popen
    standin: processes.StandinProcess
    port: int
    celery: subprocess.Popen | None
    server_pids: tuple[int, ...] = ()  # the server and its database worker processes (--db-processes)
    webhooks: subprocess.Popen | None = None  # --webhook-process: the server the webhooks are posted to
    webhook_url: str = ""  # its base URL ("": the webhooks go to the media server)


@dataclass
class LevelResult:
    calls: int
    measured: LevelMeasure
    steady: tuple[float, float]  # monotonic window in which every call was connected
    server_cpu_steady: float
    server_cpu_all: float
    fixed_cpu_steady: float  # the load generator's and the stand-in's, in the same window
    rss_peak: float
    others_cpu: dict[str, float]  # process name → % of a core over the level
    reference_ms: float  # the machine's speed just before the level (bench.measure.reference_cpu_ms)
    stalls: dict[str, float]  # process name → its worst event-loop stall, ms
    t0: float  # monotonic time the level began: per-second rows count from it
    placed: list[float]  # monotonic times the calls' webhooks were posted
    stall_times: dict[str, list[tuple[float, float]]]  # process name → (monotonic time, ms) of its stalls


async def wait_ready(port: int) -> None:
    for _ in range(400):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.05)  # polling a port that is not open yet: nothing to await
    raise RuntimeError("the server did not start")


async def run_level(n: int, args, servers: Servers) -> LevelResult:
    speech = load_clip("caller_question")
    base = f"http://127.0.0.1:{servers.port}"
    talk = {"speech": speech, "speak_at_s": 1.0, "speak_every_s": args.speak_every, "duration_s": args.duration}
    offsets = args.arrival.offsets(n)
    n = len(offsets)
    calls = [
        BenchCall(base, processes.TOKEN, f"+1555030{i:04d}", f"bench-{i:04d}", **talk, post_to=servers.webhook_url)
        for i in range(n)
    ]
    # The load generator's and the stand-in's work is nearly the same in every run of a command.
    fixed = {"load generator": CpuSamples("self"), "stand-in": CpuSamples(servers.standin.process.pid)}
    others = dict(fixed) | {"text API": CpuSamples(servers.standin.text_process.pid)}
    if servers.webhooks is not None:  # counted in the server's CPU too
        others["webhook server"] = CpuSamples(servers.webhooks.pid)
    if servers.celery is not None:  # its pool's children included; read at the ends only (a /proc scan)
        others["celery worker"] = CpuSamples(servers.celery.pid, tree_cpu_seconds)
    reference_ms = reference_cpu_ms()
    gc.freeze()  # the load generator's own start-up: no full collection walks it during the level
    rss_peak, samples, lag = 0.0, CpuSamples(servers.server_pids, sum_cpu_seconds), LoopLag()
    for meter in (samples, *others.values()):
        meter.take()
    lag.start()
    t0 = asyncio.get_running_loop().time()
    t0_monotonic = time.monotonic()

    async def staggered(i: int, call: BenchCall) -> CallTiming:
        await asyncio.sleep(max(0.0, t0 + offsets[i] - asyncio.get_running_loop().time()))
        return await call.run()

    tasks = [asyncio.create_task(staggered(i, c)) for i, c in enumerate(calls)]
    while not all(t.done() for t in tasks):
        rss_peak = max(rss_peak, sum_rss_mib(servers.server_pids))
        for meter in (samples, *fixed.values()):
            meter.take()
        await asyncio.wait(tasks, timeout=0.25)
    timings = [t.result() for t in tasks]
    # The bridge still forwards the last frames after a client hangs up: the stand-in
    # answers `collect` once every model session has closed.
    collected = await asyncio.to_thread(servers.standin.collect)
    lag.stop()
    for meter in (samples, *others.values()):
        meter.take()
    start, end = samples.points[0][0], samples.points[-1][0]
    streaming = [t.streaming for t in timings if t.streaming[0]]
    # Steady: from a second after the last call began streaming (its model session is set
    # up by then) to the first call's last frame.
    steady = (max(s[0] for s in streaming) + 1.0, min(s[1] for s in streaming)) if streaming else (0.0, 0.0)
    return LevelResult(
        calls=n,
        measured=measure(timings, collected["sessions"]),
        steady=steady,
        server_cpu_steady=samples.percent(*steady),
        server_cpu_all=samples.percent(start, end),
        fixed_cpu_steady=sum(meter.percent(*steady) for meter in fixed.values()),
        rss_peak=rss_peak,
        others_cpu={name: meter.overall() for name, meter in others.items()},
        reference_ms=reference_ms,
        stalls={
            "load generator": max((ms for _, ms in lag.stalls), default=0.0),
            "stand-in": max((ms for _, ms in collected["stalls"]), default=0.0),
        },
        t0=t0_monotonic,
        placed=[t.placed_at for t in timings],
        stall_times={"load generator": lag.stalls, "stand-in": [tuple(s) for s in collected["stalls"]]},
    )


def triple(values: list[float]) -> str:
    return " / ".join(f"{percentile(values, q):.1f}" for q in (50, 95, 99))


def report(results: list[LevelResult], idle_rss: float, args, shape: str) -> None:
    machine = platform.processor() or platform.machine()
    print(f"\nMachine: {machine}, {os.cpu_count()} cores, Python {platform.python_version()}; {shape}")
    arrival = args.arrival.describe(results[0].calls)
    print(f"{args.duration:g} s calls, {arrival}, caller speaks every {args.speak_every:g} s;")
    speed = args.chunk_ms / 1000 / args.pace if args.pace else 0
    pacing = f"at {speed:g}x real time" if args.pace else "sent in bursts"
    print(f"model audio in {args.chunk_ms} ms deltas {pacing}; server idle RSS {idle_rss:.1f} MiB\n")
    print(
        "| calls | up p50/p95/p99 ms, steady | down p50/p95/p99 ms, steady | up / down p99 ms, whole run "
        "| barge-in clear p50/p99 ms | model ready; first audio p50/p99 ms | frames up / down | dropped "
        "| server CPU % of a core, steady (per call) | server CPU %, whole run | server RSS peak MiB (per call) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        m, window = r.measured, r.steady
        barge = m.barge_in.all()
        print(
            f"| {r.calls} | {triple(m.up.within(*window))} | {triple(m.down.within(*window))} "
            f"| {percentile(m.up.all(), 99):.1f} / {percentile(m.down.all(), 99):.1f} "
            f"| {percentile(barge, 50):.1f} / {percentile(barge, 99):.1f} (n={len(barge)}) "
            f"| {percentile(m.model_ready, 50):.0f} / {percentile(m.model_ready, 99):.0f}; "
            f"{percentile(m.first_audio, 50):.0f} / {percentile(m.first_audio, 99):.0f} "
            f"| {len(m.up.samples)} / {len(m.down.samples)} | {m.dropped} "
            f"| {r.server_cpu_steady:.1f} ({r.server_cpu_steady / r.calls:.2f}) | {r.server_cpu_all:.1f} "
            f"| {r.rss_peak:.1f} ({(r.rss_peak - idle_rss) / r.calls:.2f}) |"
        )
    print()
    for r in results:
        others = ", ".join(f"{name} {cpu:.0f}%" for name, cpu in r.others_cpu.items())
        stalls = ", ".join(f"{name} {ms:.0f} ms" for name, ms in r.stalls.items())
        print(
            f"{r.calls} calls: {r.measured.errors} failed, {r.measured.unpaired} with frames dropped (not paired); "
            f"steady for {r.steady[1] - r.steady[0]:.1f} s; reference loop {r.reference_ms:.0f} ms of CPU; "
            f"other processes' CPU: {others}; their worst event-loop stall: {stalls}; "
            f"the load generator sent {r.measured.loadgen_late} frames >5 ms late; "
            f"server CPU relative to the load generator's and the stand-in's, steady: {relative_cpu(r):.2f}"
        )
    report_in_progress(results, per_seconds=args.arrival.pattern != "stagger" or args.per_second)


def worst(values: list[float]) -> str:
    return f"{percentile(values, 99):.1f} / {max(values, default=float('nan')):.1f}"


def report_in_progress(results: list[LevelResult], per_seconds: bool) -> None:
    """Calls in progress (each from its model session's set-up on): the whole run's p99 and max,
    then, for arrival patterns, the same per wall-clock second beside the calls arriving in it."""
    print("\nCalls in progress, whole run (each call from its own model session's set-up on):\n")
    print("| calls | up p99 / max ms | down p99 / max ms | barge-in clear p99 / max ms | frames up / down |")
    print("|---|---|---|---|---|")
    for r in results:
        m = r.measured
        print(
            f"| {r.calls} | {worst(m.up.all())} | {worst(m.down.all())} | {worst(m.barge_in.all())} "
            f"| {len(m.up.samples)} / {len(m.down.samples)} |"
        )
    if not per_seconds:
        return
    for r in results:
        print(f"\n{r.calls} calls, per wall-clock second since the first call was placed:\n")
        print(
            "| second | calls placed | up p99 / max ms | down p99 / max ms | frames up / down "
            "| worst stall ms: load generator / stand-in |"
        )
        print("|---|---|---|---|---|---|")
        generator, standin = (stalls_by_second(r.stall_times[name], r.t0) for name in ("load generator", "stand-in"))
        for row in per_second(r.measured.up, r.measured.down, r.placed, r.t0):
            print(
                f"| {row.second} | {row.arrived} | {worst(row.up)} | {worst(row.down)} "
                f"| {len(row.up)} / {len(row.down)} "
                f"| {generator.get(row.second, 0):.0f} / {standin.get(row.second, 0):.0f} |"
            )


def relative_cpu(r: LevelResult) -> float:
    """Server CPU while every call is connected ÷ the load generator's and the stand-in's in the same
    window. Their work is nearly the same in every run of one command, so this helps compare such
    runs on a machine whose speed drifts (README, *Benchmark*); not two different servers."""
    return r.server_cpu_steady / r.fixed_cpu_steady if r.fixed_cpu_steady else float("nan")


# --model-audio: (--chunk-ms, --pace)
MODEL_AUDIO = {"paced": (20, 0.02), "4x": (100, 0.025), "bursts": (100, 0.0)}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", default="1,10,50", help="comma-separated concurrency levels")
    parser.add_argument("--duration", type=float, default=25.0, help="seconds each call lasts")
    parser.add_argument("--stagger", type=float, default=5.0, help="seconds over which a level's calls start")
    parser.add_argument("--speak-every", type=float, default=5.0, help="seconds between the caller's questions")
    parser.add_argument(
        "--arrival",
        nargs="+",
        default=["stagger"],
        metavar="PATTERN",
        help="stagger (over --stagger s), burst (each level within 1 s) or rate R (R new calls a second)",
    )
    parser.add_argument("--arrival-for", type=float, default=30.0, help="seconds --arrival rate places calls for")
    parser.add_argument("--per-second", action="store_true", help="per-second rows for --arrival stagger too")
    parser.add_argument("--chunk-ms", type=int, default=20, help="audio per model delta")
    parser.add_argument("--pace", type=float, default=0.02, help="seconds between model deltas; 0: bursts")
    parser.add_argument(
        "--model-audio",
        choices=sorted(MODEL_AUDIO),
        help="sets --chunk-ms and --pace: paced 20 ms, 100 ms at 4x real time (OpenAI's), or as fast as possible",
    )
    parser.add_argument(
        "--no-recording", action="store_true", help="the seeded agent does not record (as the code before recordings)"
    )
    parser.add_argument(
        "--server", choices=sorted(processes.SERVERS), default="daphne", help="the ASGI server (README, Production)"
    )
    parser.add_argument(
        "--db-processes", type=int, default=0, help="CALL_DB_PROCESSES: the writes of live calls in N processes"
    )
    parser.add_argument(
        "--webhook-process",
        action="store_true",
        help="post the webhooks to a second server process, the media streams to the first (CPU and RSS included)",
    )
    parser.add_argument("--embedded", action="store_true", help="no Redis or Celery even if redis-server exists")
    parser.add_argument(
        "--floor", action="store_true", help="serve bench/floor_app.py: the same traffic, no product behind it"
    )
    args = parser.parse_args()
    try:
        args.arrival = Arrival.parse(args.arrival, args.stagger, args.arrival_for)
    except ValueError as exc:
        parser.error(str(exc))
    if args.model_audio:
        args.chunk_ms, args.pace = MODEL_AUDIO[args.model_audio]
    levels = [int(x) for x in args.calls.split(",")]
    if args.arrival.pattern == "rate":
        levels = levels[:1]  # the rate sets the number of calls
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        started: list[subprocess.Popen] = []
        standin = processes.StandinProcess(args.chunk_ms, args.pace)
        try:
            redis = None if args.embedded or args.floor else processes.start_redis(workdir)
            if redis is not None:
                started.append(redis[0])
            port = processes.free_port()
            env = processes.server_env(workdir, port, standin, redis[1] if redis else "")
            env["CALL_DB_PROCESSES"] = str(args.db_processes)
            if not args.floor:
                callers = max(args.arrival.calls(level) for level in levels)
                processes.prepare_database(env, callers, recording=not args.no_recording)
            celery = processes.start_celery(env, workdir / "celery.log") if redis else None
            if celery is not None:
                started.append(celery)
            app = processes.FLOOR_APP if args.floor else processes.PRODUCT_APP
            daphne = processes.start_server(env, port, workdir / "server.log", app, args.server)
            started.append(daphne)
            await wait_ready(port)  # the database workers, if any, were started before the port opened
            server_pids = (daphne.pid, *sorted(descendants(daphne.pid)))
            webhooks, webhook_url = None, ""
            if args.webhook_process:  # as an nginx route by path would split them; it carries no call
                webhook_port = processes.free_port()
                webhooks_env = env | {"CALL_DB_PROCESSES": "0"}
                webhooks = processes.start_server(
                    webhooks_env, webhook_port, workdir / "webhooks.log", app, args.server
                )
                started.append(webhooks)
                await wait_ready(webhook_port)
                server_pids += (webhooks.pid,)
                webhook_url = f"http://127.0.0.1:{webhook_port}"
            idle_rss = sum_rss_mib(server_pids)
            servers = Servers(daphne, standin, port, celery, server_pids, webhooks, webhook_url)
            results = [await run_level(n, args, servers) for n in levels]
        finally:
            for process in reversed(started):
                processes.stop(process)
            standin.close()
    shape = "Redis channel layer and Celery worker" if redis else "embedded defaults (no Redis)"
    if args.floor:
        shape = "the floor: bench/floor_app.py, the same traffic with no product behind it"
    shape = f"{args.server}; {shape}"
    if args.webhook_process:
        shape += "; the webhooks served by a second server process (CPU and RSS included)"
    if args.db_processes:
        shape += f"; the writes of live calls in {args.db_processes} database processes (CPU and RSS included)"
    report(results, idle_rss, args, shape)


if __name__ == "__main__":
    asyncio.run(main())
