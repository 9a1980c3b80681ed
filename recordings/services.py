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
    """Move the call's spool into the recordings storage; once (a stored recording is left alone)."""
    recording = Recording.objects.select_related("call").filter(call_id=call_id).first()
    if recording is None or recording.status != RecordingStatus.RECORDING:
        return recording
    spool = Path(recording.spool_path)
    if not spool.exists():
        logger.warning("recording of call %s: spool %s is gone", recording.call.call_sid, spool)
        recording.delete()
        return None
    with spool.open("rb") as source:
        recording.duration_ms = _duration_ms(source)
        source.seek(0)
        name = f"{recording.call.started_at:%Y/%m}/{get_valid_filename(recording.call.call_sid)}.wav"
        recording.file.save(name, File(source), save=False)
    recording.size_bytes = spool.stat().st_size
    recording.status, recording.stored_at = RecordingStatus.STORED, timezone.now()
    recording.save()
    spool.unlink()
    logger.info("recording of call %s stored (%d ms)", recording.call.call_sid, recording.duration_ms)
    return recording


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
