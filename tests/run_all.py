"""`make test`: five passes at once, each with pytest's own summary line, printed one after another.

The whole suite runs on SQLite (the embedded default) and the database-dependent suites on a
throwaway PostgreSQL cluster (tests/postgres_run.py). Each is split: the end-to-end tests (marked
`e2e`: real servers, sockets and real-time audio, mostly waiting) apart from the rest, and on
SQLite the end-to-end tests in two halves of about the same length (`E2E_FIRST_HALF`, named; the
second half is every other module, new ones included). On two cores the five together take
little longer than the longest alone.

The first pass's output streams; the others' is held and printed after it, in order. The exit
status is the first failure's. Arguments go to every pass, but a named test file only to the
half it belongs to; a pass that selects no test (pytest's status 5) is no failure, unless none
selects any. An `-m` of your own replaces each pass's.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from contextlib import ExitStack

from tests.servers import ROOT

NO_TESTS_COLLECTED = 5
# The browsers, the proxy and TLS, the two post-call stacks (Celery workers) and the calls whose
# writes run in database workers: about half the end-to-end tests' time (2026-12-01: 335 s of
# 670 s, each module alone, before test_e2e_db_processes.py; in CI on 2026-12-02, 39 tests
# against 39, 429 and 461 s against 429 and 461, in two runs).
E2E_FIRST_HALF = {
    *("test_admin_browser.py", "test_admin_browser_outbound.py", "test_backoffice_browser.py"),
    *("test_recordings_browser.py", "test_sms_browser.py", "test_proxy.py", "test_tls.py"),
    *("test_e2e_postcall.py", "test_e2e_sms.py", "test_e2e_db_processes.py"),
}
MODULES = sorted(path.name for path in (ROOT / "tests").glob("test_*.py"))


def _only(names: set[str]) -> list[str]:
    return [f"--ignore=tests/{name}" for name in MODULES if name not in names]


SECOND_HALF = set(MODULES) - E2E_FIRST_HALF
PASSES: list[tuple[str, list[str], set[str] | None]] = [
    ("SQLite pass: all but the end-to-end tests", ["pytest", "-m", "not e2e"], None),
    ("SQLite pass: the end-to-end tests, first half", ["pytest", "-m", "e2e"], E2E_FIRST_HALF),
    ("SQLite pass: the end-to-end tests, second half", ["pytest", "-m", "e2e"], SECOND_HALF),
    # tests.postgres_run leaves the browser tests out; a later -m replaces its own.
    ("PostgreSQL pass: all but the end-to-end tests", ["tests.postgres_run", "-m", "not e2e and not browser"], None),
    ("PostgreSQL pass: the end-to-end tests", ["tests.postgres_run", "-m", "e2e and not browser"], None),
]


def _test_file(arg: str) -> str | None:
    path = ROOT / arg.split("::")[0]
    return path.name if path.is_file() and path.parent == ROOT / "tests" else None


def pass_arguments(half: set[str] | None, argv: list[str]) -> list[str] | None:
    """A pass's share of `argv`: the named test files of its half (pytest never ignores a named
    file), or the --ignore list of the other half when none is named. None: nothing named is its."""
    if half is None:
        return argv
    if not any(_test_file(arg) for arg in argv):
        return [*_only(half), *argv]
    mine = [arg for arg in argv if _test_file(arg) in (None, *half)]
    return mine if any(_test_file(arg) for arg in mine) else None


def main(argv: list[str]) -> int:
    (first_title, first, _), *rest = PASSES
    with ExitStack() as files:
        held = []
        for _, command, half in rest:
            arguments = pass_arguments(half, argv)
            if arguments is None:
                held.append(None)
                continue
            out = files.enter_context(tempfile.TemporaryFile(mode="w+"))
            process = subprocess.Popen(
                [sys.executable, "-m", *command, *arguments], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
            )
            held.append((process, out))
        print(f"=== {first_title} (the other {len(rest)} passes run beside it; their output follows) ===", flush=True)
        statuses = [subprocess.call([sys.executable, "-m", *first, *argv], cwd=ROOT)]
        for (title, _, _), running in zip(rest, held, strict=True):
            if running is None:
                print(f"=== {title}: none of the files named is in it ===", flush=True)
                statuses.append(NO_TESTS_COLLECTED)
                continue
            process, out = running
            statuses.append(process.wait())
            out.seek(0)
            print(f"=== {title} ===", flush=True)
            sys.stdout.write(out.read())
            sys.stdout.flush()
    if all(status == NO_TESTS_COLLECTED for status in statuses):
        return NO_TESTS_COLLECTED  # nothing anywhere matched what was asked
    return next((status for status in statuses if status not in (0, NO_TESTS_COLLECTED)), 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
