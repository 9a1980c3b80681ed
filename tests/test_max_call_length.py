"""The maximum call length is optional: without one no timer ends the call, and the stale-call
sweep waits its longer bound (the polite end at a maximum: tests/test_consumer.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from calls.models import Call, CallStatus
from calls.services import STALE_GRACE_SECONDS, UNLIMITED_STALE_SECONDS, bridge_setup, calls_close_stale

pytestmark = pytest.mark.django_db


def test_an_agent_without_a_maximum_gets_no_time_limit_and_the_sweep_waits_longer(demo_number, demo_agent):
    demo_agent.max_call_seconds = None
    demo_agent.save()
    waiting = Call.objects.create(call_sid="CA" + "3" * 32, from_number="+1", to_number="+2", agent=demo_agent)
    assert bridge_setup(call_sid=waiting.call_sid).max_call_seconds is None

    now = timezone.now()
    long_call = Call.objects.create(
        call_sid="CA" + "4" * 32,
        from_number="+1",
        to_number="+2",
        agent=demo_agent,
        status=CallStatus.IN_PROGRESS,
        answered_at=now - timedelta(hours=2),  # far beyond the 600 s default, within the unlimited bound
    )
    assert calls_close_stale(now=now) == 0
    later = now + timedelta(seconds=UNLIMITED_STALE_SECONDS + STALE_GRACE_SECONDS)
    assert calls_close_stale(now=later) == 2  # this one, and the call that never got its stream
    long_call.refresh_from_db()
    assert long_call.end_reason == "server_restart"
