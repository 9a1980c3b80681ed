"""Benchmark: N concurrent calls through a real daphne, measured from both ends.

    .venv/bin/python bench/run.py --calls 1,10,50 --duration 8

One daphne process serves the calls (SQLite, in-memory channel layer: the embedded
defaults); this process is the load generator: the realtime stand-in and N lean Twilio-side
clients (bench/loadgen.py). Every client sends paced 20 ms frames for the whole call, talks
over the greeting after 1 s (a barge-in) and hears the answer. Both ends stamp events with
the same monotonic clock, so the latency the bridge adds is measured directly:

- up: a caller frame sent → the stand-in receiving it as input_audio_buffer.append
  (frames sent before the model session was configured are set-up, not counted here)
- model ready: the first caller frame sent → the stand-in receiving session.update
- down: the stand-in sending an audio delta → the client receiving it as Twilio media
- barge-in: the stand-in sending speech_started → the client receiving clear
- CPU: the daphne process's user+system time over the run, as % of one core; RSS sampled.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.loadgen import BenchCall, CallTiming  # noqa: E402
from calls.audio import load_clip  # noqa: E402
from calls.standin import RealtimeStandin, StandinOptions  # noqa: E402

TOKEN = "bench-auth-token"
TICKS = os.sysconf("SC_CLK_TCK")
SEED = """
from agents.models import AccessPolicy, Caller, PhoneNumber
PhoneNumber.objects.filter(number="+15005550006").update(access_policy=AccessPolicy.ANYONE)
Caller.objects.bulk_create(
    [Caller(number=f"+1555030{i:04d}", name=f"bench-{i:04d}") for i in range({n})], ignore_conflicts=True
)
"""


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pid: int | str = "self") -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def start_server(workdir: Path, port: int, standin_port: int, callers: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "TWILIO_", "REDIS_", "DJANGO_"))}
    env |= {
        "DEBUG": "on",
        "SECRET_KEY": "bench-secret-key",
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "TWILIO_AUTH_TOKEN": TOKEN,
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "OPENAI_REALTIME_URL": f"ws://127.0.0.1:{standin_port}/v1/realtime",
        "LOG_LEVEL": "WARNING",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*manage, "seed_demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    seed = SEED.replace("{n}", str(callers))
    subprocess.run([*manage, "shell", "-c", seed], cwd=ROOT, env=env, check=True, capture_output=True)
    daphne = [sys.executable, "-m", "daphne", "-v", "0", "-b", "127.0.0.1", "-p", str(port)]
    log = open(workdir / "daphne.log", "w")  # noqa: SIM115 - lives as long as the server
    return subprocess.Popen([*daphne, "voiceagent.asgi:application"], cwd=ROOT, env=env, stdout=log, stderr=log)


async def wait_ready(port: int) -> None:
    for _ in range(200):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.05)  # polling a port that is not open yet: nothing to await
    raise RuntimeError("daphne did not start")


def pair(sent: list[float], received: list[float]) -> list[float]:
    """Latencies of the k-th event on one side to the k-th on the other, in ms (FIFO both ways)."""
    return [(r - s) * 1000 for s, r in zip(sent, received, strict=False)]


def measure(calls: list[CallTiming], standin: RealtimeStandin) -> dict[str, float]:
    by_name = {}
    for session in standin.sessions:
        instructions = session.session_updates[0].get("instructions", "") if session.session_updates else ""
        for call in calls:
            if call.caller_name in instructions:
                by_name[call.caller_name] = session
    up, down, barge, setup, dropped, late, errors = [], [], [], [], 0, 0, 0
    for call in calls:
        session = by_name.get(call.caller_name)
        if call.error or session is None:
            errors += 1
            continue
        appends = session.timings["recv:input_audio_buffer.append"]
        # Frames sent before the model session is configured wait for it (the model's
        # websocket is still opening): that is set-up time, reported apart, not added latency.
        ready = session.timings["recv:session.update"][0]
        waited = sum(1 for t in call.frames_sent if t < ready)
        setup.append((ready - call.frames_sent[0]) * 1000)
        up += pair(call.frames_sent[waited:], appends[waited:])
        down += pair(session.timings["send:response.output_audio.delta"], call.media_received)
        dropped += len(call.frames_sent) - len(appends)
        late += call.late_sends
        speech = session.timings["send:input_audio_buffer.speech_started"]
        if speech and call.clears:
            barge.append((call.clears[0] - speech[0]) * 1000)
    return {
        "up50": percentile(up, 50), "up95": percentile(up, 95), "up99": percentile(up, 99),
        "down50": percentile(down, 50), "down95": percentile(down, 95), "down99": percentile(down, 99),
        "barge50": percentile(barge, 50), "barge99": percentile(barge, 99), "barge_n": len(barge),
        "setup50": percentile(setup, 50), "setup99": percentile(setup, 99),
        "frames": len(up), "late_up": sum(1 for v in up if v > 20), "dropped": dropped,
        "loadgen_late": late, "errors": errors,
    }  # fmt: skip


async def run_level(n: int, args, port: int, standin: RealtimeStandin, server: subprocess.Popen) -> dict:
    standin.sessions.clear()
    speech = load_clip("caller_question")
    calls = [
        BenchCall(f"http://127.0.0.1:{port}", TOKEN, f"+1555030{i:04d}", f"bench-{i:04d}", speech, 1.0, args.duration)
        for i in range(n)
    ]
    rss_before, rss_peak = rss_mib(server.pid), 0.0
    cpu0, gen0, wall0 = cpu_seconds(server.pid), cpu_seconds(), time.monotonic()

    async def staggered(i: int, call: BenchCall) -> CallTiming:
        await asyncio.sleep(i * args.stagger / max(1, n))
        return await call.run()

    tasks = [asyncio.create_task(staggered(i, c)) for i, c in enumerate(calls)]
    while not all(t.done() for t in tasks):
        rss_peak = max(rss_peak, rss_mib(server.pid))
        await asyncio.wait(tasks, timeout=0.25)
    wall = time.monotonic() - wall0
    # The bridge still forwards the last frames after a client hangs up: let every model
    # session close before counting what arrived.
    await asyncio.wait_for(asyncio.gather(*(s.closed.wait() for s in standin.sessions)), 10)
    result = measure([t.result() for t in tasks], standin)
    result |= {
        "calls": n,
        "server_cpu": (cpu_seconds(server.pid) - cpu0) / wall * 100,
        "loadgen_cpu": (cpu_seconds() - gen0) / wall * 100,
        "rss_before": rss_before,
        "rss_peak": rss_peak,
    }
    return result


def report(results: list[dict], idle_rss: float) -> None:
    machine = platform.processor() or platform.machine()
    print(f"\nMachine: {machine}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"daphne idle RSS: {idle_rss:.1f} MiB\n")
    print(
        "| calls | up p50/p95/p99 ms | down p50/p95/p99 ms | barge-in clear p50/p99 ms | model ready p50/p99 ms "
        "| frames | late >20 ms | dropped | server CPU % of a core (per call) | server RSS peak MiB (per call) "
        "| load generator CPU % |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        per_call_rss = (r["rss_peak"] - idle_rss) / r["calls"]
        print(
            f"| {r['calls']} | {r['up50']:.1f} / {r['up95']:.1f} / {r['up99']:.1f} "
            f"| {r['down50']:.1f} / {r['down95']:.1f} / {r['down99']:.1f} "
            f"| {r['barge50']:.1f} / {r['barge99']:.1f} (n={r['barge_n']}) | {r['setup50']:.0f} / {r['setup99']:.0f} "
            f"| {r['frames']} | {r['late_up']} "
            f"| {r['dropped']} | {r['server_cpu']:.1f} ({r['server_cpu'] / r['calls']:.2f}) "
            f"| {r['rss_peak']:.1f} ({per_call_rss:.2f}) | {r['loadgen_cpu']:.1f} |"
        )
    print()
    for r in results:
        print(
            f"{r['calls']} calls: {r['errors']} failed; the load generator sent {r['loadgen_late']} frames >5 ms late"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", default="1,10,50", help="comma-separated concurrency levels")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds each call lasts")
    parser.add_argument("--stagger", type=float, default=1.0, help="seconds over which a level's calls start")
    args = parser.parse_args()
    levels = [int(x) for x in args.calls.split(",")]
    port, standin_port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp), port, standin_port, max(levels))
        try:
            async with RealtimeStandin(port=standin_port, options=StandinOptions(record_timings=True)) as standin:
                await wait_ready(port)
                idle_rss = rss_mib(server.pid)
                results = [await run_level(n, args, port, standin, server) for n in levels]
        finally:
            server.terminate()
            server.wait(10)
    report(results, idle_rss)


if __name__ == "__main__":
    asyncio.run(main())
