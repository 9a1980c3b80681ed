"""Real servers on loopback for integration tests: redis-server, PostgreSQL, daphne and nginx."""

from __future__ import annotations

import atexit
import os
import pwd
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bench.processes import PRODUCT_APP, celery_command, daphne_command, free_port, redis_command, uvicorn_command

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

    def wait_for_count(self, needle: str, count: int, timeout: float = 30) -> bool:
        """Like `wait_for`, for the `count`-th line containing the text (a server saying it again)."""

        def seen() -> int:
            return sum(needle in line for line in self.lines)

        with self._changed:
            self._changed.wait_for(lambda: seen() >= count or not self._open, timeout)
            return seen() >= count

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


def required_executable(name: str, require_variable: str) -> str:
    """The path of a Debian package's server binary; skip without it, unless CI requires it."""
    exe = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if exe is None:
        if os.environ.get(require_variable):
            pytest.fail(f"{name} is required here ({require_variable} is set) but is not installed")
        pytest.skip(f"{name} is not installed (apt-get install {name})")
    return exe


@contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    exe = required_executable("redis-server", "REQUIRE_REDIS")
    port = free_port()
    command = redis_command(exe, port, workdir)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_for_line(process, "Ready to accept connections", "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


PLIVO_E2E_TOKEN = "e2e-plivo-auth-token"


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
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "OPENAI_", "TWILIO_", "PLIVO_", "REDIS_"))
    }
    env.update(
        DEBUG="on",
        SECRET_KEY="test-secret-key-for-e2e-only",
        DATABASE_URL=f"sqlite:///{workdir / 'e2e.sqlite3'}",
        TWILIO_AUTH_TOKEN="e2e-auth-token",
        PLIVO_AUTH_TOKEN=PLIVO_E2E_TOKEN,
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="INFO",
        MEDIA_ROOT=str(workdir / "media"),  # recordings and uploads of this server only
    )
    env.update(overrides)
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True)


def _start(command: list[str], env: dict[str, str], own_session: bool) -> subprocess.Popen:
    """A project process, its output piped for `_wait_for_line`; `own_session`: as systemd starts services."""
    options = {"cwd": ROOT, "env": env, "stdout": subprocess.PIPE, "stderr": subprocess.STDOUT, "text": True}
    return subprocess.Popen(command, **options, start_new_session=own_session)


@contextmanager
def daphne_server(
    env: dict[str, str], port: int, server: str = "daphne", own_session: bool = False
) -> Iterator[subprocess.Popen]:
    """The product served by daphne (the default) or uvicorn (the optional media server)."""
    if server == "uvicorn":
        command, ready = uvicorn_command(port, log_level="info"), "Uvicorn running on"
    else:
        command, ready = daphne_command(port), "Listening on TCP address"
    with daphne_process(env, command, ready, own_session) as process:
        yield process


@contextmanager
def daphne_process(
    env: dict[str, str], command: list[str], ready: str = "Listening on TCP address", own_session: bool = False
) -> Iterator[subprocess.Popen]:
    """The server started with `command`, once it logs `ready`; `process.output` reads its log.

    `own_session`: started as systemd starts a service, leading a session of its own.
    """
    process = _start(command, env, own_session)
    try:
        process.output = _wait_for_line(process, ready, command[2])
        yield process
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def celery_worker(env: dict[str, str], own_session: bool = False) -> Iterator[subprocess.Popen]:
    """A real `celery -A voiceagent worker` (prefork, one child) on the broker in env's REDIS_URL.

    `process.output.wait_for(...)` waits on its log lines (task results, our services' INFO lines).
    `own_session`: started as systemd starts a service, leading a session of its own.
    """
    process = _start(celery_command("e2e", 1), env, own_session)
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

    name = "e2e_" + hashlib.sha256(str(workdir).encode()).hexdigest()[:16]
    return f"{outer.rsplit('/', 1)[0]}/{name}"


def migrate(env: dict[str, str]) -> None:
    """`manage.py migrate` for a server's database. A new one is a copy of a database this test
    process migrated once: migrating takes some 5 s of CPU, and every end-to-end module starts a server."""
    url = env["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            shutil.copyfile(_migrated_template(env, "sqlite"), path)
            return
    elif url.startswith("postgres"):
        import psycopg

        cluster, name = url.rsplit("/", 1)
        with psycopg.connect(f"{cluster}/postgres", autocommit=True) as db:
            if db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
                db.execute(f"CREATE DATABASE {name} TEMPLATE {_migrated_template(env, cluster)}")
                return
    manage(env, "migrate", "--noinput")  # a database a server of the same workdir already uses


_templates: dict[str, str] = {}  # "sqlite" or a PostgreSQL cluster's URL: the migrated database to copy


def _migrated_template(env: dict[str, str], engine: str) -> str:
    if engine not in _templates:
        if engine == "sqlite":
            import sqlite3

            directory = tempfile.mkdtemp(prefix="migrated-")
            atexit.register(shutil.rmtree, directory, ignore_errors=True)
            path = Path(directory) / "template.sqlite3"
            manage({**env, "DATABASE_URL": f"sqlite:///{path}"}, "migrate", "--noinput")
            with sqlite3.connect(path) as db:
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # all of it in the one file that is copied
            _templates[engine] = str(path)
        else:
            import psycopg

            name = f"e2e_template_{os.getpid()}_{secrets.token_hex(4)}"  # pids are reused
            with psycopg.connect(f"{engine}/postgres", autocommit=True) as db:
                db.execute(f"CREATE DATABASE {name}")
            manage({**env, "DATABASE_URL": f"{engine}/{name}"}, "migrate", "--noinput")
            _templates[engine] = name
    return _templates[engine]


def superuser_env(username: str, password: str) -> dict[str, str]:
    """The variables with which `seed_demo` makes a staff login (see CONTRACT.md)."""
    return {
        "DJANGO_SUPERUSER_USERNAME": username,
        "DJANGO_SUPERUSER_PASSWORD": password,
        "DJANGO_SUPERUSER_EMAIL": f"{username}@example.com",
    }


@contextmanager
def call_server(
    workdir: Path,
    server_class: type[CallServer] = CallServer,
    server: str = "daphne",
    own_session: bool = False,
    **overrides: str,
) -> Iterator[CallServer]:
    """Migrate, seed the demo and serve it with daphne (or uvicorn); the model URL points at the stand-in's port."""
    port, standin_port = free_port(), free_port()
    env = server_env(
        workdir,
        PUBLIC_URL=f"http://127.0.0.1:{port}",
        OPENAI_REALTIME_URL=f"ws://127.0.0.1:{standin_port}/v1/realtime",
        **{"DATABASE_URL": e2e_database_url(workdir), **overrides},
    )
    migrate(env)
    manage(env, "seed_demo")
    with daphne_server(env, port, server, own_session) as process:
        yield server_class(f"http://127.0.0.1:{port}", standin_port, workdir / "e2e.sqlite3", process, env)


# --- TLS and the proxy: README, *Production* ----------------------------------------------


class PrivateCertificates:
    """A private root CA (trustme), an intermediate under it, and a certificate for localhost
    issued by the intermediate, as a real CA's are: the server must send the chain.

    The files are named as certbot names them: `cert` (the certificate alone), `chain` (the
    intermediate), `fullchain` (both), `key`. Clients trust `ca`, the root, only. `issue()`
    replaces the certificate and key in place, as a renewal does.
    """

    def __init__(self, directory: Path) -> None:
        import trustme

        root = trustme.CA(organization_name="voiceagent tests")
        self._issuer = root.create_child_ca()
        self.ca, self.key = directory / "ca.pem", directory / "privkey.pem"
        self.cert, self.chain, self.fullchain = (directory / f"{n}.pem" for n in ("cert", "chain", "fullchain"))
        root.cert_pem.write_to_path(self.ca)
        self.issue()

    def issue(self) -> None:
        """A new certificate and key in the files; `der` is the new certificate."""
        issued = self._issuer.issue_cert("localhost", "127.0.0.1")
        leaf, *intermediates = (pem.bytes() for pem in issued.cert_chain_pems)
        issued.private_key_pem.write_to_path(self.key)
        self.cert.write_bytes(leaf)
        self.chain.write_bytes(b"".join(intermediates))
        self.fullchain.write_bytes(leaf + b"".join(intermediates))
        self.der = ssl.PEM_cert_to_DER_cert(leaf.decode())

    def served_by(self, port: int) -> bytes:
        """The certificate (DER) a TLS server on localhost:port presents, verified against the CA."""
        context = ssl.create_default_context(cafile=self.ca)
        with (
            socket.create_connection(("127.0.0.1", port)) as raw,
            context.wrap_socket(raw, server_hostname="localhost") as tls,
        ):
            return tls.getpeercert(binary_form=True)


# The two ways README's *Production* runs daphne, on loopback and on a free port.
def daphne_tls_command(port: int, certs: PrivateCertificates) -> list[str]:
    """daphne serving https:// and wss:// itself, from its TLS endpoint string."""
    endpoint = (
        f"ssl:{port}:interface=127.0.0.1:privateKey={certs.key}:certKey={certs.cert}:extraCertChain={certs.chain}"
    )
    return [sys.executable, "-m", "daphne", "-e", endpoint, PRODUCT_APP]


def daphne_proxied_command(port: int) -> list[str]:
    """daphne behind the proxy: plain HTTP on loopback, the client address from X-Forwarded-For."""
    return [sys.executable, "-m", "daphne", "--proxy-headers", "-b", "127.0.0.1", "-p", str(port), PRODUCT_APP]


def uvicorn_proxied_command(port: int) -> list[str]:
    """uvicorn behind the proxy, as README's *Production* starts it: the client address and scheme
    from X-Forwarded-For and X-Forwarded-Proto, trusted from nginx's address only. (uvicorn 0.54's
    defaults trust loopback already; with `--no-proxy-headers` the login test fails with a 403.)"""
    return [*uvicorn_command(port, log_level="info"), "--proxy-headers", "--forwarded-allow-ips", "127.0.0.1"]


NGINX_SITE = ROOT / "deploy" / "nginx" / "voiceagent.conf"
# What Debian's /etc/nginx/nginx.conf provides around the site file, kept to a temporary prefix.
# One worker holds one round-robin state: consecutive requests alternate between the daphnes.
NGINX_MAIN = """daemon off;
worker_processes 1;
{user}pid {prefix}/nginx.pid;
error_log stderr notice;
events {{ worker_connections 256; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {site};
}}
"""


def render_nginx_site(port: int, upstream_ports: tuple[int, int], certs: PrivateCertificates, static: Path) -> str:
    """deploy/nginx/voiceagent.conf with only its ports and paths replaced."""
    text = NGINX_SITE.read_text()
    substitutions = {
        "listen 443 ssl;": f"listen 127.0.0.1:{port} ssl;",
        "127.0.0.1:8001": f"127.0.0.1:{upstream_ports[0]}",
        "127.0.0.1:8002": f"127.0.0.1:{upstream_ports[1]}",
        "/etc/ssl/voice/fullchain.pem": str(certs.fullchain),
        "/etc/ssl/voice/privkey.pem": str(certs.key),
        "/srv/voiceagent/staticfiles/": f"{static}/",
    }
    for production, here in substitutions.items():
        assert production in text, f"{production!r} is no longer in {NGINX_SITE}: update the test with it"
        text = text.replace(production, here)
    return text


class Nginx:
    """A running nginx; `reload()` is `nginx -s reload`, waiting until the old worker lets go."""

    def __init__(self, command: list[str], process: subprocess.Popen) -> None:
        self.command, self.process, self.reloads = command, process, 0

    def reload(self) -> None:
        subprocess.run([*self.command, "-s", "reload"], check=True, capture_output=True)
        self.reloads += 1
        # The old worker is told to shut down once the new ones run with the new configuration.
        found = self.process.output.wait_for_count("gracefully shutting down", self.reloads)
        assert found, self.process.output.tail()


@contextmanager
def nginx_server(
    workdir: Path, port: int, upstream_ports: tuple[int, int], certs: PrivateCertificates
) -> Iterator[Nginx]:
    """Debian's nginx in the foreground, with the site file in front of two daphne ports."""
    exe = required_executable("nginx", "REQUIRE_NGINX")
    prefix = workdir / "nginx"
    (prefix / "static").mkdir(parents=True)
    site = prefix / "voiceagent.conf"
    site.write_text(render_nginx_site(port, upstream_ports, certs, prefix / "static"))
    user = "user root;\n" if os.geteuid() == 0 else ""  # as root (CI), workers would run as nobody
    (prefix / "nginx.conf").write_text(NGINX_MAIN.format(user=user, prefix=prefix, site=site))
    command = [exe, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", "stderr"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        process.output = _wait_for_line(process, "start worker process ", "nginx")
        yield Nginx(command, process)
    finally:
        process.terminate()  # SIGTERM: fast shutdown, open connections closed
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def tls_call_server(workdir: Path, certs: PrivateCertificates, **overrides: str) -> Iterator[CallServer]:
    """`call_server`, with daphne serving https:// and wss:// itself on localhost's own certificate."""
    port, standin_port = free_port(), free_port()
    overrides.setdefault("PUBLIC_URL", f"https://localhost:{port}")
    env = server_env(workdir, OPENAI_REALTIME_URL=f"ws://127.0.0.1:{standin_port}/v1/realtime", **overrides)
    migrate(env)
    manage(env, "seed_demo")
    with daphne_process(env, daphne_tls_command(port, certs)) as process:
        yield CallServer(f"https://localhost:{port}", standin_port, workdir / "e2e.sqlite3", process, env)
