"""The processes a benchmark run starts: daphne, the stand-in, and optionally Redis and Celery.

With `redis-server` installed the run takes the production shape (README, *Production*):
channels-redis between processes and post-call work on a Celery worker, not in daphne's threads.
Without it, the embedded defaults: in-memory channel layer, post-call work in daphne's threads.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-auth-token"
SEED = """
from agents.models import AccessPolicy, Agent, Caller, PhoneNumber
PhoneNumber.objects.filter(number="+15005550006").update(access_policy=AccessPolicy.ANYONE)
if {no_recording}:  # --no-recording: as the code before recordings (issue #13's comparison)
    Agent.objects.update(record_calls=False)
    PhoneNumber.objects.update(record_calls="")
Caller.objects.bulk_create(
    [Caller(number=f"+1555030{i:04d}", name=f"bench-{i:04d}") for i in range({n})], ignore_conflicts=True
)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The commands are shared with the tests' real servers (tests/servers.py).
def redis_command(exe: str, port: int, workdir: Path) -> list[str]:
    return [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(workdir)]


PRODUCT_APP = "voiceagent.asgi:application"
FLOOR_APP = "bench.floor_app:app"  # the same traffic with nothing behind it (bench/floor_app.py)


def daphne_command(port: int, app: str = PRODUCT_APP) -> list[str]:
    """`daphne <app>`; by default `voiceagent.asgi:application`, as production runs it (CONTRACT.md)."""
    return [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), app]


def uvicorn_command(port: int, app: str = PRODUCT_APP, log_level: str = "warning") -> list[str]:
    """The optional server for the media path (README, *Production*): uvicorn on uvloop and httptools,
    its websockets on websockets' sans-I/O protocol (uvicorn's `--ws websockets` is the deprecated
    one on websockets' legacy server, which cost more CPU and had longer tails: README, *Benchmark*).

    No ASGI lifespan (Channels' router has none; the MCP mount starts itself, as under daphne) and
    no permessage-deflate: carriers do not ask for it, and compressing base64 audio costs CPU for little.
    """
    return [
        *(sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)),
        *("--loop", "uvloop", "--http", "httptools", "--ws", "websockets-sansio", "--ws-per-message-deflate", "false"),
        *("--lifespan", "off", "--no-access-log", "--log-level", log_level),
    ]


SERVERS = {"daphne": daphne_command, "uvicorn": uvicorn_command}


def celery_command(name: str, concurrency: int) -> list[str]:
    return [
        *(sys.executable, "-m", "celery", "-A", "voiceagent", "worker", "-l", "info", "-c", str(concurrency)),
        *("--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"{name}-{os.getpid()}@%h"),
    ]


def wait_for_log(process: subprocess.Popen, log: Path, needle: str, what: str, timeout: float = 30) -> None:
    """Wait until the process writes `needle` (its own words for "ready") to its log; stop it if it never does."""
    deadline = time.monotonic() + timeout
    while needle not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            raise RuntimeError(f"{what} did not start:\n{log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.1)  # a log file being written: nothing to await


def stop(process: subprocess.Popen) -> None:
    """Terminate the process and everything it started (each runs in a session of its own)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


def launch(command: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    with open(log, "w") as out:
        options = {"cwd": ROOT, "env": env, "stdout": out, "stderr": subprocess.STDOUT}
        return subprocess.Popen(command, **options, start_new_session=True)


class StandinProcess:
    """bench/standin_process.py, driven over its stdin and stdout."""

    def __init__(self, chunk_ms: int, pace: float) -> None:
        script = [sys.executable, str(ROOT / "bench" / "standin_process.py")]
        self.process = self._start([*script, "--chunk-ms", str(chunk_ms), "--pace", str(pace)])
        self.text_process = self._start([*script, "--text-api"])  # the summaries, apart (see its docstring)
        self.port = json.loads(self.process.stdout.readline())["port"]
        self.text_port = json.loads(self.text_process.stdout.readline())["text_port"]

    @staticmethod
    def _start(command: list[str]) -> subprocess.Popen:
        return subprocess.Popen(command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def collect(self) -> dict:
        """{"sessions": [...], "stalls": [[time, ms], ...]} once every model session has closed."""
        self.process.stdin.write("collect\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        for process in (self.process, self.text_process):
            try:
                process.stdin.write("quit\n")
                process.stdin.flush()
                process.wait(10)
            except (OSError, subprocess.TimeoutExpired):  # it died or hangs: the run's own error says why
                process.kill()
                process.wait(5)


def start_redis(workdir: Path) -> tuple[subprocess.Popen, str] | None:
    exe = shutil.which("redis-server")
    if exe is None:
        return None
    port = free_port()
    process = launch(redis_command(exe, port, workdir), workdir / "redis.log")
    wait_for_log(process, workdir / "redis.log", "Ready to accept connections", "redis-server")
    return process, f"redis://127.0.0.1:{port}/0"


def server_env(workdir: Path, port: int, standin: StandinProcess, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "TWILIO_", "REDIS_", "DJANGO_"))}
    env |= {
        "DEBUG": "off",  # production settings: no query log, nothing kept for debugging
        "SECRET_KEY": "bench-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "TWILIO_AUTH_TOKEN": TOKEN,
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "OPENAI_REALTIME_URL": f"ws://127.0.0.1:{standin.port}/v1/realtime",
        "OPENAI_BASE_URL": f"http://127.0.0.1:{standin.text_port}/v1",  # the post-call summaries
        "REDIS_URL": redis_url,
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    return env


def prepare_database(env: dict[str, str], callers: int, recording: bool = True) -> None:
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*manage, "seed_demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    seed = SEED.replace("{n}", str(callers)).replace("{no_recording}", str(not recording))
    subprocess.run([*manage, "shell", "-c", seed], cwd=ROOT, env=env, check=True, capture_output=True)


def start_server(env: dict[str, str], port: int, log: Path, app: str = PRODUCT_APP, server: str = "daphne"):
    return launch(SERVERS[server](port, app), log, env)


def start_celery(env: dict[str, str], log: Path) -> subprocess.Popen:
    process = launch(celery_command("bench", 2), log, env)
    wait_for_log(process, log, " ready.", "celery worker")
    return process
