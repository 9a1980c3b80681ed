"""Recordings' business logic: begin, store, sweep what a stopped server left, expire, delete."""

from __future__ import annotations

import logging
import wave
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.utils import timezone
from django.utils.text import get_valid_filename

from agents.models import Agent
from calls.bridge.actions import EndReason

from .models import Recording, RecordingStatus

logger = logging.getLogger(__name__)

ORPHAN_AFTER = timedelta(minutes=2)  # a call that ended this long ago has no bridge still storing


def recording_spool_path(*, call_id: int) -> Path:
    return Path(settings.RECORDINGS_SPOOL_DIR) / f"call-{call_id}.wav"


def recording_begin(*, call_id: int, spool_path: str) -> Recording:
    recording, _ = Recording.objects.get_or_create(call_id=call_id, defaults={"spool_path": spool_path})
    return recording


def recording_store(*, call_id: int) -> Recording | None:
    """Move the call's spool into the recordings storage; once (a stored recording is left alone).

    It runs at every call's end, in the media server: the fields it needs, not two whole rows,
    and one UPDATE of what it decides.
    """
    found = (
        Recording.objects.filter(call_id=call_id)
        .values_list("pk", "status", "spool_path", "call__call_sid", "call__started_at")
        .first()
    )
    if found is None:
        return None
    pk, status, spool_path, call_sid, started_at = found
    if status != RecordingStatus.RECORDING:
        return Recording.objects.get(pk=pk)
    spool = Path(spool_path)
    if not spool.exists():
        logger.warning("recording of call %s: spool %s is gone", call_sid, spool)
        Recording.objects.filter(pk=pk).delete()
        return None
    with spool.open("rb") as source:
        duration_ms = _duration_ms(source)
        source.seek(0)
        field = Recording._meta.get_field("file")
        name = field.generate_filename(None, f"{started_at:%Y/%m}/{get_valid_filename(call_sid)}.wav")
        name = field.storage.save(name, File(source), max_length=field.max_length)
    stored = {
        "file": name,
        "duration_ms": duration_ms,
        "size_bytes": spool.stat().st_size,
        "status": RecordingStatus.STORED,
        "stored_at": timezone.now(),
    }
    Recording.objects.filter(pk=pk).update(**stored)
    spool.unlink()
    logger.info("recording of call %s stored (%d ms)", call_sid, duration_ms)
    return Recording(pk=pk, call_id=call_id, spool_path=spool_path, **stored)


def _duration_ms(source) -> int:
    """From the header as last patched: a spool cut short by a crash reads as far as it was flushed."""
    try:
        with wave.open(source, "rb") as wav:
            return wav.getnframes() * 1000 // wav.getframerate()
    except (wave.Error, EOFError):
        return 0


def recordings_store_orphans(*, now: datetime | None = None) -> int:
    """Store the spools of calls that ended without their bridge storing them (the server stopped)."""
    now = now or timezone.now()
    orphans = Recording.objects.filter(status=RecordingStatus.RECORDING, call__ended_at__isnull=False).filter(
        call__ended_at__lt=now - ORPHAN_AFTER
    ) | Recording.objects.filter(status=RecordingStatus.RECORDING, call__end_reason=EndReason.SERVER_RESTART.value)
    stored = 0
    for call_id in orphans.values_list("call_id", flat=True):
        stored += recording_store(call_id=call_id) is not None
    return stored


def recording_delete(*, recording: Recording) -> None:
    """Delete the file from its storage, then the row."""
    if recording.file:
        recording.file.delete(save=False)
    if recording.spool_path:
        Path(recording.spool_path).unlink(missing_ok=True)
    recording.delete()


def recordings_delete_expired(*, now: datetime | None = None) -> int:
    """Delete recordings older than their agent's retention (days); agents without one keep them."""
    now = now or timezone.now()
    retentions = Agent.objects.exclude(recording_retention_days=None).values_list("pk", "recording_retention_days")
    expired = Recording.objects.none()
    for agent_id, days in retentions:
        expired |= Recording.objects.filter(call__agent_id=agent_id, call__started_at__lt=now - timedelta(days=days))
    count = 0
    for recording in expired.filter(status=RecordingStatus.STORED).select_related("call"):
        recording_delete(recording=recording)
        count += 1
    if count:
        logger.info("deleted %d expired recording(s)", count)
    return count
