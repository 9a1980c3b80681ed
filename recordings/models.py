"""A call's recording: a two-channel WAV, spooled on local disk while the call runs, then stored."""

from __future__ import annotations

from django.core.files.storage import Storage, storages
from django.db import models

from calls.models import Call


def recording_storage() -> Storage:
    """`STORAGES["recordings"]`: local files by default; S3 or another backend by settings only."""
    return storages["recordings"]


class RecordingStatus(models.TextChoices):
    RECORDING = "recording", "Recording"  # the call is on (or its server stopped); the file is the spool
    STORED = "stored", "Stored"


class Recording(models.Model):
    call = models.OneToOneField(Call, on_delete=models.CASCADE, related_name="recording")
    status = models.CharField(max_length=10, choices=RecordingStatus.choices, default=RecordingStatus.RECORDING)
    spool_path = models.CharField(max_length=500, blank=True, help_text="The local file written as the call goes.")
    file = models.FileField(storage=recording_storage, blank=True, max_length=300)
    duration_ms = models.PositiveIntegerField(default=0)
    size_bytes = models.PositiveBigIntegerField(default=0)
    started_at = models.DateTimeField(auto_now_add=True)
    stored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"recording of {self.call.call_sid}"
