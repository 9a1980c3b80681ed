"""Celery beat's recording chores: thin calls of the services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="recordings.delete_expired", soft_time_limit=240, time_limit=300)
def delete_expired_recordings() -> int:
    """Periodic: recordings past their agent's retention are deleted, file and row."""
    from .services import recordings_delete_expired

    return recordings_delete_expired()


@shared_task(name="recordings.store_orphans", soft_time_limit=240, time_limit=300)
def store_orphan_recordings() -> int:
    """Periodic: spools of calls whose server stopped mid-call (closed by the stale-call sweep) are stored."""
    from .services import recordings_store_orphans

    return recordings_store_orphans()
