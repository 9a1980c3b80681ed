"""`make test`'s second pass: the database-sensitive suites on a throwaway PostgreSQL cluster.

`python -m tests.postgres_run [pytest arguments]` starts a cluster (tests/servers.py), points
DATABASE_URL at it and runs pytest. Without PostgreSQL installed it prints one line and skips,
unless REQUIRE_POSTGRES is set (as in CI), which makes that a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys

from tests.servers import ROOT, postgres_bindir, postgres_cluster

# Everything whose behaviour depends on the database engine: models and services, webhooks and
# rate limits, the call writer, post-call claims, the admin's queries, search, migrations.
# The end-to-end tests' daphne processes (tests/servers.py call_server) get a database of their own
# on the cluster, so calls, the stale-call sweep and the two scale-out processes run on PostgreSQL.
# Left to the SQLite pass, where the engine makes no difference: the sans-io core, wire formats,
# signatures and the carriers' REST fakes, the stand-ins, TLS and the proxy, Redis, the server's
# start; and processes that keep a SQLite file of their own (the benchmark's, the post-call stack's).
# Also the server and the command that only repeat test_e2e's calls: uvicorn instead of daphne, and
# `simulate_call`'s printing (test_e2e runs those calls on PostgreSQL).
SQLITE_PASS_ONLY = [
    *("test_bridge_*.py", "test_hardening.py", "test_*_wire.py", "test_*_signatures.py", "test_*_control.py"),
    *("test_standin.py", "test_text_standin.py", "test_tls.py", "test_proxy*.py", "test_redis_layer.py"),
    *("test_server_start.py", "test_bench.py", "test_e2e_postcall.py", "test_e2e_sms.py"),
    *("test_uvicorn.py", "test_simulator_command.py"),
]
SUITES = ["tests", *(f"--ignore-glob=tests/{pattern}" for pattern in SQLITE_PASS_ONLY)]
EXCLUDE = "not browser"  # slow, and nothing in them depends on the engine


def main(argv: list[str]) -> int:
    bindir = postgres_bindir()
    if bindir is None:
        if os.environ.get("REQUIRE_POSTGRES"):
            print("PostgreSQL pass FAILED: REQUIRE_POSTGRES is set but initdb is not installed", flush=True)
            return 1
        print("PostgreSQL pass skipped: PostgreSQL is not installed (apt-get install postgresql)", flush=True)
        return 0
    with postgres_cluster() as url:
        print(f"=== PostgreSQL pass: {bindir.parent.name} throwaway cluster, {url.rsplit('@', 1)[1]} ===", flush=True)
        env = {**os.environ, "DATABASE_URL": url}
        return subprocess.call(pytest_command(argv), cwd=ROOT, env=env)


def pytest_command(argv: list[str]) -> list[str]:
    """pytest over SUITES, or over the files or tests named in `argv` (its options passed on)."""
    chosen = [arg for arg in argv if (ROOT / arg.split("::")[0]).exists()]
    return [sys.executable, "-m", "pytest", "-m", EXCLUDE, *([] if chosen else SUITES), *argv]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
