"""Benchmark: calls_matching (calls/search.py) over 100,000 transcript turns, on PostgreSQL and SQLite.

    .venv/bin/python bench/search.py [--turns 100000] [--repeat 7]     (make bench-search)

For each engine, a child process migrates an empty database (a throwaway PostgreSQL cluster,
tests/servers.py; a SQLite file in WAL mode, as settings.py configures it), fills it with calls of
ten turns each from a fixed vocabulary, with a few words of known frequency mixed in, and times
what the admin list and the MCP `search_calls` tool run: the first page of 20 matching calls,
newest first, and the count of all of them. Each figure is the median of --repeat runs after one
warm-up. On PostgreSQL it prints the plan (EXPLAIN ANALYZE) of the page query: the GIN index at work.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TURNS_PER_CALL = 10
FILLER = " ".join(
    (
        "hello thanks for calling how can i help you today yes no please could you tell me the",
        "about my account order number name address phone email week tomorrow morning afternoon",
        "evening price cost time open close late early speak someone manager office call back later",
        "again sure great okay understand sorry problem question information wait moment check",
        "system service delivery package letter payment card bill month year help line",
    )
).split()  # the words of ordinary calls, drawn at random
# (word, share of turns that say it): a query's cost grows with how many turns match it.
PLANTED = [("appointment", 0.05), ("refund", 0.005), ("boiler", 0.0005), ("leaking", 0.0005)]
QUERIES = ["boiler", "leaking boiler", "refund", "appointments", "appointment tomorrow"]


def turn_text(rng: random.Random) -> str:
    words = rng.choices(FILLER, k=rng.randint(6, 18))
    for word, share in PLANTED:
        if rng.random() < share:
            words.insert(rng.randrange(len(words) + 1), word)
    if "boiler" in words and "leaking" not in words and rng.random() < 0.5:
        words.insert(words.index("boiler"), "leaking")
    return " ".join(words).capitalize() + "."


def fill(turns: int) -> None:
    from calls.models import Call, CallStatus, Role, TranscriptItem

    rng = random.Random(21)
    for first in range(0, turns // TURNS_PER_CALL, 1000):
        calls = Call.objects.bulk_create(
            Call(
                call_sid=f"CA-bench-{index:08d}", from_number="+15550100001", to_number="+15005550006",
                status=CallStatus.COMPLETED, summary=turn_text(rng) + " " + turn_text(rng),
            )
            for index in range(first, min(first + 1000, turns // TURNS_PER_CALL))
        )  # fmt: skip
        TranscriptItem.objects.bulk_create(
            TranscriptItem(call=call, order=order, role=(Role.AGENT, Role.CALLER)[order % 2], text=turn_text(rng))
            for call in calls
            for order in range(TURNS_PER_CALL)
        )


def median_ms(work, repeat: int) -> float:
    work()  # warm-up: caches and plans
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def child(turns: int, repeat: int) -> None:
    """Runs under the DATABASE_URL of one engine; prints one JSON line of results."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceagent.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from calls.models import Call, TranscriptItem
    from calls.search import calls_matching

    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    fill(turns)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    result = {"engine": connection.vendor, "turns": TranscriptItem.objects.count(), "calls": Call.objects.count()}
    result["fill_s"] = round(time.perf_counter() - start, 1)
    rows = []
    for text in QUERIES:
        matching = calls_matching(Call.objects.all(), text)
        page = median_ms(lambda matching=matching: list(matching[:20]), repeat)
        count = median_ms(matching.count, repeat)
        rows.append({"text": text, "calls": matching.count(), "page_ms": round(page, 2), "count_ms": round(count, 2)})
    result["queries"] = rows
    if connection.vendor == "postgresql":
        result["plan"] = calls_matching(Call.objects.all(), "boiler")[:20].explain(analyze=True)
    print(json.dumps(result), flush=True)


def run_engine(url: str, turns: int, repeat: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env |= {"DATABASE_URL": url, "DEBUG": "off", "SECRET_KEY": "bench-search-" + "x" * 40, "LOG_LEVEL": "WARNING"}
    env |= {"TWILIO_AUTH_TOKEN": "bench-search-token"}
    command = [sys.executable, __file__, "--child", "--turns", str(turns), "--repeat", str(repeat)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"the {url.split(':')[0]} run failed:\n{done.stdout}{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(result: dict) -> None:
    print(
        f"\n{result['engine']}: {result['turns']:,} turns in {result['calls']:,} calls (filled in {result['fill_s']} s)"
    )
    print(f"  {'text':<22} {'calls':>7} {'first 20 (ms)':>14} {'count (ms)':>11}")
    for row in result["queries"]:
        print(f"  {row['text']:<22} {row['calls']:>7} {row['page_ms']:>14.2f} {row['count_ms']:>11.2f}")
    if "plan" in result:
        print("  plan of the first page for 'boiler':")
        print("\n".join("    " + line for line in result["plan"].splitlines()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.turns, args.repeat)
        return
    from tests.servers import postgres_bindir, postgres_cluster

    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    if postgres_bindir() is None:
        print("PostgreSQL is not installed (apt-get install postgresql): SQLite only")
    else:
        with postgres_cluster() as url:
            report(run_engine(url, args.turns, args.repeat))
    with tempfile.TemporaryDirectory(prefix="bench-search-") as workdir:
        report(run_engine(f"sqlite:///{Path(workdir) / 'search.sqlite3'}", args.turns, args.repeat))


if __name__ == "__main__":
    main()
