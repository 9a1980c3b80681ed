"""`GET /calls/<carrier call id>/recording.wav`: staff who may view calls (CONTRACT.md)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse_lazy
from django.views.decorators.http import require_GET

from .models import Recording, RecordingStatus


@require_GET
@login_required(login_url=reverse_lazy("admin:login"))
def recording_wav(request: HttpRequest, call_sid: str) -> FileResponse:
    if not (request.user.is_staff and request.user.has_perm("calls.view_call")):
        raise PermissionDenied
    recording = get_object_or_404(Recording, call__call_sid=call_sid, status=RecordingStatus.STORED)
    return FileResponse(recording.file.open("rb"), content_type="audio/wav", filename=f"{call_sid}.wav")
