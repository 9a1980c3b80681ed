"""Live calls' queued writes in worker processes (`CALL_DB_PROCESSES`, README, *Production*), end to
end: a real daphne with two such processes, channels-redis on a real redis-server and a Celery
worker, the production shape.

The tests are test_e2e.py's and test_e2e_recording.py's own, imported so pytest collects them here
with this module's `server`: every transcript, event, tool call, call end and stored recording
below was written by a worker process, from daphne's queue. daphne and the Celery worker each
lead a session of their own, as under systemd.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.measure import descendants
from voiceagent.priority import session_niceness

from .servers import call_server, celery_worker
from .test_e2e import AUTH_TOKEN, Server
from .test_e2e import test_barge_in_over_the_greeting_truncates_to_what_the_caller_heard as test_barge_in  # noqa: F401
from .test_e2e import test_refused_streams_never_open_a_model_session as test_refused_streams  # noqa: F401
from .test_e2e import (  # noqa: F401
    test_the_model_ends_the_call_with_a_tool_and_the_goodbye_is_heard_first as test_goodbye_then_hang_up,
)
from .test_e2e_recording import (  # noqa: F401
    test_a_recorded_call_holds_the_caller_and_what_the_caller_heard as test_a_recorded_call,
)

pytestmark = [pytest.mark.e2e, pytest.mark.redis]


@pytest.fixture(scope="module")
def server(tmp_path_factory, redis_url):
    workdir = tmp_path_factory.mktemp("e2e-db-processes")
    env = {"CALL_DB_PROCESSES": "2", "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "REDIS_URL": redis_url}
    with (
        call_server(workdir, Server, own_session=True, **env) as server,
        celery_worker(server.env, own_session=True) as worker,
    ):
        server.workdir, server.worker = workdir, worker
        yield server


def test_the_server_started_its_worker_processes_before_any_call(server):
    output = server.process.output
    assert output.wait_for("the writes of live calls run in 2 database worker processes", 5), output.tail(80)


def test_background_work_runs_below_the_server_in_the_cpu_queue(server):
    """BACKGROUND_NICENESS (10): the database workers and Celery's worker yield the CPU to the audio."""
    server_niceness = os.getpriority(os.PRIO_PROCESS, server.process.pid)
    below = min(19, server_niceness + 10)
    spawned = descendants(server.process.pid)  # the workers, and multiprocessing's resource tracker
    workers = [pid for pid in spawned if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text()]
    assert len(workers) == 2
    assert [os.getpriority(os.PRIO_PROCESS, pid) for pid in workers] == [below, below]
    assert os.getpriority(os.PRIO_PROCESS, server.worker.pid) == below


def test_a_celery_worker_leading_its_session_lowers_the_session(server):
    """Both started as systemd starts services, each leading a session of its own: Celery's nice
    value alone would count for nothing against daphne's (voiceagent/priority.py). Celery's session
    goes 10 below, the pool's child with it; daphne's stays where it was, since the database
    workers in it do not lead it."""
    daphne, celery = server.process.pid, server.worker.pid
    assert os.getsid(daphne) == daphne and os.getsid(celery) == celery
    if session_niceness(daphne) is None:
        pytest.skip("no autogroups here: a cgroup weighs the CPU, or the kernel has none")
    children = descendants(celery)
    assert children  # the prefork pool's process
    assert {session_niceness(pid) for pid in (celery, *children)} == {10}
    assert autogroup(celery) != autogroup(daphne)
    assert session_niceness(daphne) == 0


def autogroup(pid: int) -> str:
    return Path(f"/proc/{pid}/autogroup").read_text().split()[0]  # "/autogroup-1234 nice 0"
