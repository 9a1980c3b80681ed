"""Wire formats: Twilio Media Streams and OpenAI Realtime, parsed at the edge."""

from __future__ import annotations

import base64
import json

import pytest

from calls.bridge import actions as act
from calls.bridge.config import SessionConfig, ToolSpec, TurnTaking
from calls.bridge.events import (
    AgentAudio,
    CallerAudio,
    CallerSpeechStarted,
    CallerTranscribed,
    DigitPressed,
    FunctionCallRequested,
    ModelFailed,
    ModelReady,
    PlaybackMarked,
    ProtocolError,
    ResponseFinished,
    StreamStarted,
    StreamStopped,
    TranscriptionUsage,
    Usage,
)
from calls.bridge.openai_wire import OpenAIRealtimeWire, base64_size, session_update
from calls.carriers.twilio.wire import TwilioWire

FRAME = base64.b64encode(b"\xff" * 160).decode()
twilio = TwilioWire()
openai = OpenAIRealtimeWire()


def tw(message: dict) -> str:
    return json.dumps(message)


def test_twilio_start_carries_the_ids_and_leaves_custom_parameters():
    event = twilio.parse(
        tw(
            {
                "event": "start",
                "sequenceNumber": "1",
                "streamSid": "MZ1",
                "start": {"streamSid": "MZ1", "callSid": "CA1", "customParameters": {"call_token": "tok"}},
            }
        )
    )
    assert event == StreamStarted("MZ1", "CA1")  # we send no <Parameter>s: none is read


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ({"event": "media", "streamSid": "MZ1", "media": {"payload": FRAME}}, CallerAudio(FRAME, 160, "MZ1")),
        ({"event": "mark", "streamSid": "MZ1", "mark": {"name": "a3"}}, PlaybackMarked("a3")),
        ({"event": "dtmf", "streamSid": "MZ1", "dtmf": {"digit": "7"}}, DigitPressed("7")),
        ({"event": "stop", "streamSid": "MZ1", "stop": {"callSid": "CA1"}}, StreamStopped()),
        ({"event": "connected", "protocol": "Call"}, None),
        ({"event": "something-new"}, None),
    ],
)
def test_twilio_events(message, expected):
    assert twilio.parse(tw(message)) == expected


@pytest.mark.parametrize(
    "frame",
    [
        "not json",
        "[1, 2]",
        tw({"event": "media", "media": {"payload": "***not base64***"}}),
        tw({"event": "media", "media": {}}),
        tw({"event": "media", "media": {"payload": base64.b64encode(b"\xff" * 8001).decode()}}),
        tw({"event": "start", "start": {"streamSid": "MZ1"}}),
        tw({"event": "mark"}),
        "x" * (64 * 1024 + 1),
    ],
    ids=[
        "not-json",
        "not-object",
        "bad-base64",
        "no-payload",
        "oversized-audio",
        "start-no-callsid",
        "mark-empty",
        "huge",
    ],
)
def test_malformed_twilio_frames_raise_protocol_error(frame):
    with pytest.raises(ProtocolError):
        twilio.parse(frame)


def test_twilio_outbound_messages_are_valid_json_with_the_payload_untouched():
    media = json.loads(twilio.encode(act.PlayAudio(FRAME), "MZ1"))
    assert media == {"event": "media", "streamSid": "MZ1", "media": {"payload": FRAME}}
    assert json.loads(twilio.encode(act.PlaceMark("a1"), "MZ1")) == {
        "event": "mark",
        "streamSid": "MZ1",
        "mark": {"name": "a1"},
    }
    assert json.loads(twilio.encode(act.ClearPlayback(), "MZ1")) == {"event": "clear", "streamSid": "MZ1"}


def test_openai_events_ga_and_beta_names():
    delta = {"type": "response.output_audio.delta", "response_id": "r", "item_id": "i", "delta": FRAME}
    assert openai.parse(json.dumps(delta)) == AgentAudio("r", "i", FRAME, 160)
    delta["type"] = "response.audio.delta"
    assert openai.parse(json.dumps(delta)) == AgentAudio("r", "i", FRAME, 160)
    assert openai.parse('{"type":"session.created","session":{}}') == ModelReady()
    assert openai.parse('{"type":"input_audio_buffer.speech_started","item_id":"u","audio_start_ms":5}') == (
        CallerSpeechStarted("u")
    )
    transcribed = {"type": "conversation.item.input_audio_transcription.completed", "item_id": "u", "transcript": "hi"}
    assert openai.parse(json.dumps(transcribed)) == CallerTranscribed("u", "hi")
    assert openai.parse('{"type":"rate_limits.updated"}') is None


def test_openai_response_done_carries_usage():
    done = {
        "type": "response.done",
        "response": {
            "id": "r",
            "status": "cancelled",
            "usage": {"input_tokens": 3, "output_tokens": 4, "total_tokens": 7},
        },
    }
    assert openai.parse(json.dumps(done)) == ResponseFinished("r", "cancelled", Usage(3, 4, 7, responses=1))


def test_openai_usage_is_split_as_the_api_reports_it_and_transcription_apart():
    usage = {
        "input_tokens": 1200,
        "output_tokens": 300,
        "total_tokens": 1500,
        "input_token_details": {
            "text_tokens": 400,
            "audio_tokens": 800,
            "cached_tokens": 500,
            "cached_tokens_details": {"text_tokens": 300, "audio_tokens": 200},
        },
        "output_token_details": {"text_tokens": 60, "audio_tokens": 240},
    }
    done = {"type": "response.done", "response": {"id": "r", "status": "completed", "usage": usage}}
    assert openai.parse(json.dumps(done)).usage == Usage(1200, 300, 1500, 400, 800, 300, 200, 60, 240, 1)
    transcribed = {
        "type": "conversation.item.input_audio_transcription.completed",
        "item_id": "i",
        "transcript": "Hi",
        "usage": {
            "type": "tokens",
            "input_tokens": 50,
            "output_tokens": 7,
            "input_token_details": {"text_tokens": 0, "audio_tokens": 50},
        },
    }
    assert openai.parse(json.dumps(transcribed)) == CallerTranscribed("i", "Hi", TranscriptionUsage(0, 50, 7))
    whisper = {**transcribed, "usage": {"type": "duration", "seconds": 2.5}}
    assert openai.parse(json.dumps(whisper)).usage == TranscriptionUsage(seconds=2.5)
    assert Usage(1, responses=1) + Usage(2, cached_audio=3, responses=1) == Usage(3, cached_audio=3, responses=2)


def test_openai_function_call_and_errors():
    call = {
        "type": "response.function_call_arguments.done",
        "response_id": "r",
        "item_id": "f",
        "call_id": "c",
        "name": "end_call",
        "arguments": "{}",
    }
    assert openai.parse(json.dumps(call)) == FunctionCallRequested("r", "f", "c", "end_call", "{}")
    error = {"type": "error", "error": {"type": "invalid_request_error", "code": "session_expired", "message": "m"}}
    assert openai.parse(json.dumps(error)) == ModelFailed("session_expired", "m", fatal=True)
    assert openai.parse("{nonsense") == ModelFailed("unparseable_event", "JSONDecodeError in a server event")


def test_base64_size_without_decoding():
    for n in range(0, 20):
        assert base64_size(base64.b64encode(b"x" * n).decode()) == n


def test_session_update_is_the_ga_shape_with_pcmu_both_ways():
    config = SessionConfig(
        model="gpt-realtime",
        instructions="Be brief.",
        voice="marin",
        turn_taking=TurnTaking("semantic_vad", eagerness="low"),
        noise_reduction="far_field",
        transcription_language="fr",
        tools=(ToolSpec("end_call", "Hang up.", {"type": "object", "properties": {}}),),
    )
    session = session_update(config)["session"]
    assert session["type"] == "realtime" and session["output_modalities"] == ["audio"]
    assert session["audio"]["input"]["format"] == {"type": "audio/pcmu"}
    assert session["audio"]["output"] == {"format": {"type": "audio/pcmu"}, "voice": "marin"}
    assert session["audio"]["input"]["turn_detection"] == {"type": "semantic_vad", "eagerness": "low"}
    assert session["audio"]["input"]["noise_reduction"] == {"type": "far_field"}
    assert session["audio"]["input"]["transcription"] == {"model": "gpt-4o-transcribe", "language": "fr"}
    assert session["tools"][0]["name"] == "end_call" and session["tool_choice"] == "auto"


def test_openai_client_messages():
    assert json.loads(openai.encode(act.AppendCallerAudio(FRAME))) == {
        "type": "input_audio_buffer.append",
        "audio": FRAME,
    }
    assert json.loads(openai.encode(act.TruncateAgentAudio("i", 0, 120))) == {
        "type": "conversation.item.truncate",
        "item_id": "i",
        "content_index": 0,
        "audio_end_ms": 120,
    }
    assert json.loads(openai.encode(act.CancelResponse())) == {"type": "response.cancel"}
    output = json.loads(openai.encode(act.SubmitToolResult("c", '{"ok":1}')))
    assert output["item"] == {"type": "function_call_output", "call_id": "c", "output": '{"ok":1}'}
