"""Benchmark: the CPU and the queries of one call's set-up, away from any audio.

    .venv/bin/python bench/setup_cost.py [--calls 200] [--repeat 5]     (make bench-setup)

A call's set-up runs on the media server's threads while other calls talk (issue #17): the
voice webhook (signature, screening, the new call's row, the TwiML), then, at the stream's
handshake, the claim of its token and the bridge's configuration (`stream_claim`). Their Python
holds the GIL that the audio of the calls in progress waits for, so what they cost is what a burst
of new calls takes from the calls already talking.

A child process migrates a throwaway SQLite database, seeds it as bench/run.py does (the demo
agents, an open number, --calls allowlisted callers), then, in one thread, posts each call's
signed webhook through Django's whole request handler (django.test.Client) and claims its stream.
It reports, per call, each step's CPU time (`time.process_time`, the fastest of --repeat rounds of
--calls new calls: the least disturbed), its queries, and its Python function calls (counted in one
more round with `sys.setprofile`: the same on every run, where CPU time varies by a third between
runs on a shared machine).

The test client runs the request in the calling thread. The server does not: then it posts the
same webhooks, one after another, to `voiceagent.asgi.application` on an event loop, as daphne
calls it, and reports the CPU per call (all threads), and the threads started and the database
connections opened per call, and the wall time per call (the database's round trips, and on
PostgreSQL its connections' start, are in it). --django-handler serves them with Django's own
`ASGIHandler` instead, which starts a new thread, and opens a new connection, for every request
(voiceagent/request_threads.py). --database-url measures on that database instead of a throwaway
SQLite file: it is migrated and seeded, so give an empty one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import processes  # noqa: E402

NUMBER = "+15005550006"  # the seeded number bench/run.py's calls ring
FORM = "application/x-www-form-urlencoded"  # as Twilio posts a webhook


def measure(calls: int, repeat: int, django_handler: bool) -> dict:
    """In the child: each step's CPU ms, queries and Python function calls, per call."""
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from calls import services
    from calls.simulator.webhook import StreamInstruction, parse_twiml, sign

    client = Client(HTTP_HOST="127.0.0.1")
    url = settings.PUBLIC_URL + "/twilio/voice/"
    queries = {"webhook": 0, "claim": 0}
    step = "webhook"

    def count(execute, sql, params, many, context):
        queries[step] += 1
        return execute(sql, params, many, context)

    def signed(n: int) -> tuple[str, str]:
        """A new call's webhook body, as Twilio posts it, and its signature."""
        params = {"CallSid": f"CA{n:032d}", "AccountSid": "AC" + "0" * 32, "From": f"+1555030{n % calls:04d}"}
        params |= {"To": NUMBER, "CallStatus": "ringing", "Direction": "inbound"}
        return urlencode(params), sign(settings.TWILIO_AUTH_TOKEN, url, params)

    def answered(response) -> StreamInstruction:
        instruction = parse_twiml(response.content.decode())
        if response.status_code != 200 or not isinstance(instruction, StreamInstruction):
            raise SystemExit(f"the webhook answered {response.status_code}: {response.content[:200]!r}")
        return instruction

    def one_call(n: int, spent: dict[str, float]) -> None:
        nonlocal step
        body, signature = signed(n)  # the load generator's part, not timed
        step = "webhook"
        t0 = time.process_time()
        response = client.post("/twilio/voice/", body, FORM, HTTP_X_TWILIO_SIGNATURE=signature)
        t1 = time.process_time()
        call_sid, token = answered(response).url.rstrip("/").split("/")[-2:]
        step = "claim"
        t2 = time.process_time()
        setup, problem = services.stream_claim(carrier="twilio", call_sid=call_sid, token=token)
        t3 = time.process_time()
        if setup is None:
            raise SystemExit(f"the stream was not claimed: {problem}")
        spent["webhook"] += t1 - t0
        spent["claim"] += t3 - t2

    one_call(10**9, {"webhook": 0.0, "claim": 0.0})  # first, untimed: what calls/warm.py loads at server start
    rounds: dict[str, list[float]] = {"webhook": [], "claim": []}
    for r in range(repeat):
        spent = {"webhook": 0.0, "claim": 0.0}
        for i in range(calls):
            one_call(r * calls + i, spent)
        for name in rounds:
            rounds[name].append(1000 * spent[name] / calls)
    # One more round, counted: the queries, and the Python function calls (the same on every run,
    # where CPU time varies by a third between runs on a shared machine).
    functions = {"webhook": 0, "claim": 0}

    def profile(frame, event, arg):
        if event == "call":
            functions[step] += 1

    with connection.execute_wrapper(count):
        sys.setprofile(profile)
        try:
            for i in range(calls):
                one_call(repeat * calls + i, {"webhook": 0.0, "claim": 0.0})
        finally:
            sys.setprofile(None)
    figures = {
        name: {"cpu_ms": min(values), "queries": queries[name] / calls, "functions": functions[name] / calls}
        for name, values in rounds.items()
    }
    figures["served"] = served(calls, repeat, django_handler, signed, offset=(repeat + 1) * calls)
    return figures


def served(calls: int, repeat: int, django_handler: bool, signed, offset: int) -> dict:
    """The webhooks as daphne serves them: through the ASGI application, on an event loop."""
    from django.db.backends.signals import connection_created

    from voiceagent.asgi import application

    if django_handler:
        from django.core.handlers.asgi import ASGIHandler

        application = ASGIHandler()
    counts = {"threads": 0, "connections": 0}
    start_thread = threading.Thread.start

    def counted_start(thread):
        counts["threads"] += 1
        start_thread(thread)

    def opened(**kwargs):
        counts["connections"] += 1

    threading.Thread.start = counted_start  # the only way to count threads that end before anyone looks
    connection_created.connect(opened)

    async def rounds() -> list[tuple[float, float, int, int]]:
        await asgi_post(application, *signed(offset - 1))  # first, untimed, as above
        results = []
        for r in range(repeat):
            before, t0, w0 = dict(counts), time.process_time(), time.perf_counter()
            for i in range(calls):
                await asgi_post(application, *signed(offset + r * calls + i))
            spent, waited = time.process_time() - t0, time.perf_counter() - w0
            started, connected = (counts[k] - before[k] for k in ("threads", "connections"))
            results.append((spent, waited, started, connected))
        return results

    results = asyncio.run(rounds())
    spent, _, threads, connections = min(results)
    return {
        "cpu_ms": 1000 * spent / calls,
        "wall_ms": 1000 * min(waited for _, waited, _, _ in results) / calls,
        "threads": threads / calls,
        "connections": connections / calls,
    }


async def asgi_post(application, body: str, signature: str) -> None:
    """One POST /twilio/voice/ as daphne hands it to the application; the whole response awaited.

    Not Channels' HttpCommunicator: its queues and its task per request would be counted in the CPU.
    """
    content = body.encode()
    headers = [(b"host", b"127.0.0.1"), (b"content-type", FORM.encode()), (b"content-length", b"%d" % len(content))]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/twilio/voice/",
        "raw_path": b"/twilio/voice/",
        "query_string": b"",
        "root_path": "",
        "headers": [*headers, (b"x-twilio-signature", signature.encode())],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),  # the signature covers PUBLIC_URL, as bench/run.py's server has it
    }
    answered, status, messages = asyncio.Event(), [], [{"type": "http.request", "body": content}]

    async def receive() -> dict:
        if messages:
            return messages.pop()
        await answered.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])
        elif not message.get("more_body"):
            answered.set()

    await application(scope, receive, send)
    if status != [200]:
        raise SystemExit(f"the webhook was answered {status}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200, help="new calls per round (default 200)")
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds; CPU is the fastest's (default 5)")
    parser.add_argument(
        "--django-handler", action="store_true", help="serve the webhooks with Django's own ASGIHandler, for comparison"
    )
    parser.add_argument("--database-url", help="an empty database to measure on (default: a throwaway SQLite file)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.calls, args.repeat, args.django_handler)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        no_model = SimpleNamespace(port=9, text_port=9)  # the set-up never dials the model
        env = processes.server_env(Path(tmp), 8000, no_model, "")
        env["DJANGO_SETTINGS_MODULE"] = "voiceagent.settings"
        if args.database_url:
            env["DATABASE_URL"] = args.database_url
        processes.prepare_database(env, args.calls, recording=True)
        child = [sys.executable, __file__, "--child", "--calls", str(args.calls), "--repeat", str(args.repeat)]
        child += ["--django-handler"] if args.django_handler else []
        done = subprocess.run(child, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        if done.returncode:
            raise SystemExit(done.stderr or done.stdout)
        result = json.loads(done.stdout.splitlines()[-1])
    cores = os.cpu_count()
    engine = args.database_url.split(":", 1)[0] if args.database_url else "SQLite"
    print(f"Machine: {platform.machine()}, {cores} cores, Python {platform.python_version()}; {engine}")
    print(f"{args.calls} new calls per round, {args.repeat} rounds, one thread")
    print("| step | CPU ms per call (fastest round) | queries per call | Python function calls per call |")
    print("|---|---|---|---|")
    for name, label in (("webhook", "voice webhook (whole request)"), ("claim", "stream claim and bridge set-up")):
        figures = result[name]
        print(f"| {label} | {figures['cpu_ms']:.2f} | {figures['queries']:.0f} | {figures['functions']:.0f} |")
    handler = "Django's own ASGIHandler" if args.django_handler else "voiceagent.asgi.application"
    print()
    print(f"The same webhooks served as daphne serves them ({handler}, on an event loop):")
    print(
        "| step | CPU ms per call (fastest round, all threads) | wall ms per call (fastest round)"
        " | threads started per call | database connections opened per call |"
    )
    print("|---|---|---|---|---|")
    figures = result["served"]
    cells = (figures["cpu_ms"], figures["wall_ms"], figures["threads"], figures["connections"])
    print("| voice webhook, served | " + " | ".join(f"{cell:.2f}" for cell in cells) + " |")


if __name__ == "__main__":
    main()
