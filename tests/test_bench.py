"""The benchmark's arithmetic, and one short run so it cannot rot unnoticed (no timing is asserted)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.arrival import Arrival
from bench.loadgen import CallTiming
from bench.measure import (
    Latencies,
    barge_in_latencies,
    forwarded_deltas,
    measure,
    per_second,
    percentile,
    stalls_by_second,
)

ROOT = Path(__file__).resolve().parent.parent


def test_deltas_of_a_response_cancelled_by_speech_are_not_expected_at_the_caller():
    timings = {
        "send:response.created": [1.0, 5.0],
        "send:response.output_audio.delta": [1.1, 1.2, 1.3, 1.4, 5.1, 5.2],
        "send:input_audio_buffer.speech_started": [1.25, 7.0],
        "send:response.done": [1.5, 5.3],
    }
    # 1.3 and 1.4 left after the caller spoke: the bridge drops them. Speech after response 2
    # was done cancels nothing.
    assert forwarded_deltas(timings) == [1.1, 1.2, 5.1, 5.2]


def test_each_barge_in_pairs_with_the_first_clear_before_the_next_one():
    speech_started, clears = [1.0, 2.0, 3.0], [1.002, 3.004, 3.5]
    # At 2.0 nothing was playing (no clear); 3.5 is a later clear, not this barge-in's.
    latencies = barge_in_latencies(speech_started, clears)
    assert [(at, round(ms, 3)) for at, ms in latencies] == [(1.0, 2.0), (3.0, 4.0)]


def test_latencies_pair_in_order_and_filter_by_when_they_were_sent():
    latencies = Latencies()
    latencies.add([1.0, 2.0, 3.0], [1.001, 2.005])  # the third never arrived: not paired
    assert [round(ms, 3) for ms in latencies.all()] == [1.0, 5.0]
    assert [round(ms, 3) for ms in latencies.within(1.5, 3.0)] == [5.0]
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert str(percentile([], 99)) == "nan"


def test_a_call_that_never_reached_the_model_or_lost_a_frame_is_counted_not_paired():
    never = CallTiming("CA1", "bench-0001", frames_sent=[1.0, 1.02])
    lossy = CallTiming("CA2", "bench-0002", frames_sent=[1.0, 1.02, 1.04])
    sessions = [
        {"instructions": "Caller: bench-0001", "timings": {}},  # no session.update: never configured
        {
            "instructions": "Caller: bench-0002",
            "timings": {"recv:session.update": [0.5], "recv:input_audio_buffer.append": [1.001, 1.041]},
        },
    ]
    result = measure([never, lossy], sessions)
    assert (result.errors, result.dropped, result.unpaired) == (1, 1, 1)
    assert result.up.samples == []  # 1.02 lost: pairing 1.04 with 1.041's neighbour would lie


def test_a_burst_places_every_call_within_a_second_and_a_rate_sets_its_own_number_of_calls():
    burst = Arrival.parse(["burst"], stagger_s=5.0, for_s=30.0)
    assert burst.calls(50) == 50
    assert burst.offsets(4) == [0.0, 0.25, 0.5, 0.75]
    stagger = Arrival.parse(["stagger"], stagger_s=5.0, for_s=30.0)
    assert stagger.offsets(2) == [0.0, 2.5]
    rate = Arrival.parse(["rate", "5"], stagger_s=5.0, for_s=2.0)
    assert rate.calls(50) == 10  # 5 a second for 2 s, whatever --calls said
    assert rate.offsets(50) == pytest.approx([i * 0.2 for i in range(10)])
    for words in (["rate"], ["rate", "0"], ["bursty"], ["burst", "3"]):
        with pytest.raises(ValueError):
            Arrival.parse(words, stagger_s=5.0, for_s=30.0)


def test_per_second_rows_group_by_send_time_and_keep_empty_seconds():
    up, down = Latencies(), Latencies()
    up.add([10.1, 10.5, 12.9], [10.102, 10.540, 12.901])  # 2, 40 and 1 ms
    down.add([10.2], [10.205])
    rows = per_second(up, down, placed=[10.0, 10.3, 11.5], t0=10.0)
    assert [row.second for row in rows] == [0, 1, 2]  # second 1 carried no audio: still a row
    assert [row.arrived for row in rows] == [2, 1, 0]
    assert [round(ms) for ms in rows[0].up] == [2, 40]
    assert rows[1].up == [] and [round(ms) for ms in rows[2].up] == [1]
    assert [round(ms) for ms in rows[0].down] == [5]
    assert stalls_by_second([(10.2, 7.0), (10.9, 30.0), (12.1, 6.0)], t0=10.0) == {0: 30.0, 2: 6.0}


def one_call_run(*served: str) -> tuple[list[str], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "OPENAI_", "REDIS_"))}
    command = [sys.executable, "bench/run.py", "--calls", "1", "--duration", "4", "--speak-every", "2", *served]
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    row = next(line for line in run.stdout.splitlines() if line.startswith("| 1 |"))
    return [cell.strip() for cell in row.strip("|").split("|")], run.stdout


def test_one_call_runs_of_voiceagent_and_of_the_floor_complete_with_the_same_traffic():
    runs = {"voiceagent": one_call_run(), "floor": one_call_run("--floor")}
    traffic = {}
    for name, (cells, stdout) in runs.items():
        frames_up, frames_down = (int(x) for x in cells[6].split(" / "))
        assert frames_up > 150 and frames_down > 0, name  # 4 s of caller audio paired; the agent spoke
        assert cells[7] == "0", name  # dropped
        barge_ins = int(re.search(r"n=(\d+)", cells[4]).group(1))
        assert barge_ins >= 1, name  # it spoke over the greeting
        assert "1 calls: 0 failed, 0 with frames dropped" in stdout, name
        assert float(re.search(r"relative to the load generator's and the stand-in's, steady: ([\d.]+)", stdout)[1]) > 0
        traffic[name] = (barge_ins, frames_down)
    # The floor is only a baseline if it carries what voiceagent carries: the same barge-ins. (How
    # many frames of the last answer fit before the 4 s call ends moves with the machine's load:
    # 34 against 49 on a busy machine, 24 against 52 in CI's five passes, equal on a quiet one.)
    assert traffic["floor"][0] == traffic["voiceagent"][0], traffic


def test_a_run_with_the_webhooks_in_a_process_of_their_own_completes_and_shows_that_process():
    cells, stdout = one_call_run("--webhook-process", "--embedded")
    assert "the webhooks served by a second server process" in stdout
    assert "1 calls: 0 failed, 0 with frames dropped" in stdout
    assert re.search(r"other processes' CPU: .*webhook server \d+%", stdout), stdout
    assert int(cells[6].split(" / ")[0]) > 150  # the call was bridged: 4 s of caller audio paired


def test_the_set_up_cost_run_counts_each_steps_queries_and_python_calls():
    """bench/setup_cost.py on a few calls: the queries per call are the README's (issue #17), and
    the webhooks served as daphne serves them start no thread and open no connection (Django's
    own handler: two and one per webhook, voiceagent/request_threads.py)."""
    command = [sys.executable, "bench/setup_cost.py", "--calls", "3", "--repeat", "1"]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    rows = {}
    for line in run.stdout.splitlines():
        if line.startswith(("| voice webhook", "| stream claim")):
            step, *figures = (cell.strip() for cell in line.strip("|").split("|"))
            rows[step] = [float(figure) for figure in figures]
    assert set(rows) == {"voice webhook (whole request)", "stream claim and bridge set-up", "voice webhook, served"}
    served = rows.pop("voice webhook, served")
    assert served[0] > 0 and served[1] > 0 and served[2:] == [0, 0], served  # CPU, wall ms; threads, connections
    assert rows["voice webhook (whole request)"][1] == 6 and rows["stream claim and bridge set-up"][1] == 4, rows
    assert all(cpu_ms > 0 and functions > 0 for cpu_ms, _, functions in rows.values()), rows
