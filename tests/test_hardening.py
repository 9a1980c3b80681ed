"""Bad input and secrets: fuzzed parsers and core, redacted logs."""

from __future__ import annotations

import base64
import json
import logging

from hypothesis import given, settings
from hypothesis import strategies as st

from calls.bridge import actions as act
from calls.bridge.events import CallerAudio, ModelFailed, ProtocolError, StreamStarted
from calls.bridge.openai_wire import OpenAIRealtimeWire
from calls.bridge.session import CallSession
from calls.bridge.twilio_wire import TwilioWire
from voiceagent.logging import RedactSecrets

from .bridge_helpers import CONFIG

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
twilio_like = st.fixed_dictionaries(
    {"event": st.sampled_from(["media", "start", "mark", "dtmf", "stop", "connected", "bogus"])},
    optional={"streamSid": json_values, "media": json_values, "start": json_values, "mark": json_values},
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), twilio_like.map(json.dumps), json_values.map(json.dumps)))
def test_twilio_parser_never_raises_anything_but_protocol_error(frame):
    try:
        event = TwilioWire().parse(frame)
    except ProtocolError as exc:
        assert str(exc)  # a reason to log and record
    else:
        assert event is None or type(event).__module__ == "calls.bridge.events"


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), json_values.map(json.dumps)))
def test_model_parser_never_raises(message):
    event = OpenAIRealtimeWire().parse(message)
    assert event is None or not isinstance(event, Exception)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=80), twilio_like.map(json.dumps)), max_size=30))
def test_the_session_survives_any_sequence_of_carrier_frames(frames):
    session = CallSession(CONFIG)
    wire = TwilioWire()
    session.on_telephony(StreamStarted("MZ1", "CA1"), 0)
    for now, frame in enumerate(frames):
        try:
            event = wire.parse(frame)
        except ProtocolError as exc:
            session.protocol_error(str(exc), now)
            continue
        if event is not None:
            for action in session.on_telephony(event, now):
                assert isinstance(action, act.Action.__args__)


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
