"""A call's wrap-up (calls/wrap_up.py): what follows its end, off the thread that wrote it.

Eager here, as without Redis (on the post-call threads); the broker's path, a Celery worker
pricing the call, is tests/test_e2e_recording.py's.
"""

from __future__ import annotations

import json
import threading
from decimal import Decimal

import pytest
from django.db import OperationalError

from calls import extensions
from calls.bridge.actions import EndReason
from calls.bridge.events import TranscriptionUsage, Usage
from calls.extensions import CallEnd
from calls.models import Call, CallStatus
from calls.postcall.dispatch import dispatcher
from calls.services import call_finish
from calls.signals import call_settled
from calls.wrap_up import call_wrap_up, wrap_up_enqueue
from costs.models import BudgetAlert, CallCost, ModelPrice
from tests.servers import free_port

from .postcall_helpers import finished_call

USED = CallEnd(
    Usage(input_tokens=1200, output_tokens=300, total_tokens=1500, input_audio=1000, output_audio=300, responses=2),
    TranscriptionUsage(input_audio=50, output_text=10),
    "gpt-realtime",
    "gpt-4o-transcribe",
)


@pytest.fixture
def list_prices(db):
    """The shipped price rows: a transactional test before this one flushed the migration's."""
    from importlib import import_module

    from django.apps import apps

    if not ModelPrice.objects.exists():
        import_module("costs.migrations.0002_list_prices").add_prices(apps, None)


@pytest.fixture
def settled():
    """The calls `call_settled` announced, and on which thread."""
    seen: list[tuple[int, str]] = []

    def receiver(sender, call_id, **kwargs):
        seen.append((call_id, threading.current_thread().name))

    call_settled.connect(receiver, weak=False)
    yield seen
    call_settled.disconnect(receiver)


def test_what_a_call_used_survives_the_task_message():
    assert CallEnd.from_json(json.loads(json.dumps(USED.as_json()))) == USED


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_call_finish_wraps_up_on_commit_in_its_own_thread(
    demo_agent, demo_caller, settled, list_prices
):
    demo_agent.monthly_budget, demo_agent.notify_emails = Decimal("0.01"), "owner@example.com"
    demo_agent.save()
    call = finished_call(demo_agent, demo_caller)
    Call.objects.filter(pk=call.pk).update(ended_at=None, status=CallStatus.IN_PROGRESS)
    call_finish(call_id=call.pk, reason=EndReason.CALLER_HUNG_UP, detail="", usage=USED.usage, ended=USED)
    cost = CallCost.objects.get(call=call)  # written before call_finish returned: a store's drain covers it
    assert (cost.responses, cost.output_audio, cost.transcription_input_audio) == (2, 300, 50)
    assert cost.total > 0
    ((call_id, thread),) = settled
    assert call_id == call.pk and thread == threading.current_thread().name
    assert sorted(BudgetAlert.objects.values_list("percent", flat=True)) == [80, 100]  # its agent's budget, checked


@pytest.mark.django_db
def test_an_ending_that_fails_leaves_the_others_and_the_settlement(demo_agent, demo_caller, settled, monkeypatch):
    def broken(call_id, ended):
        raise RuntimeError("a bug in an app's ending")

    monkeypatch.setattr(extensions, "ENDINGS", [broken, *extensions.ENDINGS])
    call = finished_call(demo_agent, demo_caller)
    call_wrap_up(call_id=call.pk, ended=USED)
    assert CallCost.objects.filter(call=call).exists()
    assert [call_id for call_id, _ in settled] == [call.pk]


@pytest.mark.django_db
def test_a_busy_database_is_retried_for_that_part_alone(demo_agent, demo_caller, settled, monkeypatch):
    tries = []

    def busy_once(call_id, ended):
        tries.append(call_id)
        if len(tries) == 1:
            raise OperationalError("database is locked")

    monkeypatch.setattr(extensions, "ENDINGS", [busy_once, *extensions.ENDINGS])
    call = finished_call(demo_agent, demo_caller)
    call_wrap_up(call_id=call.pk, ended=USED)
    assert tries == [call.pk, call.pk]
    assert [call_id for call_id, _ in settled] == [call.pk]  # the settlement, done before, ran once
    assert CallCost.objects.filter(call=call).exists()


@pytest.mark.django_db
def test_a_call_the_bridge_never_carried_is_settled_but_not_priced(demo_agent, demo_caller, settled):
    call = finished_call(demo_agent, demo_caller)
    call_wrap_up(call_id=call.pk, ended=None)
    assert not CallCost.objects.filter(call=call).exists()
    assert [call_id for call_id, _ in settled] == [call.pk]


@pytest.fixture
def unreachable_broker(settings, monkeypatch):
    """Celery publishing to a port nothing listens on; its connection pools, built for it, dropped after."""
    from voiceagent.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(app.conf, "broker_url", f"redis://127.0.0.1:{free_port()}/0")
    yield
    for owner, name in ((app, "_pool"), (app.amqp, "_producer_pool")):
        pool = getattr(owner, name)
        if pool is not None:
            pool.force_close_all()
            setattr(owner, name, None)


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_broker_wraps_the_call_up_on_a_post_call_thread(
    demo_agent, demo_caller, settled, unreachable_broker
):
    call = finished_call(demo_agent, demo_caller)
    wrap_up_enqueue(call_id=call.pk, ended=USED)
    assert dispatcher.wait_idle(timeout=20)
    assert CallCost.objects.filter(call=call).exists()
    ((call_id, thread),) = settled
    assert call_id == call.pk and thread.startswith("postcall-")
