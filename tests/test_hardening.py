"""Bad input and secrets: fuzzed parsers and core, redacted logs."""

from __future__ import annotations

import base64
import dataclasses
import json
import logging

from hypothesis import given, settings
from hypothesis import strategies as st

from calls.bridge import actions as act
from calls.bridge.actions import EndReason
from calls.bridge.events import (
    AgentAudio,
    AgentTranscriptDelta,
    AgentTranscriptDone,
    CallerAudio,
    CallerSpeechStarted,
    CallerTranscribed,
    DigitPressed,
    FunctionCallRequested,
    ModelEvent,
    ModelFailed,
    PlaybackMarked,
    ProtocolError,
    ResponseFinished,
    ResponseStarted,
    StreamStarted,
    StreamStopped,
    TelephonyEvent,
    Usage,
)
from calls.bridge.openai_wire import OpenAIRealtimeWire
from calls.bridge.session import CallSession
from calls.carriers.twilio.wire import TwilioWire
from voiceagent.logging import RedactSecrets

from .bridge_helpers import CONFIG

MODEL_EVENT_TYPES = [
    "response.output_audio.delta",
    "response.audio.delta",
    "response.output_audio_transcript.delta",
    "response.output_audio_transcript.done",
    "input_audio_buffer.speech_started",
    "conversation.item.input_audio_transcription.completed",
    "conversation.item.input_audio_transcription.failed",
    "response.created",
    "response.done",
    "response.function_call_arguments.done",
    "session.created",
    "error",
    "rate_limits.updated",
]

# JSON as a peer could send it: integers within 64 bits (what a JSON parser must accept).
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
base64_audio = st.binary(max_size=9000).map(lambda raw: base64.b64encode(raw).decode())
twilio_like = st.fixed_dictionaries(
    {"event": st.sampled_from(["media", "start", "mark", "dtmf", "stop", "connected", "clear", "bogus"])},
    optional={
        "streamSid": json_values,
        "media": st.fixed_dictionaries({}, optional={"payload": base64_audio | json_values}) | json_values,
        "start": st.fixed_dictionaries(
            {}, optional={"callSid": json_values, "streamSid": json_values, "customParameters": json_values}
        )
        | json_values,
        "mark": st.fixed_dictionaries({}, optional={"name": json_values}) | json_values,
        "dtmf": st.fixed_dictionaries({}, optional={"digit": json_values}) | json_values,
    },
)
TWILIO_EVENTS = {
    "media": CallerAudio,
    "mark": PlaybackMarked,
    "start": StreamStarted,
    "dtmf": DigitPressed,
    "stop": StreamStopped,
}


def _strings_only(event: object) -> bool:
    """Every field declared `str` holds a str (a list where an id belongs would break the session later)."""
    return all(isinstance(getattr(event, f.name), str) for f in dataclasses.fields(event) if f.type in ("str", str))


@settings(max_examples=400, deadline=None)
@given(twilio_like)
def test_twilio_parser_returns_the_frame_s_own_event_or_refuses_it(frame):
    try:
        event = TwilioWire().parse(json.dumps(frame))
    except ProtocolError as exc:
        assert str(exc)  # a reason to log and record
        assert frame["event"] in TWILIO_EVENTS and frame["event"] != "stop"  # only a frame with a body is malformed
        return
    expected = TWILIO_EVENTS.get(frame["event"])
    assert type(event) is expected if expected else event is None  # "connected", "clear", newer events: ignored
    assert event is None or _strings_only(event)
    match event:
        case CallerAudio(payload=payload, size=size, stream_id=stream_id):
            assert payload == frame["media"]["payload"]  # forwarded untouched
            assert size == len(base64.b64decode(payload)) <= 8000
            assert stream_id == str(frame.get("streamSid", ""))
        case PlaybackMarked(name=name):
            assert name == str(frame["mark"]["name"])
        case DigitPressed(digit=digit):
            assert digit == str(frame["dtmf"]["digit"])[:1]
        case StreamStarted(call_id=call_id):
            assert call_id == str(frame["start"]["callSid"])


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200) | json_values.map(json.dumps))
def test_twilio_parser_refuses_what_is_not_a_frame_and_raises_nothing_else(text):
    try:
        event = TwilioWire().parse(text)
    except ProtocolError as exc:
        assert str(exc)
    else:
        assert isinstance(json.loads(text), dict)  # anything else is refused, never guessed at
        assert event is None or (isinstance(event, TelephonyEvent.__args__) and _strings_only(event))


@settings(max_examples=200, deadline=None)
@given(
    payload=base64_audio.filter(lambda p: len(p) <= 10_000),
    name=st.text(max_size=40),
    stream_id=st.text(max_size=40),
)
def test_what_we_send_twilio_reads_back_with_payload_and_mark_intact(payload, name, stream_id):
    """Our outbound frames have the shape of Twilio's own (media, mark): parsed back, nothing is lost."""
    wire = TwilioWire()
    media = wire.parse(wire.encode(act.PlayAudio(payload), stream_id))
    assert media == CallerAudio(payload, len(base64.b64decode(payload)), stream_id)
    assert wire.parse(wire.encode(act.PlaceMark(name), stream_id)) == PlaybackMarked(name)
    assert json.loads(wire.encode(act.ClearPlayback(), stream_id)) == {"event": "clear", "streamSid": stream_id}


ids = st.text(st.characters(codec="ascii", categories=["L", "N"]), min_size=1, max_size=12)
usage = st.fixed_dictionaries(
    {
        "input_tokens": st.integers(0, 10**6),
        "output_tokens": st.integers(0, 10**6),
        "total_tokens": st.integers(0, 10**6),
    }
)
# (server event as the realtime API sends it, the event the parser must return for it)
server_events = st.one_of(
    st.builds(
        lambda r, i, raw: (
            {
                "type": "response.output_audio.delta",
                "response_id": r,
                "item_id": i,
                "delta": base64.b64encode(raw).decode(),
            },
            AgentAudio(r, i, base64.b64encode(raw).decode(), len(raw)),
        ),
        ids,
        ids,
        st.binary(max_size=4000),
    ),
    st.builds(
        lambda r, i, t: (
            {"type": "response.output_audio_transcript.delta", "response_id": r, "item_id": i, "delta": t},
            AgentTranscriptDelta(r, i, t),
        ),
        ids,
        ids,
        st.text(max_size=50),
    ),
    st.builds(
        lambda r, i, t: (
            {"type": "response.output_audio_transcript.done", "response_id": r, "item_id": i, "transcript": t},
            AgentTranscriptDone(r, i, t),
        ),
        ids,
        ids,
        st.text(max_size=50),
    ),
    st.builds(lambda i: ({"type": "input_audio_buffer.speech_started", "item_id": i}, CallerSpeechStarted(i)), ids),
    st.builds(
        lambda i, t: (
            {"type": "conversation.item.input_audio_transcription.completed", "item_id": i, "transcript": t},
            CallerTranscribed(i, t),
        ),
        ids,
        st.text(max_size=50),
    ),
    st.builds(lambda r: ({"type": "response.created", "response": {"id": r}}, ResponseStarted(r)), ids),
    st.builds(
        lambda r, status, u: (
            {"type": "response.done", "response": {"id": r, "status": status, "usage": u}},
            ResponseFinished(r, status, Usage(u["input_tokens"], u["output_tokens"], u["total_tokens"], responses=1)),
        ),
        ids,
        st.sampled_from(["completed", "cancelled", "incomplete", "failed"]),
        usage,
    ),
    st.builds(
        lambda r, i, c, name, arguments: (
            {
                "type": "response.function_call_arguments.done",
                "response_id": r,
                "item_id": i,
                "call_id": c,
                "name": name,
                "arguments": arguments,
            },
            FunctionCallRequested(r, i, c, name, arguments),
        ),
        ids,
        ids,
        ids,
        ids,
        json_values.map(json.dumps),
    ),
    st.builds(
        lambda code, message: (
            {"type": "error", "error": {"type": "invalid_request_error", "code": code, "message": message}},
            ModelFailed(code, message[:300], code in {"session_expired", "invalid_api_key", "insufficient_quota"}),
        ),
        st.sampled_from(["session_expired", "invalid_api_key", "insufficient_quota", "response_cancel_not_active"]),
        st.text(max_size=400),
    ),
)


@settings(max_examples=400, deadline=None)
@given(server_events)
def test_model_parser_returns_exactly_the_event_each_server_message_describes(case):
    message, expected = case
    assert OpenAIRealtimeWire().parse(json.dumps(message)) == expected


@settings(max_examples=400, deadline=None)
@given(
    st.text(max_size=200)
    | json_values.map(json.dumps)
    | st.fixed_dictionaries(
        {"type": st.sampled_from(MODEL_EVENT_TYPES)},
        optional={
            key: json_values
            for key in ["response_id", "item_id", "delta", "transcript", "response", "call_id", "arguments", "error"]
        },
    ).map(json.dumps)
)
def test_model_parser_never_raises_and_returns_well_typed_events(message):
    event = OpenAIRealtimeWire().parse(message)
    assert event is None or isinstance(event, ModelEvent.__args__)
    if event is not None:
        assert _strings_only(event), event  # ids the session uses as keys are strings, or the event is refused
    if isinstance(event, AgentAudio) and _is_base64(event.payload):
        # The model's audio is not decoded on the audio path (not validated either): for valid
        # base64 the size the playback accounting uses is exact.
        assert event.size == len(base64.b64decode(event.payload))


def _is_base64(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True)
    except ValueError:
        return False
    return True


# Frames a real stream sends (this stream's audio, marks, keys, stop), mixed with anything at all.
real_frames = st.one_of(
    base64_audio.filter(lambda p: len(p) < 400).map(
        lambda p: json.dumps({"event": "media", "streamSid": "MZ1", "media": {"payload": p}})
    ),
    st.sampled_from(
        [
            json.dumps({"event": "stop", "streamSid": "MZ1"}),
            json.dumps({"event": "mark", "streamSid": "MZ1", "mark": {"name": "a0"}}),
            json.dumps({"event": "dtmf", "streamSid": "MZ1", "dtmf": {"digit": "5"}}),
        ]
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(real_frames, st.text(max_size=80), twilio_like.map(json.dumps)), max_size=30))
def test_a_live_session_fed_any_carrier_frames_keeps_its_promises(frames):
    """Audio passes through untouched and in order, carrier frames never make the agent speak, and the
    call ends exactly once: as hung up by the caller, or as a bad stream if a bad frame came first."""
    session = CallSession(CONFIG)
    wire = TwilioWire()
    session.on_telephony(StreamStarted("MZ1", "CA1"), 0)
    fed_audio, actions, ends, first_bad, first_stop = [], [], [], None, None
    for now, frame in enumerate(frames, start=1):
        try:
            event = wire.parse(frame)
        except ProtocolError as exc:
            first_bad = now if first_bad is None else first_bad
            out = session.protocol_error(str(exc), now)
        else:
            if isinstance(event, CallerAudio) and not ends and event.stream_id in ("", "MZ1"):
                fed_audio.append(event.payload)
            if isinstance(event, StreamStopped):
                first_stop = now if first_stop is None else first_stop
            out = session.on_telephony(event, now) if event is not None else []
        assert all(isinstance(action, act.Action.__args__) for action in out)
        if ends:  # after the end: at most a record of the stray frame
            assert all(isinstance(action, act.Record) for action in out), out
        ends += [action for action in out if isinstance(action, act.EndCall)]
        actions += out
    forwarded = [a.payload for a in actions if isinstance(a, act.AppendCallerAudio)]
    remaining = iter(fed_audio)
    assert all(payload in remaining for payload in forwarded)  # a subsequence: nothing invented or reordered
    assert not [a for a in actions if isinstance(a, act.PlayAudio | act.PlaceMark | act.TruncateAgentAudio)]
    assert len(ends) <= 1
    if first_stop is not None:
        expected = (
            EndReason.BAD_STREAM if first_bad is not None and first_bad < first_stop else EndReason.CALLER_HUNG_UP
        )
        assert [end.reason for end in ends] == [expected]


def test_a_flood_of_frames_faster_than_real_time_is_dropped_beyond_the_allowance():
    session = CallSession(CONFIG)
    session.on_telephony(StreamStarted("MZ1", "CA1"), 0)
    payload = base64.b64encode(b"\x7f" * 160).decode()  # 20 ms
    out = [a for _ in range(5000) for a in session.on_telephony(CallerAudio(payload, 160, "MZ1"), 0)]
    forwarded = [a for a in out if isinstance(a, act.AppendCallerAudio)]
    assert len(forwarded) == 100  # the 2 s allowance for jitter, no more
    assert [a.kind for a in out if isinstance(a, act.Record)] == ["bad_frame"]  # recorded once
    later = session.on_telephony(CallerAudio(payload, 160, "MZ1"), 60_000)  # the clock caught up
    assert later == [act.AppendCallerAudio(payload)]


def test_frames_at_real_time_are_never_dropped():
    session = CallSession(CONFIG)
    session.on_telephony(StreamStarted("MZ1", "CA1"), 0)
    payload = base64.b64encode(b"\x7f" * 160).decode()
    out = [a for k in range(3000) for a in session.on_telephony(CallerAudio(payload, 160, "MZ1"), k * 20 - 1500)]
    assert len(out) == 3000 and all(isinstance(a, act.AppendCallerAudio) for a in out)


def test_model_errors_that_are_not_fatal_never_end_the_call():
    session = CallSession(CONFIG)
    session.on_telephony(StreamStarted("MZ1", "CA1"), 0)
    for code in ["conversation_already_has_active_response", "response_cancel_not_active", "unparseable_event"]:
        assert not [a for a in session.on_model(ModelFailed(code, "x"), 1) if isinstance(a, act.EndCall)]


def test_secrets_are_redacted_from_log_lines_and_tracebacks(settings, caplog):
    settings.OPENAI_API_KEY = "fake-openai-key-abcdefghijklmnop"
    settings.TWILIO_AUTH_TOKEN = "twilio-token-1234567890"
    settings.REDIS_URL = "redis://:hunter2-redis-pass@127.0.0.1:6379/0"
    logger = logging.getLogger("tests.redaction")
    record_filter = RedactSecrets()
    handler_records: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            handler_records.append(self.format(record))

    capture = Capture()
    capture.addFilter(record_filter)
    logger.addHandler(capture)
    try:
        logger.warning("calling with key %s and token %s", settings.OPENAI_API_KEY, settings.TWILIO_AUTH_TOKEN)
        try:
            raise RuntimeError(f"connect failed to {settings.REDIS_URL}")
        except RuntimeError:
            logger.exception("broker down")
    finally:
        logger.removeHandler(capture)
    text = "\n".join(handler_records)
    assert "fake-openai-key-abcdefghijklmnop" not in text
    assert "twilio-token-1234567890" not in text
    assert "hunter2-redis-pass" not in text
    assert text.count("[redacted]") >= 3
