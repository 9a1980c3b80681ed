"""Plivo audio-stream frames, parsed at the edge, written back, and driven through the core."""

from __future__ import annotations

import base64
import json
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calls.bridge import actions as act
from calls.bridge.events import (
    AgentTranscriptDone,
    CallerAudio,
    CallerSpeechStarted,
    DigitPressed,
    PlaybackMarked,
    ProtocolError,
    ResponseStarted,
    StreamStarted,
    StreamStopped,
    TelephonyEvent,
)
from calls.bridge.session import CallSession
from calls.carriers.plivo.wire import PlivoWire

from .bridge_helpers import CONFIG, of_type, speak

FRAME = base64.b64encode(b"\xff" * 160).decode()
STREAM = "87654321-4321-4321-4321-cba987654321"
CALL = "12345678-1234-1234-1234-123456789abc"
plivo = PlivoWire()

# As Plivo's stream event reference shows them.
START = {
    "event": "start",
    "sequenceNumber": 1,
    "start": {
        "callId": CALL,
        "streamId": STREAM,
        "accountId": "MAXXXXXXXXXXXXXXXXXX",
        "tracks": ["inbound"],
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000},
    },
    "extra_headers": "calltoken=abc123;agent=7",
}
MEDIA = {
    "event": "media",
    "sequenceNumber": 42,
    "streamId": STREAM,
    "media": {"track": "inbound", "timestamp": "1705312200000", "chunk": 41, "payload": FRAME},
    "extra_headers": "calltoken=abc123",
}


def frame(message: dict) -> str:
    return json.dumps(message)


def test_the_plivo_wire_imports_no_django_channels_sdk_or_project_outside_the_core():
    allowed = ("calls", "calls.bridge", "calls.carriers", "calls.carriers.plivo", "calls.carriers.plivo.wire")
    code = (
        "import sys, calls.carriers.plivo.wire;"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('django', 'channels', 'websockets', 'plivo')"
        f" or (m.split('.')[0] == 'calls' and m not in {allowed!r} and not m.startswith('calls.bridge.'))];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_start_carries_the_ids_and_leaves_the_extra_headers():
    assert plivo.parse(frame(START)) == StreamStarted(STREAM, CALL)  # we send no extraHeaders: none is read


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (MEDIA, CallerAudio(FRAME, 160, STREAM)),
        ({**MEDIA, "media": {**MEDIA["media"], "track": "outbound"}}, None),
        ({"event": "playedStream", "streamId": STREAM, "name": "a3"}, PlaybackMarked("a3")),
        ({"event": "playedStream", "name": "farewell"}, PlaybackMarked("farewell")),
        ({"event": "played", "streamId": STREAM, "name": "a4"}, PlaybackMarked("a4")),
        (
            {"event": "dtmf", "streamId": STREAM, "dtmf": {"track": "inbound", "digit": "7", "timestamp": "1"}},
            DigitPressed("7"),
        ),
        ({"event": "dtmf", "digit": "#"}, DigitPressed("#")),
        ({"sequenceNumber": 0, "event": "clearedAudio", "streamId": STREAM}, None),
        ({"event": "stop", "streamId": STREAM}, StreamStopped()),
        ({"event": "something-new"}, None),
    ],
    ids=[
        "media",
        "outbound-track",
        "played",
        "played-no-stream-id",
        "played-old-name",
        "dtmf",
        "dtmf-flat",
        "cleared",
        "stop",
        "new",
    ],
)
def test_plivo_events(message, expected):
    assert plivo.parse(frame(message)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[1, 2]",
        frame({**MEDIA, "media": {"payload": "***not base64***"}}),
        frame({**MEDIA, "media": {"payload": 5}}),
        frame({"event": "media", "media": {}}),
        frame({"event": "media", "media": "payload"}),
        frame({**MEDIA, "media": {"payload": base64.b64encode(b"\xff" * 8001).decode()}}),
        frame({"event": "start", "start": {"streamId": STREAM}}),
        frame({"event": "playedStream", "streamId": STREAM}),
        frame({"event": "dtmf", "dtmf": "5"}),
        "x" * (64 * 1024 + 1),
    ],
    ids=[
        "not-json",
        "not-object",
        "bad-base64",
        "payload-not-string",
        "no-payload",
        "media-not-object",
        "oversized-audio",
        "start-no-callid",
        "played-no-name",
        "dtmf-not-object",
        "huge",
    ],
)
def test_malformed_plivo_frames_raise_protocol_error(text):
    with pytest.raises(ProtocolError):
        plivo.parse(text)


def test_outbound_messages_are_plivos_with_the_payload_untouched():
    assert json.loads(plivo.encode(act.PlayAudio(FRAME), STREAM)) == {
        "event": "playAudio",
        "media": {"contentType": "audio/x-mulaw", "sampleRate": 8000, "payload": FRAME},
    }
    assert json.loads(plivo.encode(act.PlaceMark('a"1'), STREAM)) == {
        "event": "checkpoint",
        "streamId": STREAM,
        "name": 'a"1',
    }
    assert json.loads(plivo.encode(act.ClearPlayback(), STREAM)) == {"event": "clearAudio", "streamId": STREAM}
    with pytest.raises(TypeError):
        plivo.encode(act.PlayFarewell(act.Farewell.GOODBYE, "farewell"), STREAM)  # the adapter expands it


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
events = st.sampled_from(["start", "media", "dtmf", "playedStream", "clearedAudio", "stop", "other"])
frames = st.fixed_dictionaries(
    {"event": events},
    optional={
        "start": json_values,
        "media": json_values | st.fixed_dictionaries({"payload": st.text(max_size=20)}),
        "dtmf": json_values,
        "digit": json_values,
        "name": json_values,
        "streamId": json_values,
        "extra_headers": json_values,
    },
)


@given(st.one_of(frames.map(json.dumps), st.text(max_size=60)))
def test_any_frame_is_an_event_none_or_a_protocol_error(text):
    try:
        event = plivo.parse(text)
    except ProtocolError:
        return
    assert event is None or isinstance(event, TelephonyEvent)


# --- a barge-in through the core, in Plivo's frames -----------------------------------------


def test_barge_in_clears_ignores_stale_checkpoints_and_truncates_at_what_was_heard():
    session = CallSession(CONFIG)
    session.open()
    session.on_telephony(plivo.parse(frame(START)), 0)
    session.on_model(ResponseStarted("r1"), 0)
    marks = speak(session, "r1", "i1", [800, 800, 800], 0, text="one two three four five six")
    sent = [plivo.encode(act.PlaceMark(name), STREAM) for name in marks]
    assert [json.loads(text)["event"] for text in sent] == ["checkpoint"] * 3
    played = {"event": "playedStream", "streamId": STREAM, "name": marks[0]}
    session.on_telephony(plivo.parse(frame(played)), 100)  # the first 100 ms played
    session.on_model(AgentTranscriptDone("r1", "i1", "one two three four five six"), 101)

    out = session.on_model(CallerSpeechStarted("u1"), 150)
    assert json.loads(plivo.encode(out[0], STREAM)) == {"event": "clearAudio", "streamId": STREAM}
    assert of_type(out, act.TruncateAgentAudio) == [act.TruncateAgentAudio("i1", 0, 150)]

    assert plivo.parse(frame({"sequenceNumber": 9, "event": "clearedAudio", "streamId": STREAM})) is None
    heard = session.playback.heard_bytes("i1", 160)
    for name in marks[1:]:  # a late checkpoint answer for audio that was dropped
        stale = plivo.parse(frame({"event": "playedStream", "streamId": STREAM, "name": name}))
        assert session.on_telephony(stale, 160) == []
    assert session.playback.heard_bytes("i1", 160) == heard == 800  # the stale answers counted for nothing
    assert not session.playback.is_playing
