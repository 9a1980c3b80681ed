"""`make test`: five passes at once, each with pytest's own summary line, printed one after another.

The whole suite runs on SQLite (the embedded default) and the database-dependent suites on a
throwaway PostgreSQL cluster (tests/postgres_run.py). Each is split: the end-to-end tests (marked
`e2e`: real servers, sockets and real-time audio, mostly waiting) apart from the rest, and on
SQLite the end-to-end tests in two halves of about the same length (`E2E_FIRST_HALF`, named; the
second half is every other module, new ones included). On two cores the five together take
little longer than the longest alone.

The first pass's output streams; the others' is held and printed after it, in order. The exit
status is the first failure's. A pass that selects no test (pytest's status 5, when arguments
name only tests of the other half) is no failure.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from contextlib import ExitStack

from tests.servers import ROOT

NO_TESTS_COLLECTED = 5
# The browsers, the proxy and TLS, and the two post-call stacks (Celery workers): about half the
# end-to-end tests' time (2026-12-01: 335 s of 670 s, each module alone).
E2E_FIRST_HALF = {
    *("test_admin_browser.py", "test_admin_browser_outbound.py", "test_backoffice_browser.py"),
    *("test_recordings_browser.py", "test_sms_browser.py", "test_proxy.py", "test_tls.py"),
    *("test_e2e_postcall.py", "test_e2e_sms.py"),
}
MODULES = sorted(path.name for path in (ROOT / "tests").glob("test_*.py"))


def _only(names: set[str]) -> list[str]:
    return [f"--ignore=tests/{name}" for name in MODULES if name not in names]


PASSES = [
    ("SQLite pass: all but the end-to-end tests", ["pytest", "-m", "not e2e"]),
    ("SQLite pass: the end-to-end tests, first half", ["pytest", "-m", "e2e", *_only(E2E_FIRST_HALF)]),
    ("SQLite pass: the end-to-end tests, second half", ["pytest", "-m", "e2e", *_only(set(MODULES) - E2E_FIRST_HALF)]),
    # tests.postgres_run leaves the browser tests out; a later -m replaces its own.
    ("PostgreSQL pass: all but the end-to-end tests", ["tests.postgres_run", "-m", "not e2e and not browser"]),
    ("PostgreSQL pass: the end-to-end tests", ["tests.postgres_run", "-m", "e2e and not browser"]),
]


def main(argv: list[str]) -> int:
    (first_title, first), *rest = PASSES
    with ExitStack() as files:
        outputs = [files.enter_context(tempfile.TemporaryFile(mode="w+")) for _ in rest]
        held = [
            subprocess.Popen([sys.executable, "-m", *command, *argv], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
            for (_, command), out in zip(rest, outputs, strict=True)
        ]
        print(f"=== {first_title} (the other {len(rest)} passes run beside it; their output follows) ===", flush=True)
        statuses = [subprocess.call([sys.executable, "-m", *first, *argv], cwd=ROOT)]
        for (title, _), process, out in zip(rest, held, outputs, strict=True):
            statuses.append(process.wait())
            out.seek(0)
            print(f"=== {title} ===", flush=True)
            sys.stdout.write(out.read())
            sys.stdout.flush()
    return next((status for status in statuses if status not in (0, NO_TESTS_COLLECTED)), 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
