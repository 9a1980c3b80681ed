"""voiceagent/priority.py: a background process that leads its own session really yields the CPU.

Each case runs in a child process, since a nice value, once raised, cannot be lowered back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

REPORT = """
import json, os, sys
from voiceagent.priority import lower_priority, session_niceness
before = session_niceness()
lower_priority(int(sys.argv[1]))
print(json.dumps({"leader": os.getsid(0) == os.getpid(), "nice": os.getpriority(os.PRIO_PROCESS, 0),
                  "session_before": before, "session": session_niceness()}))
"""

# Busy for a fixed wall-clock time on one core, then prints the CPU seconds it was given in it.
BUSY = """
import os, sys, time
os.sched_setaffinity(0, {int(sys.argv[2])})
from voiceagent.priority import lower_priority
lower_priority(int(sys.argv[1]))
sys.stdout.write("ready\\n"); sys.stdout.flush()
sys.stdin.readline()  # both start together
start, end = time.process_time(), time.monotonic() + 1.5
while time.monotonic() < end:
    pass
print(time.process_time() - start)
"""


# Leads a session of its own and runs REPORT in a child that does not, as a worker spawned by a
# server runs in the server's session; then adds its session's nice value as it sees it.
OUTER = """
import json, subprocess, sys
from voiceagent.priority import session_niceness
child = subprocess.run([sys.executable, "-c", *sys.argv[1:]], capture_output=True, text=True, check=True)
print(json.dumps({**json.loads(child.stdout), "outer_session": session_niceness()}))
"""


@pytest.fixture(scope="module", autouse=True)
def autogroups():
    """A new session gets an autogroup of its own, unless a cgroup weighs the CPU or the kernel has none.

    The tests' own session may be the boot session's default group, whose file reads empty, so
    every case below starts a session of its own.
    """
    if run(REPORT, "0", own_session=True)["session_before"] is None:
        pytest.skip("no autogroups here: a cgroup weighs the CPU, or the kernel has none")


def run(code: str, *args: str, own_session: bool) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        start_new_session=own_session,
    )
    return json.loads(done.stdout)


def test_a_session_leader_lowers_its_session_with_itself():
    report = run(REPORT, "10", own_session=True)
    assert report["leader"]
    assert report["nice"] == min(19, os.getpriority(os.PRIO_PROCESS, 0) + 10)
    assert report["session"] == min(19, report["session_before"] + 10)


def test_a_process_in_another_session_leaves_that_session_alone():
    """Spawned by the server, or started from its shell: lowering the session would lower the server too."""
    report = run(OUTER, REPORT, "10", own_session=True)
    assert not report["leader"]
    assert report["nice"] == min(19, os.getpriority(os.PRIO_PROCESS, 0) + 10)
    assert report["session_before"] == report["session"] == report["outer_session"] == 0


def test_nothing_is_lowered_at_niceness_zero():
    report = run(REPORT, "0", own_session=True)
    assert report["nice"] == os.getpriority(os.PRIO_PROCESS, 0)
    assert report["session"] == report["session_before"]


def test_a_niced_session_yields_a_shared_core_to_a_normal_one():
    """Two busy processes, each leading its session, on one core: the one at +10 gets far less.

    With `os.nice` alone each got half (1.54 s and 1.54 s of 3 s, measured when this was written).
    """
    if os.getpriority(os.PRIO_PROCESS, 0) > 9:
        pytest.skip("the tests already run niced: +10 would be clamped at 19")
    core = str(sorted(os.sched_getaffinity(0))[0])
    busy = [
        subprocess.Popen(
            [sys.executable, "-c", BUSY, niceness, core],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        for niceness in ("0", "10")
    ]
    for process in busy:
        assert process.stdout.readline() == "ready\n"
    for process in busy:
        process.stdin.write("go\n")
        process.stdin.flush()
    normal, niced = (float(process.communicate()[0]) for process in busy)
    # Weights 1024 against 110 (sched(7)): about 9 to 1. Half that leaves room for a busy machine.
    assert normal > 4 * niced, (normal, niced)
