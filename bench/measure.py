"""Pairing the two ends' timestamps into the latencies the bridge adds, and the server's CPU."""

from __future__ import annotations

import heapq
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bench.loadgen import CallTiming

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int | str = "self") -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def descendants(pid: int) -> set[int]:
    """The live processes started by `pid`, and by them in turn."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue  # it exited while we looked
    family, grew = {pid}, True
    while grew:
        more = {child for child, parent in parents.items() if parent in family} - family
        family |= more
        grew = bool(more)
    return family - {pid}


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process and its live descendants (a Celery worker's tasks run in its children)."""
    return sum_cpu_seconds({pid, *descendants(pid)})


def sum_cpu_seconds(pids: Iterable[int]) -> float:
    return _total(cpu_seconds, pids)


def _total(read: Callable[[int], float], pids: Iterable[int]) -> float:
    """`read` summed over processes; one that exited meanwhile (a replaced worker) counts 0."""
    total = 0.0
    for pid in pids:
        try:
            total += read(pid)
        except OSError:
            continue
    return total


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def sum_rss_mib(pids: Iterable[int]) -> float:
    return _total(rss_mib, pids)


def reference_cpu_ms() -> float:
    """CPU time of a fixed pure-Python loop, best of three: how fast this machine is right now.

    On a shared virtual machine the same work costs different CPU time from hour to hour; the
    figure printed beside each level lets runs be compared.
    """
    best = float("inf")
    for _ in range(3):
        started, total = time.process_time(), 0
        for i in range(2_000_000):
            total += i
        best = min(best, time.process_time() - started)
    return best * 1000


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


@dataclass
class CpuSamples:
    """(monotonic time, CPU seconds) of one process, taken every 250 ms or only at the ends."""

    pid: int | str | tuple[int, ...]  # or "self"; a tuple with read=sum_cpu_seconds
    read: Callable[..., float] = cpu_seconds  # tree_cpu_seconds for a process and its children
    points: list[tuple[float, float]] = field(default_factory=list)

    def take(self) -> None:
        self.points.append((time.monotonic(), self.read(self.pid)))

    def overall(self) -> float:
        return self.percent(self.points[0][0], self.points[-1][0])

    def percent(self, start: float, end: float) -> float:
        inside = [p for p in self.points if start <= p[0] <= end]
        if len(inside) < 2:
            return float("nan")
        (t0, c0), (t1, c1) = inside[0], inside[-1]
        return (c1 - c0) / (t1 - t0) * 100


@dataclass
class Latencies:
    """(send time, ms) samples; `within` keeps those sent inside a window."""

    samples: list[tuple[float, float]] = field(default_factory=list)

    def add(self, sent: list[float], received: list[float]) -> None:
        """The k-th event on one side pairs with the k-th on the other (both are FIFO)."""
        self.samples += [(s, (r - s) * 1000) for s, r in zip(sent, received, strict=False)]

    def within(self, start: float, end: float) -> list[float]:
        return [ms for sent, ms in self.samples if start <= sent <= end]

    def all(self) -> list[float]:
        return [ms for _, ms in self.samples]

    def by_second(self, t0: float) -> dict[int, list[float]]:
        """The samples' ms grouped by the wall-clock second (after t0) they were sent in."""
        seconds: dict[int, list[float]] = {}
        for sent, ms in self.samples:
            seconds.setdefault(int(sent - t0), []).append(ms)
        return seconds


@dataclass
class SecondRow:
    second: int  # since the level began
    arrived: int  # calls placed (webhook posted) in this second
    up: list[float]
    down: list[float]


def stalls_by_second(stalls: list[tuple[float, float]], t0: float) -> dict[int, float]:
    """A process's worst event-loop stall (bench/lag.py) in each second after t0."""
    worst: dict[int, float] = {}
    for at, ms in stalls:
        worst[int(at - t0)] = max(worst.get(int(at - t0), 0.0), ms)
    return worst


def per_second(up: Latencies, down: Latencies, placed: list[float], t0: float) -> list[SecondRow]:
    """Every second of a level from t0 to its last sample, so a stall shows where it happened and
    beside how many calls were arriving then. A second with no sample still gets its row."""
    ups, downs = up.by_second(t0), down.by_second(t0)
    arrivals: dict[int, int] = {}
    for at in placed:
        arrivals[int(at - t0)] = arrivals.get(int(at - t0), 0) + 1
    last = max([*ups, *downs, *arrivals], default=-1)
    return [SecondRow(s, arrivals.get(s, 0), ups.get(s, []), downs.get(s, [])) for s in range(last + 1)]


def forwarded_deltas(timings: dict[str, list[float]]) -> list[float]:
    """Send times of the deltas the bridge must forward: all but a cancelled response's tail.

    On `speech_started` the bridge cancels the response in progress and drops its later
    deltas (they would play after the `clear`). Replaying the stand-in's own send order
    tells which those are, so the rest pair one to one with the client's media.
    """
    kinds = ("response.created", "response.done", "input_audio_buffer.speech_started", "response.output_audio.delta")
    timeline = heapq.merge(*([(t, kind) for t in timings.get(f"send:{kind}", [])] for kind in kinds))
    forwarded, active, cancelled = [], False, False
    for t, kind in timeline:
        if kind == "response.created":
            active, cancelled = True, False
        elif kind == "response.done":
            active = False
        elif kind == "input_audio_buffer.speech_started":
            cancelled = cancelled or active
        elif not cancelled:
            forwarded.append(t)
    return forwarded


def barge_in_latencies(speech_started: list[float], clears: list[float]) -> list[tuple[float, float]]:
    """For each speech_started, the first clear before the next one (none if nothing was playing)."""
    latencies = []
    for k, started in enumerate(speech_started):
        until = speech_started[k + 1] if k + 1 < len(speech_started) else float("inf")
        after = [c for c in clears if started <= c < until]
        if after:
            latencies.append((started, (after[0] - started) * 1000))
    return latencies


@dataclass
class LevelMeasure:
    up: Latencies = field(default_factory=Latencies)
    down: Latencies = field(default_factory=Latencies)
    barge_in: Latencies = field(default_factory=Latencies)
    model_ready: list[float] = field(default_factory=list)
    first_audio: list[float] = field(default_factory=list)  # stream start → the caller's first agent audio
    dropped: int = 0
    unpaired: int = 0  # calls whose caller frames were not all forwarded: up latency not paired
    loadgen_late: int = 0
    errors: int = 0


def measure(calls: list[CallTiming], sessions: list[dict]) -> LevelMeasure:
    """Pair each client with its model session (the caller's name is in the instructions)."""
    by_name = {}
    for session in sessions:
        for call in calls:
            if call.caller_name in session["instructions"]:
                by_name[call.caller_name] = session["timings"]
    result = LevelMeasure()
    for call in calls:
        timings = by_name.get(call.caller_name)
        if call.error or timings is None or not timings.get("recv:session.update") or not call.frames_sent:
            result.errors += 1  # the call failed, or never reached the model
            continue
        appends = timings.get("recv:input_audio_buffer.append", [])
        # Frames sent before the model session is configured wait for it (the model's
        # websocket is still opening): that is set-up time, reported apart, not added latency.
        ready = timings["recv:session.update"][0]
        waited = sum(1 for t in call.frames_sent if t < ready)
        result.model_ready.append((ready - call.frames_sent[0]) * 1000)
        if call.media_received and call.started_at:
            result.first_audio.append((call.media_received[0] - call.started_at) * 1000)
        dropped = len(call.frames_sent) - len(appends)
        result.dropped += dropped
        if dropped == 0:  # with a frame missing, the k-th sent is no longer the k-th received
            result.up.add(call.frames_sent[waited:], appends[waited:])
        else:
            result.unpaired += 1
        result.down.add(forwarded_deltas(timings), call.media_received)
        result.loadgen_late += call.late_sends
        speech = timings.get("send:input_audio_buffer.speech_started", [])
        result.barge_in.samples += barge_in_latencies(speech, call.clears)
    return result
