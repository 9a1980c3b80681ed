"""What depends on the database engine, run on SQLite and (in make test's second pass) PostgreSQL.

Post-call claims and transcript writes under simultaneous connections, the migrations applied
to an empty database, and kept connections surviving a server that dropped them. The rate
limits have their own file (test_rate_limit_concurrency.py).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core import mail
from django.db import close_old_connections, connection
from django.utils import timezone

from calls import services
from calls.bridge.actions import TranscriptEntry
from calls.models import Call, CallStatus, DeliveryStatus, EmailDelivery, StepStatus, TranscriptItem
from calls.postcall.deliveries import _claim
from calls.postcall.services import call_notify
from calls.store import CallStore

from .database_helpers import ON_POSTGRESQL, current_database_url, postgresql_only, run_together
from .postcall_helpers import finished_call
from .servers import ROOT, manage, server_env

pytestmark = pytest.mark.django_db(transaction=True)
SIMULTANEOUS = 8


@pytest.fixture
def call(demo_agent, demo_caller) -> Call:
    demo_agent.notify_emails = "staff@example.com, owner@example.com"
    demo_agent.save()
    demo_caller.group.notify_emails = "group@example.com"
    demo_caller.group.save()
    return finished_call(demo_agent, demo_caller)


# --- post-call: the deliveries are the lock ------------------------------------------------


def test_notify_run_by_several_workers_at_once_emails_each_recipient_once(call):
    """A redelivered task running beside the first (acks_late, a worker lost): nobody gets two emails."""
    results = run_together(SIMULTANEOUS, lambda index: call_notify(call_id=call.pk))
    assert sorted(m.to[0] for m in mail.outbox) == ["group@example.com", "owner@example.com", "staff@example.com"]
    # A run that starts after another finished finds the step done and returns None: also right.
    assert StepStatus.DONE in results and set(results) <= {StepStatus.DONE, None}
    assert set(EmailDelivery.objects.values_list("status", "attempts")) == {(DeliveryStatus.SENT, 1)}
    assert Call.objects.get(pk=call.pk).notify_status == StepStatus.DONE


def claim_for_a(index: int) -> bool:
    """One run's claim of the post-call email to a@example.com (no tool call: the notification)."""
    return _claim(call_id=Call.objects.latest("pk").pk, tool_call_id="", recipient="a@example.com", resend=False)


def test_a_new_delivery_is_claimed_by_exactly_one_of_simultaneous_runs(call):
    claims = run_together(SIMULTANEOUS, claim_for_a)
    assert claims.count(True) == 1
    assert EmailDelivery.objects.get(recipient="a@example.com").attempts == 1


def test_a_failed_delivery_is_retried_by_exactly_one_of_simultaneous_runs(call):
    EmailDelivery.objects.create(call=call, recipient="a@example.com", status=DeliveryStatus.FAILED, attempts=1)
    claims = run_together(SIMULTANEOUS, claim_for_a)
    assert claims.count(True) == 1
    delivery = EmailDelivery.objects.get(recipient="a@example.com")
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENDING, 2)


# --- transcripts: each call's turns in order while many calls write at once ----------------

CALLS, TURNS = 10, 30


def entry(order: int, text: str) -> TranscriptEntry:
    return TranscriptEntry(key=f"item_{order}", order=order, role="agent", text=text, offset_ms=order * 100)


async def test_many_calls_writing_at_once_keep_every_turn_in_order(demo_agent):
    """Ten calls' writers run on the thread pool together; each turn is saved, then saved again (the
    final text), so a reordered or lost write of one call shows as a wrong or missing row."""
    now = timezone.now()
    calls = [
        await Call.objects.acreate(
            call_sid=f"CA-load-{index:02d}", from_number="+15550100001", to_number="+15005550006",
            agent=demo_agent, status=CallStatus.IN_PROGRESS, answered_at=now,
        )
        for index in range(CALLS)
    ]  # fmt: skip
    stores = [CallStore() for _ in calls]
    for order in range(TURNS):
        for call, store in zip(calls, stores, strict=True):
            store.put(services.transcript_save, call_id=call.pk, entry=entry(order, "draft"))
            store.put(services.transcript_save, call_id=call.pk, entry=entry(order, f"final {call.pk}.{order}"))
    await asyncio.gather(*(store.drain() for store in stores))
    for call in calls:
        rows = [row async for row in TranscriptItem.objects.filter(call=call).values_list("order", "text")]
        assert rows == [(order, f"final {call.pk}.{order}") for order in range(TURNS)]


# --- migrations: an empty database is brought to the models' shape ----------------------


def fresh_database_url(tmp_path) -> str:
    """A new, empty database on the engine under test (the test database's server, on PostgreSQL)."""
    if not ON_POSTGRESQL:
        return f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    with connection.cursor() as cursor:
        cursor.execute("DROP DATABASE IF EXISTS migrate_from_zero")
        cursor.execute("CREATE DATABASE migrate_from_zero")
    return current_database_url("migrate_from_zero")


def search_indexes(url: str) -> set[str]:
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as db:
        rows = db.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE '%_search'").fetchall()
    return {name for (name,) in rows}


def migration_before(name: str) -> str:
    """The calls migration that `*_<name>` follows: migrating back to it reverses that one."""
    from django.db.migrations.loader import MigrationLoader

    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    node = next(key for key in graph.nodes if key[0] == "calls" and key[1].endswith(name))
    return next(parent.key[1] for parent in graph.node_map[node].parents if parent.key[0] == "calls")


def test_migrations_apply_to_an_empty_database_and_the_search_indexes_come_and_go(tmp_path):
    url = fresh_database_url(tmp_path)
    env = server_env(tmp_path, DATABASE_URL=url)
    try:
        manage(env, "migrate", "--noinput")
        if ON_POSTGRESQL:
            assert search_indexes(url) == {"transcript_text_search", "call_summary_search"}
        manage(env, "migrate", "calls", migration_before("full_text_search_indexes"), "--noinput")
        if ON_POSTGRESQL:
            assert search_indexes(url) == set()
    finally:
        if ON_POSTGRESQL:
            with connection.cursor() as cursor:
                cursor.execute("DROP DATABASE IF EXISTS migrate_from_zero WITH (FORCE)")


# --- persistent connections: kept per thread, replaced when the server dropped them ----------


@postgresql_only
def test_a_kept_connection_the_server_dropped_is_replaced_before_the_next_query(demo_number):
    """A PostgreSQL restart or failover ends every kept connection; the next webhook must not fail."""
    assert connection.settings_dict["CONN_MAX_AGE"] == 60 and connection.settings_dict["CONN_HEALTH_CHECKS"]

    def backend_pid() -> int:
        close_old_connections()  # what Django does at each request and Channels before each database call
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return cursor.fetchone()[0]

    with ThreadPoolExecutor(max_workers=1) as thread:  # one thread, as a pool thread of daphne
        first = thread.submit(backend_pid).result()
        assert thread.submit(backend_pid).result() == first  # kept, not reopened
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [first])
        assert thread.submit(backend_pid).result() != first  # the health check found it dead
        thread.submit(lambda: connection.close()).result()


def test_the_url_s_connection_options_are_read_as_numbers_and_booleans(tmp_path):
    code = "import json; from voiceagent import settings as s; d = s.DATABASES['default']"
    code += "; print(json.dumps([d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS']]))"
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}?conn_max_age=600&conn_health_checks=false"
    env = server_env(tmp_path, DATABASE_URL=url)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.splitlines()[-1]) == [600, False]
