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
# Left out: the benchmark's and the post-call stack's processes (a SQLite file of their own), and
# the browser tests (slow, and nothing in them depends on the engine).
SUITES = ["tests", "--ignore=tests/test_bench.py", "--ignore=tests/test_e2e_postcall.py"]
EXCLUDE = "not browser"


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
        chosen = [arg for arg in argv if not arg.startswith("-")]  # paths given: those instead of SUITES
        command = [sys.executable, "-m", "pytest", "-m", EXCLUDE, *([] if chosen else SUITES), *argv]
        return subprocess.call(command, cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
