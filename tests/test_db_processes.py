"""Live calls' queued writes in worker processes (`CALL_DB_PROCESSES`, voiceagent/db.py).

Here: the pool itself, and a call's writer (`CallStore`) on it. tests/test_e2e_db_processes.py
carries whole calls through a daphne that uses it.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from voiceagent import db

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def workers(settings, monkeypatch):
    """Two worker processes of a pool of this test's own, shut down after it."""
    settings.CALL_DB_PROCESSES = 2
    own = db._WorkerProcesses()
    monkeypatch.setattr(db, "_workers", own)
    yield own
    own.pool().shutdown(wait=True, cancel_futures=True)


def parent_and_own_pid(parent: int) -> tuple[int, int]:
    return parent, os.getpid()


def own_pid_and_niceness_while_importing() -> tuple[int, int | None]:
    return os.getpid(), db.import_niceness()


def refuse(*, why: str) -> None:
    raise ValueError(why)


async def test_the_work_runs_in_another_process_with_its_arguments_and_result(workers, settings):
    started = db.worker_processes_start()
    assert len(started) == 2 and os.getpid() not in started

    parent, worker = await db.off_process(parent_and_own_pid)(os.getpid())
    assert parent == os.getpid() and worker in started
    # Behind the server's audio in the CPU's queue.
    niceness = os.getpriority(os.PRIO_PROCESS, 0)
    assert os.getpriority(os.PRIO_PROCESS, worker) == min(19, niceness + settings.BACKGROUND_NICENESS)


async def test_an_error_in_the_work_reaches_the_caller_as_itself(workers):
    with pytest.raises(ValueError, match="no such call"):
        await db.off_process(refuse)(why="no such call")


async def test_a_killed_worker_costs_no_work_the_pool_is_started_again(workers, caplog):
    first = db.worker_processes_start()
    for pid in first:
        os.kill(pid, signal.SIGKILL)

    _, worker = await db.off_process(parent_and_own_pid)(0)  # on the broken pool: refused, then run on a new one
    assert worker not in first
    _, again = await db.off_process(parent_and_own_pid)(0)
    assert again not in first
    assert "a database worker process died" in caplog.text


async def test_workers_import_django_niced_only_when_calls_may_be_live(workers, settings):
    """At server start nothing is live yet, and a niced import on a full machine held the server's
    start for over 30 s; a pool replacing a dead one starts among live calls' audio."""
    niceness = os.getpriority(os.PRIO_PROCESS, 0)
    first = db.worker_processes_start()
    worker, imported_at = await db.off_process(own_pid_and_niceness_while_importing)()
    assert worker in first and imported_at == niceness

    for pid in first:
        os.kill(pid, signal.SIGKILL)
    worker, imported_at = await db.off_process(own_pid_and_niceness_while_importing)()
    assert worker not in first and imported_at == min(19, niceness + settings.BACKGROUND_NICENESS)


class TwoPartError(Exception):
    def __init__(self, code: int, why: str) -> None:  # pickle rebuilds it with one argument: it fails
        super().__init__(f"{code}: {why}")


def refuse_unpicklably() -> None:
    raise TwoPartError(7, "no such call")


async def test_an_error_the_server_could_not_rebuild_arrives_by_name_and_breaks_nothing(workers, caplog):
    with pytest.raises(RuntimeError, match="TwoPartError: 7: no such call"):
        await db.off_process(refuse_unpicklably)()
    await db.off_process(parent_and_own_pid)(0)  # the same pool
    assert "died" not in caplog.text


def die_in_a_worker() -> int:
    if db.in_worker_process():
        os._exit(1)
    return os.getpid()


async def test_workers_that_keep_dying_leave_the_writes_to_threads(workers, caplog):
    assert await db.off_process(die_in_a_worker)() == os.getpid()  # two pools died; then in a thread
    assert workers.given_up
    assert "the writes of live calls run in threads until restart" in caplog.text
    assert await db.off_process(die_in_a_worker)() == os.getpid()


async def test_without_the_setting_the_work_runs_in_this_process(settings):
    settings.CALL_DB_PROCESSES = 0
    assert db.worker_processes_start() == []
    _, worker = await db.off_process(parent_and_own_pid)(0)
    assert worker == os.getpid()


def append_line(*, path: str, text: str) -> None:
    with open(path, "a") as file:
        file.write(f"{os.getpid()} {text}\n")


async def test_a_calls_queued_writes_run_in_the_workers_in_order(workers, tmp_path):
    from calls.store import CallStore

    started = db.worker_processes_start()
    store = CallStore()
    for n in range(20):
        store.put(append_line, path=str(tmp_path / "writes"), text=f"turn {n}")
    await store.drain()

    written = [line.split(" ", 1) for line in (tmp_path / "writes").read_text().splitlines()]
    assert [text for _, text in written] == [f"turn {n}" for n in range(20)]
    assert {int(pid) for pid, _ in written} <= set(started)


SERVER = """
import django, json, sys, threading
django.setup()
from voiceagent.db import worker_processes_start
print(json.dumps(worker_processes_start()), flush=True)
threading.Event().wait()  # until killed
"""


def test_workers_of_a_server_killed_outright_exit_too():
    """SIGKILL (the OOM killer) gives the server no chance to stop its workers; they notice."""
    env = {**os.environ, "CALL_DB_PROCESSES": "2"}
    server = subprocess.Popen([sys.executable, "-c", SERVER], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        workers = json.loads(server.stdout.readline())
        watches = [os.pidfd_open(pid) for pid in workers if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text()]
        assert len(watches) == 2
    finally:
        server.kill()
        server.wait()
    for watch in watches:  # readable once that process has exited
        readable, _, _ = select.select([watch], [], [], 15)
        os.close(watch)
        assert readable, "a database worker outlived its server"
