"""Real servers on loopback for integration tests: redis-server, PostgreSQL and daphne."""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bench.processes import celery_command, daphne_command, free_port, redis_command

ROOT = Path(__file__).resolve().parent.parent


class OutputReader:
    """Drains a process's output in a thread (a full pipe would stall it) and keeps the lines.

    `wait_for` blocks until a line containing a text appears: servers say when they are
    ready, and daphne logs when a call is finalised, so tests wait on those events.
    """

    def __init__(self, process: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._open = True
        threading.Thread(target=self._read, args=(process,), daemon=True).start()

    def wait_for(self, needle: str, timeout: float = 30) -> bool:
        def seen() -> bool:
            return any(needle in line for line in self.lines) or not self._open

        with self._changed:
            self._changed.wait_for(seen, timeout)
            return any(needle in line for line in self.lines)

    def tail(self, count: int = 40) -> str:
        return "".join(self.lines[-count:])

    def _read(self, process: subprocess.Popen) -> None:
        for line in process.stdout:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._open = False
            self._changed.notify_all()


def _wait_for_line(process: subprocess.Popen, needle: str, what: str) -> OutputReader:
    reader = OutputReader(process)
    if not reader.wait_for(needle):
        raise RuntimeError(f"{what} was not ready:\n{reader.tail(20)}")
    return reader


@contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    exe = shutil.which("redis-server")
    if exe is None:
        if os.environ.get("REQUIRE_REDIS"):
            pytest.fail("redis-server is required here (REQUIRE_REDIS is set) but is not installed")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    command = redis_command(exe, port, workdir)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_for_line(process, "Ready to accept connections", "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


# --- PostgreSQL: a throwaway cluster (initdb into a temporary directory) -------------------

POSTGRES_ROLE = "voiceagent"  # the role and database the README's production section creates


def postgres_bindir() -> Path | None:
    """Where initdb and pg_ctl are: on the PATH, or Debian's /usr/lib/postgresql/<version>/bin."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    return versions[-1].parent if versions else None


def _as_cluster_owner() -> list[str]:
    """initdb and postgres refuse to run as root (CI runs as root): run them as Debian's `postgres` user."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise RuntimeError("running as root with no `postgres` user to run PostgreSQL as") from None
    return ["runuser", "-u", "postgres", "--"]


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{what} failed ({done.returncode}):\n{done.stdout}{done.stderr}")


@contextmanager
def postgres_cluster() -> Iterator[str]:
    """initdb, start on a free loopback port, create the `voiceagent` role and database; yields its URL.

    The role has a password of this run (scram-sha-256 over TCP, as in production) and CREATEDB,
    which only the tests need (pytest-django creates `test_voiceagent` beside it). Durability is
    off: the cluster is deleted when the block ends.
    """
    import psycopg

    bindir = postgres_bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
    workdir = Path(tempfile.mkdtemp(prefix="voiceagent-pg-"))
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
    data, port = workdir / "data", free_port()
    owner = _as_cluster_owner()
    initdb = [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-E", "UTF8", "--no-locale", "--no-sync"]
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {workdir} -c fsync=off -c synchronous_commit=off"
    options += " -c full_page_writes=off -c max_connections=200"
    pg_ctl = [*owner, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(workdir / "postgres.log")]
    try:
        _run([*owner, *initdb, "--auth-local=trust", "--auth-host=scram-sha-256"], "initdb")
        _run([*pg_ctl, "-o", options, "-w", "start"], "pg_ctl start")
        password = secrets.token_urlsafe(16)
        with psycopg.connect(host=str(workdir), port=port, user="postgres", dbname="postgres", autocommit=True) as db:
            db.execute(f"CREATE ROLE {POSTGRES_ROLE} LOGIN CREATEDB PASSWORD '{password}'")
            db.execute(f"CREATE DATABASE {POSTGRES_ROLE} OWNER {POSTGRES_ROLE}")
        yield f"postgres://{POSTGRES_ROLE}:{password}@127.0.0.1:{port}/{POSTGRES_ROLE}"
    finally:
        subprocess.run([*pg_ctl, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(workdir, ignore_errors=True)


def server_env(workdir: Path, **overrides: str) -> dict[str, str]:
    """The environment of a server process under test: a file database of its own, DEBUG on."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "OPENAI_", "TWILIO_", "REDIS_"))}
    env.update(
        DEBUG="on",
        SECRET_KEY="test-secret-key-for-e2e-only",
        DATABASE_URL=f"sqlite:///{workdir / 'e2e.sqlite3'}",
        TWILIO_AUTH_TOKEN="e2e-auth-token",
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="INFO",
    )
    env.update(overrides)
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True)


@contextmanager
def daphne_server(env: dict[str, str], port: int) -> Iterator[subprocess.Popen]:
    command = daphne_command(port)
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        process.output = _wait_for_line(process, "Listening on TCP address", "daphne")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def celery_worker(env: dict[str, str]) -> Iterator[subprocess.Popen]:
    """A real `celery -A voiceagent worker` (prefork, one child) on the broker in env's REDIS_URL.

    `process.output.wait_for(...)` waits on its log lines (task results, our services' INFO lines).
    """
    command = celery_command("e2e", 1)
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        process.output = _wait_for_line(process, " ready.", "celery worker")
        yield process
    finally:
        process.terminate()  # warm shutdown: the running task (if any) finishes first
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


class CallServer:
    """A daphne process serving the demo seed, with a port kept for the realtime stand-in.

    Tests start `RealtimeStandin(port=server.standin_port)` themselves, so each sees its own
    model sessions; they read the server's SQLite file directly and wait on its log lines.
    """

    def __init__(
        self, url: str, standin_port: int, database: Path, process: subprocess.Popen, env: dict[str, str]
    ) -> None:
        self.url, self.standin_port, self.database, self.process = url, standin_port, database, process
        self.env = env  # for management commands against the same database

    async def call_finalised(self, call_sid: str, timeout: float = 15) -> None:
        """Wait for daphne to log that it finalised the call (its rows are written by then)."""
        import asyncio

        found = await asyncio.to_thread(self.process.output.wait_for, f"call {call_sid} ended", timeout)
        assert found, self.process.output.tail()

    def rows(self, sql: str, *params) -> list[tuple]:
        """Query the server's database; `?` placeholders, on SQLite or PostgreSQL alike."""
        if self.env["DATABASE_URL"].startswith("postgres"):
            import psycopg

            with psycopg.connect(self.env["DATABASE_URL"]) as db:
                return db.execute(sql.replace("?", "%s"), params).fetchall()
        import sqlite3

        with sqlite3.connect(self.database) as db:
            return db.execute(sql, params).fetchall()


def e2e_database_url(workdir: Path) -> str:
    """The database of the servers started for `workdir`: a SQLite file in it or, in make test's
    PostgreSQL pass (DATABASE_URL=postgres://…), a database of its own on that cluster. Servers
    given the same workdir share it, as the scale-out test's two processes share one database."""
    outer = os.environ.get("DATABASE_URL", "")
    if not outer.startswith("postgres"):
        return f"sqlite:///{workdir / 'e2e.sqlite3'}"
    import hashlib

    import psycopg

    name = "e2e_" + hashlib.sha256(str(workdir).encode()).hexdigest()[:16]
    with psycopg.connect(outer, autocommit=True) as db:
        if db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            db.execute(f"CREATE DATABASE {name}")
    return f"{outer.rsplit('/', 1)[0]}/{name}"


@contextmanager
def call_server(workdir: Path, server_class: type[CallServer] = CallServer, **overrides: str) -> Iterator[CallServer]:
    """Migrate, seed the demo and serve it with daphne; the model URL points at the stand-in's port."""
    port, standin_port = free_port(), free_port()
    env = server_env(
        workdir,
        PUBLIC_URL=f"http://127.0.0.1:{port}",
        OPENAI_REALTIME_URL=f"ws://127.0.0.1:{standin_port}/v1/realtime",
        **{"DATABASE_URL": e2e_database_url(workdir), **overrides},
    )
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo")
    with daphne_server(env, port) as process:
        yield server_class(f"http://127.0.0.1:{port}", standin_port, workdir / "e2e.sqlite3", process, env)
