"""Celery tasks of outbound calls: a thin layer over outbound/services.py."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="outbound.dispatch_due", soft_time_limit=120, time_limit=150)
def dispatch_due_outbound_calls() -> int:
    """Periodic (Celery beat, every minute): dial scheduled calls and retries whose time has come.

    Safe to run twice at once: each call is claimed by a status guard before it is dialled.
    """
    from .services import outbound_dispatch_due

    return outbound_dispatch_due()
