"""The call page's player: a small include of its own, so the call page's design can change around it."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.urls import reverse

from .models import Recording, RecordingStatus


def recording_url(call_sid: str) -> str:
    return reverse("call-recording", args=[call_sid])


def recording_player(call) -> str:
    recording = Recording.objects.filter(call=call).first()
    context = {"recording": recording, "stored": recording is not None and recording.status == RecordingStatus.STORED}
    if context["stored"]:
        context["url"] = recording_url(call.call_sid)
    return render_to_string("admin/calls/call/recording_player.html", context)
