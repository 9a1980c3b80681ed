"""Benchmark: what recording costs the event loop, per call (recordings/recorder.py).

    .venv/bin/python bench/recording.py [--seconds 600] [--repeat 5]

Feeds a `Recorder` a call of --seconds: a caller frame every 20 ms, agent audio sent (100 ms
chunks) half the time, a clear every 10 s, the once-a-second spool writes included, on a local
temporary directory. Prints the median total and the cost per 20 ms caller frame.
"""

from __future__ import annotations

import argparse
import base64
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recordings.recorder import Recorder

FRAME = base64.b64encode(bytes([0x80]) * 160).decode()
CHUNK = base64.b64encode(bytes([0x55]) * 800).decode()


def one_call(directory: Path, seconds: int) -> tuple[float, int]:
    recorder = Recorder(directory / "call.wav", 0.0)
    frames = seconds * 50
    began = time.perf_counter()
    for i in range(1, frames + 1):
        now = i * 20.0
        recorder.caller(FRAME, now)
        if i % 10 < 5:
            recorder.sent(CHUNK, now)
        if i % 500 == 0:
            recorder.cleared(now)
    recorder.finish(frames * 20.0)
    return time.perf_counter() - began, (directory / "call.wav").stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        runs = [one_call(Path(directory), args.seconds) for _ in range(args.repeat)]
    total = statistics.median(run[0] for run in runs)
    print(f"python {platform.python_version()}, {args.seconds} s call, median of {args.repeat}")
    print(f"total {total * 1000:.0f} ms, {total / (args.seconds * 50) * 1e6:.1f} us per 20 ms frame")
    print(f"file {runs[0][1] / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
