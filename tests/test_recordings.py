"""Recordings: storing a spool (also one a crashed server left), who may listen, retention, deletion."""

from __future__ import annotations

import wave
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from calls.bridge.actions import EndReason
from calls.models import Call, CallStatus
from calls.services import RECORDING_NOTICE, bridge_setup
from recordings.models import Recording, RecordingStatus
from recordings.recorder import Recorder
from recordings.services import (
    recording_begin,
    recording_spool_path,
    recording_store,
    recordings_delete_expired,
    recordings_store_orphans,
)

pytestmark = pytest.mark.django_db

LOUD = "gICAgICAgICAgICA"  # base64 of 0x80 bytes: far from silence


def a_call(number, sid: str = "CA" + "7" * 32, **fields) -> Call:
    defaults = {"from_number": "+15550100001", "to_number": number.number, "agent": number.agent}
    return Call.objects.create(call_sid=sid, phone_number=number, **{**defaults, **fields})


def spool_for(call: Call, *, seconds: int, finish: bool = True) -> Path:
    """A spool as the runner's tap writes it: `seconds` of caller frames, each 20 ms."""
    path = recording_spool_path(call_id=call.pk)
    recorder = Recorder(path, start=0.0)
    for at in range(20, seconds * 1000 + 1, 20):
        recorder.caller("/" * 212 + "8=", float(at))  # 160 bytes of one µ-law value
    if finish:
        recorder.finish(seconds * 1000.0)
    recording_begin(call_id=call.pk, spool_path=str(path))
    return path


def test_a_finished_spool_is_stored_and_the_spool_removed(demo_number):
    call = a_call(demo_number)
    path = spool_for(call, seconds=3)
    recording = recording_store(call_id=call.pk)
    assert recording.status == RecordingStatus.STORED and not path.exists()
    assert recording.duration_ms == 3000 and recording.size_bytes == 44 + 3 * 8000 * 4
    with recording.file.open("rb") as stored, wave.open(stored) as wav:
        assert (wav.getnchannels(), wav.getframerate(), wav.getnframes()) == (2, 8000, 24000)
    assert recording_store(call_id=call.pk).stored_at == recording.stored_at  # once


def test_a_crashed_servers_spool_is_valid_up_to_its_last_flush_and_the_sweep_stores_it(demo_number):
    call = a_call(demo_number, status=CallStatus.IN_PROGRESS)
    path = spool_for(call, seconds=5, finish=False)  # the process died: never closed
    with wave.open(str(path)) as wav:
        flushed = wav.getnframes()
    assert 8000 <= flushed < 5 * 8000  # flushed once a second, a settling margin behind the clock
    assert recordings_store_orphans() == 0  # the call is still open: its bridge may be alive
    Call.objects.filter(pk=call.pk).update(
        status=CallStatus.FAILED, end_reason=EndReason.SERVER_RESTART.value, ended_at=timezone.now()
    )
    assert recordings_store_orphans() == 1
    recording = Recording.objects.get(call=call)
    assert recording.status == RecordingStatus.STORED and recording.duration_ms == flushed // 8


def test_only_staff_who_may_view_calls_listen(operator_client, demo_number, django_user_model):
    from django.test import Client

    call = a_call(demo_number)
    spool_for(call, seconds=1)
    recording_store(call_id=call.pk)
    url = reverse("call-recording", args=[call.call_sid])
    assert url == f"/calls/{call.call_sid}/recording.wav"

    response = operator_client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "audio/wav"
    assert b"".join(response.streaming_content)[:4] == b"RIFF"
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("admin:login"))
    other_staff = Client()
    other_staff.force_login(django_user_model.objects.create_user("nobody", password="pw", is_staff=True))
    assert other_staff.get(url).status_code == 403
    assert operator_client.get(reverse("call-recording", args=["CA-unknown"])).status_code == 404


def test_recordings_past_their_agents_retention_are_deleted_with_their_files(demo_number, demo_agent):
    demo_agent.recording_retention_days = 30
    demo_agent.save()
    old, new = a_call(demo_number, "CA" + "1" * 32), a_call(demo_number, "CA" + "2" * 32)
    for call in (old, new):
        spool_for(call, seconds=1)
        recording_store(call_id=call.pk)
    Call.objects.filter(pk=old.pk).update(started_at=timezone.now() - timedelta(days=31))
    old_file = Recording.objects.get(call=old).file
    storage, name = old_file.storage, old_file.name
    assert storage.exists(name)
    assert recordings_delete_expired() == 1
    assert not storage.exists(name) and list(Recording.objects.values_list("call", flat=True)) == [new.pk]
    demo_agent.recording_retention_days = None  # kept for ever
    demo_agent.save()
    Call.objects.filter(pk=new.pk).update(started_at=timezone.now() - timedelta(days=3650))
    assert recordings_delete_expired() == 0


def test_the_admin_action_deletes_recordings_and_files(admin_client, demo_number):
    call = a_call(demo_number)
    spool_for(call, seconds=1)
    recording = recording_store(call_id=call.pk)
    storage, name = recording.file.storage, recording.file.name
    response = admin_client.post(
        reverse("admin:recordings_recording_changelist"),
        {"action": "delete_recordings", "_selected_action": [recording.pk]},
        follow=True,
    )
    assert "Deleted 1 recording(s)." in response.content.decode()
    assert not Recording.objects.exists() and not storage.exists(name)


def test_the_call_page_has_the_player_and_turns_carry_their_offsets(admin_client, demo_number):
    from calls.models import Role, TranscriptItem

    call = a_call(demo_number)
    TranscriptItem.objects.create(call=call, order=0, role=Role.AGENT, text="Hello", offset_ms=1234)
    page = reverse("admin:calls_call_change", args=[call.pk])
    assert "Not recorded." in admin_client.get(page).content.decode()
    spool_for(call, seconds=1)
    recording_store(call_id=call.pk)
    html = admin_client.get(page).content.decode()
    assert f'data-src="/calls/{call.call_sid}/recording.wav"' in html and "recordings/player.js" in html
    assert 'data-offset-ms="1234"' in html


@pytest.mark.parametrize(
    ("agent_on", "agent_notice", "number_on", "number_notice", "record", "notice"),
    [
        (False, False, "", "", False, False),
        (True, False, "", "", True, False),
        (True, True, "", "", True, True),
        (True, True, "off", "", False, False),  # the number overrides the agent
        (False, False, "on", "on", True, True),
        (True, True, "", "off", True, False),
    ],
)
def test_the_number_overrides_the_agent_and_the_notice_reaches_the_greeting(
    demo_number, demo_agent, agent_on, agent_notice, number_on, number_notice, record, notice
):
    demo_agent.record_calls, demo_agent.recording_notice = agent_on, agent_notice
    demo_agent.save()
    demo_number.record_calls, demo_number.recording_notice = number_on, number_notice
    demo_number.save()
    call = a_call(demo_number, status=CallStatus.CONNECTING)
    setup = bridge_setup(call_sid=call.call_sid)
    assert setup.record is record
    assert (RECORDING_NOTICE in setup.greeting) is notice
    assert setup.greeting.startswith("Hello from Acme!")


def test_a_caller_first_agent_gives_the_notice_in_its_first_words(demo_number, demo_agent):
    demo_agent.record_calls = demo_agent.recording_notice = True
    demo_agent.first_speaker = "caller"
    demo_agent.save()
    setup = bridge_setup(call_sid=a_call(demo_number, status=CallStatus.CONNECTING).call_sid)
    assert RECORDING_NOTICE not in setup.greeting and RECORDING_NOTICE in setup.config.instructions


def test_every_beat_task_is_a_registered_task():
    from django.conf import settings

    from voiceagent.celery import app

    app.loader.import_default_modules()  # autodiscovery, as a worker and beat do at start
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"recordings.store_orphans", "recordings.delete_expired"} <= scheduled
    assert scheduled <= set(app.tasks)
