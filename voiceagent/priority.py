"""Lower a background process's CPU priority so that it really yields to the audio of live calls.

`os.nice` alone orders the processes of one session. Linux's autogroup scheduling, on by default
in most distributions' kernels (`/proc/sys/kernel/sched_autogroup_enabled`), first shares each
core between sessions, and only then between a session's processes by their nice values. So a
process that leads its own session (a systemd service, anything started with `setsid`, the tests'
and the benchmark's servers) got a whole session's share at any nice value: on this machine, two
busy processes in two sessions on one core took 1.54 s of CPU each in 3 s, the one at nice 10 as
much as the one at 0 (issue #17). Such a process lowers its session's priority too, by writing
`/proc/self/autogroup` (sched(7)): then 2.74 s against 0.34 s. A process in another's session (a
worker the server spawned, a Celery worker started from the server's shell) must not: it would
lower the server's priority with its own. There, its own nice value is the one that counts.

Where a cgroup weighs the CPU instead (a container, a systemd unit with `CPUWeight=`), autogroups
are not used and writing one changes nothing; the README says how to weigh units under systemd.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

AUTOGROUP = Path("/proc/self/autogroup")
LOWEST = 19


def lower_priority(niceness: int) -> None:
    """`niceness` below where this process is now, and its session's too when it leads one."""
    if niceness <= 0:
        return
    os.nice(niceness)
    if os.getsid(0) == os.getpid():
        _lower_session(niceness)


def session_niceness(pid: int | str = "self") -> int | None:
    """A process's session's nice value for the scheduler's autogroups (this one's by default).

    None without them, and also for a process still in the boot session's default group (one
    whose ancestors never started a session, as under some CI runners): its file reads empty.
    """
    try:
        return int(Path(f"/proc/{pid}/autogroup").read_text().split()[-1])  # "/autogroup-1234 nice 0"
    except (OSError, ValueError, IndexError):
        return None


def _lower_session(niceness: int) -> None:
    current = session_niceness()
    if current is None:
        return  # not Linux, or a kernel built without autogroups: os.nice was the whole of it
    with contextlib.suppress(OSError):  # e.g. a read-only /proc in a container, where a cgroup weighs the CPU
        AUTOGROUP.write_text(str(min(LOWEST, current + niceness)))
