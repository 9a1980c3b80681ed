"""`make test`: the two passes at once, the PostgreSQL pass's output printed after the SQLite pass's.

Most of the suite waits on sockets and real-time audio rather than the CPU, so on two cores the
passes together take little longer than the SQLite pass alone. Each keeps its own summary line;
the exit status is the first failure's.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile

from tests.servers import ROOT


def main(argv: list[str]) -> int:
    with tempfile.TemporaryFile(mode="w+") as postgres_output:
        postgres = subprocess.Popen(
            [sys.executable, "-m", "tests.postgres_run", *argv],
            cwd=ROOT,
            stdout=postgres_output,
            stderr=subprocess.STDOUT,
            text=True,
        )
        print("=== SQLite pass: the whole suite (the PostgreSQL pass runs beside it; its output follows) ===")
        sys.stdout.flush()
        sqlite = subprocess.call([sys.executable, "-m", "pytest", *argv], cwd=ROOT)
        status = postgres.wait()
        postgres_output.seek(0)
        sys.stdout.write(postgres_output.read())
    return sqlite or status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
