"""Benchmark: the MCP `search_calls` query over a large call history on SQLite.

    .venv/bin/python bench/mcp_search.py --turns 100000

Builds a fresh SQLite database (WAL, as the server runs it) of calls with `--turns-per-call`
transcript turns each and a summary, then times the search the `search_calls` tool runs
(mcp_server.selectors.search_calls: the query and the rows it returns) as a superuser, who may
view every call. Prints a Markdown table: median and p95 of `--runs` repetitions per query.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.measure import percentile

WORDS = [
    "appointment",
    "booking",
    "invoice",
    "delivery",
    "refund",
    "opening",
    "hours",
    "address",
    "parking",
    "tomorrow",
    "friday",
    "morning",
    "afternoon",
    "price",
    "quote",
    "repair",
    "warranty",
    "order",
    "cancel",
    "reschedule",
    "message",
    "manager",
    "thanks",
]
RARE = "zeppelin"  # said in one call in a thousand
BATCH = 5_000


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14))).capitalize() + "."


def build(turns: int, per_call: int) -> None:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from agents.models import Agent
    from calls.models import Call, CallStatus, Role, TranscriptItem

    call_command("migrate", verbosity=0)
    get_user_model().objects.create_superuser("bench", password="bench-only-password")
    agents = [Agent.objects.create(name=name, instructions=".", greeting=".") for name in ("Front", "Sales", "Night")]
    rng, now, calls = random.Random(16), timezone.now(), turns // per_call
    for start in range(0, calls, BATCH):
        batch = [
            Call(
                call_sid=f"CA{i:032d}",
                agent=agents[i % 3],
                from_number=f"+1555020{i % 5000:04d}",
                to_number="+15005550006",
                status=CallStatus.COMPLETED,
                end_reason="caller_hung_up",
                summary=sentence(rng),
            )
            for i in range(start, min(start + BATCH, calls))
        ]
        created = Call.objects.bulk_create(batch)
        items = [
            TranscriptItem(
                call=call,
                order=order,
                role=Role.CALLER if order % 2 else Role.AGENT,
                text=sentence(rng) + (f" The {RARE}." if order == 1 and call.pk % 1000 == 7 else ""),
            )
            for call in created
            for order in range(per_call)
        ]
        TranscriptItem.objects.bulk_create(items, batch_size=BATCH)
    # auto_now_add stamped every call now: spread them over 90 days, as a real history is.
    with transaction.atomic():
        for call_id in Call.objects.values_list("pk", flat=True):
            spread = timedelta(minutes=(call_id * 131) % (90 * 24 * 60))
            Call.objects.filter(pk=call_id).update(started_at=now - spread)


def queries() -> dict[str, dict]:
    from django.utils import timezone

    week_ago = timezone.now() - timedelta(days=7)
    return {
        f"text, rare word ({RARE!r})": {"text": RARE},
        "text, common word ('refund')": {"text": "refund"},
        "text, no match ('xylophone')": {"text": "xylophone"},
        "number (either party)": {"number": "+15550200042"},
        "agent + since 7 days": {"agent": "sales", "since": week_ago},
        "text + agent + since 7 days": {"text": "invoice", "agent": "night", "since": week_ago},
    }


def measure(runs: int) -> list[tuple[str, int, float, float]]:
    from django.contrib.auth import get_user_model

    from mcp_server.selectors import search_calls

    user = get_user_model().objects.get(username="bench")
    rows = []
    for name, criteria in queries().items():
        found, samples = 0, []
        for _ in range(runs):
            started = time.perf_counter()
            found = len(search_calls(user=user, limit=20, **criteria))
            samples.append((time.perf_counter() - started) * 1000)
        rows.append((name, found, percentile(samples, 50), percentile(samples, 95)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=100_000)
    parser.add_argument("--turns-per-call", type=int, default=10)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="mcp-search-") as workdir:
        run(args, Path(workdir))


def run(args: argparse.Namespace, workdir: Path) -> None:
    os.environ.update(
        DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite3'}",
        DEBUG="off",
        SECRET_KEY="bench-only-secret-key",
        TWILIO_AUTH_TOKEN="bench-auth-token",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="voiceagent.settings",
    )
    import django

    django.setup()
    from django.db import connection

    started = time.perf_counter()
    build(args.turns, args.turns_per_call)
    from calls.models import Call, TranscriptItem

    calls, turns = Call.objects.count(), TranscriptItem.objects.count()
    print(f"{calls} calls, {turns} transcript turns, built in {time.perf_counter() - started:.1f} s")
    print(f"SQLite {connection.Database.sqlite_version}, {args.runs} runs per query, limit 20\n")
    print("| search_calls | calls found | median ms | p95 ms |\n| --- | --- | --- | --- |")
    for name, found, median, p95 in measure(args.runs):
        print(f"| {name} | {found} | {median:.1f} | {p95:.1f} |")
    connection.close()


if __name__ == "__main__":
    main()
