"""CallSession: events in, actions out. No sockets, no Django."""

from __future__ import annotations

import subprocess
import sys

import pytest

from calls.bridge import actions as act
from calls.bridge.actions import EndReason, Farewell
from calls.bridge.events import (
    AgentTranscriptDone,
    CallerAudio,
    CallerSpeechStarted,
    CallerTranscribed,
    FunctionCallRequested,
    ModelFailed,
    PlaybackMarked,
    ResponseFinished,
    ResponseStarted,
    StreamStarted,
    StreamStopped,
    Usage,
)
from calls.bridge.session import CallSession, Phase

from .bridge_helpers import CONFIG, audio, live_session, of_type, speak


def test_the_core_imports_no_django_or_channels():
    code = (
        "import sys, calls.bridge.session, calls.carriers.twilio.wire, calls.bridge.openai_wire;"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('django', 'channels', 'websockets')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_open_configures_the_model_before_the_stream_starts():
    session = CallSession(CONFIG)
    assert session.open() == [act.ConfigureSession(CONFIG)]
    assert session.phase is Phase.WAITING


def test_agent_greets_first_with_its_greeting_and_persona():
    session = CallSession(CONFIG, greet_first=True, greeting="Hello from Acme!")
    out = session.on_telephony(StreamStarted("MZ1", "CA1"), 0)
    (request,) = of_type(out, act.RequestResponse)
    assert 'saying exactly: "Hello from Acme!"' in request.instructions
    assert request.instructions.startswith(CONFIG.instructions)


def test_caller_speaks_first_means_no_greeting():
    session = CallSession(CONFIG, greet_first=False)
    assert session.on_telephony(StreamStarted("MZ1", "CA1"), 0) == []


def test_caller_audio_is_forwarded_untouched():
    session = live_session()
    assert session.on_telephony(CallerAudio("//79/A==", 4, "MZ1"), 5) == [act.AppendCallerAudio("//79/A==")]


def test_media_for_another_stream_is_dropped_and_recorded():
    session = live_session()
    out = session.on_telephony(CallerAudio("//79/A==", 4, "MZ-other"), 5)
    assert of_type(out, act.AppendCallerAudio) == []
    assert of_type(out, act.Record)[0].kind == "bad_frame"
    assert session.on_telephony(CallerAudio("//79/A==", 4, "MZ-other"), 25) == []  # recorded once, not per frame


def test_media_before_start_ends_the_call_as_a_bad_stream():
    session = CallSession(CONFIG)
    out = session.on_telephony(CallerAudio("//79/A==", 4), 0)
    assert out[-1] == act.EndCall(EndReason.BAD_STREAM, "media before start")
    assert session.phase is Phase.ENDED


def test_a_second_start_is_ignored():
    session = live_session()
    out = session.on_telephony(StreamStarted("MZ2", "CA2"), 10)
    assert of_type(out, act.Record)[0].detail == "second start ignored"
    assert session.stream_id == "MZ1"


def test_agent_audio_goes_to_the_caller_with_a_mark_after_each_chunk():
    session = live_session()
    out = session.on_model(audio("r1", "i1", 800), 10)
    assert [type(a) for a in out] == [act.PlayAudio, act.PlaceMark]
    assert session.playback.received_bytes("i1") == 800


def test_transcript_turns_are_saved_when_complete_in_call_order():
    session = live_session(now=1000)
    session.on_model(CallerSpeechStarted("u1"), 1500)
    speak(session, "r1", "i1", [800], 2500)
    (agent_save,) = session.on_model(AgentTranscriptDone("r1", "i1", "We open at nine."), 2600)
    (caller_save,) = session.on_model(CallerTranscribed("u1", " What time do you open? "), 2700)
    assert caller_save.entry.order == 0 and caller_save.entry.offset_ms == 500
    assert caller_save.entry.text == "What time do you open?"
    assert agent_save.entry.order == 1 and agent_save.entry.role == "agent"
    assert agent_save.entry.text == "We open at nine." and not agent_save.entry.interrupted


def test_usage_is_summed_over_responses():
    session = live_session()
    session.on_model(ResponseFinished("r1", "completed", Usage(10, 20, 30)), 1)
    session.on_model(ResponseFinished("r2", "completed", Usage(1, 2, 3)), 2)
    assert session.usage == Usage(11, 22, 33)


def test_a_stream_that_never_starts_is_recorded_and_ended():
    session = CallSession(CONFIG)
    out = session.start_timed_out(5)
    assert out == [
        act.Record("stream_rejected", "no start within 5 s"),
        act.EndCall(EndReason.NO_STREAM, out[1].detail),
    ]
    assert session.phase is Phase.ENDED


def test_the_start_timeout_is_harmless_once_the_stream_started():
    session = live_session()
    assert session.start_timed_out(5) == []
    assert session.phase is Phase.LIVE


def test_function_call_runs_a_tool_and_its_result_goes_back_with_a_new_response():
    session = live_session()
    out = session.on_model(FunctionCallRequested("r1", "f1", "call_1", "lookup", '{"q": 1}'), 5)
    assert out == [act.RunTool("call_1", "lookup", '{"q": 1}')]
    assert session.tool_result("call_1", "lookup", '{"ok": true}', 10)[-2:] == [
        act.SubmitToolResult("call_1", '{"ok": true}'),
        act.RequestResponse(),
    ]


def test_non_fatal_model_errors_are_recorded_and_the_call_goes_on():
    session = live_session()
    out = session.on_model(ModelFailed("conversation_already_has_active_response", "one at a time"), 5)
    assert of_type(out, act.Record) and not of_type(out, act.EndCall)
    assert session.phase is Phase.LIVE


def test_a_cancel_that_found_the_answer_already_stopped_is_not_recorded_as_an_error():
    # With server VAD the service stops the answer itself when the caller speaks, so the
    # cancel a barge-in sends is usually answered with this error: expected, not a fault.
    session = live_session()
    session.on_model(ResponseStarted("r1"), 5)
    speak(session, "r1", "i1", [1600], 10)
    barge_in = session.on_model(CallerSpeechStarted("i2"), 60)
    assert of_type(barge_in, act.CancelResponse)
    assert session.on_model(ModelFailed("response_cancel_not_active", "no active response"), 65) == []
    assert session.phase is Phase.LIVE
    # One answer per cancel: a second one, for a cancel never sent, is a fault worth recording.
    assert of_type(session.on_model(ModelFailed("response_cancel_not_active", "again"), 70), act.Record)


def test_caller_hang_up_after_the_answer_played_saves_it_whole():
    session = live_session()
    marks = speak(session, "r1", "i1", [800], 10, text="Half a sentence")
    session.on_telephony(PlaybackMarked(marks[-1]), 110)  # all 100 ms heard
    out = session.on_telephony(StreamStopped(), 120)
    (save,) = of_type(out, act.SaveTranscript)
    assert save.entry.text == "Half a sentence" and not save.entry.interrupted
    assert out[-1] == act.EndCall(EndReason.CALLER_HUNG_UP, "")
    assert session.on_telephony(StreamStopped(), 130) == []  # ends once


@pytest.mark.parametrize(
    ("ending", "reason"),
    [
        (lambda s, now: s.on_telephony(StreamStopped(), now), EndReason.CALLER_HUNG_UP),
        (lambda s, now: s.carrier_closed(now), EndReason.CARRIER_DISCONNECTED),
    ],
    ids=["stop", "socket dropped"],
)
def test_hang_up_mid_answer_stores_the_turn_cut_at_what_was_heard(ending, reason):
    session = live_session()
    # 1600 bytes = 200 ms of audio sent at t=0; the first chunk's mark came back at 100 ms.
    marks = speak(session, "r1", "i1", [800, 800], 0, text="one two three four five six seven eight")
    session.on_telephony(PlaybackMarked(marks[0]), 100)
    out = ending(session, 150)  # half-way through the second chunk: 150 of 200 ms heard
    assert not of_type(out, act.TruncateAgentAudio)  # nobody left to tell
    (save,) = of_type(out, act.SaveTranscript)
    assert save.entry.interrupted and save.entry.heard_ms == 150
    assert save.entry.text == "one two three four five six"
    assert save.entry.full_text == "one two three four five six seven eight"
    assert out[-1] == act.EndCall(reason, out[-1].detail)


def test_model_loss_mid_call_apologises_then_ends_on_the_farewell_mark():
    session = live_session()
    speak(session, "r1", "i1", [800, 800], 0, text="Let me check that for")
    out = session.model_lost(EndReason.MODEL_CLOSED, "socket closed", 50)
    assert isinstance(out[0], act.ClearPlayback)
    assert of_type(out, act.PlayFarewell) == [act.PlayFarewell(Farewell.APOLOGY, "farewell")]
    assert not of_type(out, act.TruncateAgentAudio)  # the model is gone: nothing to tell it
    saved = of_type(out, act.SaveTranscript)[0].entry
    assert saved.interrupted and saved.heard_ms == 50
    assert not of_type(out, act.EndCall)
    assert session.on_model(audio("r1", "i1", 800), 60) == []  # the model is ignored now
    done = session.on_telephony(PlaybackMarked("farewell"), 3000)
    assert done[-1] == act.EndCall(EndReason.MODEL_CLOSED, "socket closed")


def test_model_unavailable_before_start_apologises_once_the_stream_starts():
    session = CallSession(CONFIG, greet_first=True)
    assert session.model_lost(EndReason.MODEL_UNAVAILABLE, "refused", 0) == []
    out = session.on_telephony(StreamStarted("MZ1", "CA1"), 10)
    assert of_type(out, act.PlayFarewell)[0].clip is Farewell.APOLOGY
    assert not of_type(out, act.RequestResponse)


def test_farewell_timeout_ends_the_call_when_the_mark_never_comes():
    session = live_session()
    session.hang_up(EndReason.MAX_DURATION, 10, "too long")
    assert session.farewell_timed_out() == [act.EndCall(EndReason.MAX_DURATION, "too long")]
    assert session.farewell_timed_out() == []


def test_protocol_error_mid_call_records_apologises_and_ends():
    session = live_session()
    out = session.protocol_error("frame is not JSON", 10)
    assert of_type(out, act.Record)[0].kind == "bad_frame"
    assert of_type(out, act.PlayFarewell)[0].clip is Farewell.APOLOGY


@pytest.mark.parametrize("fatal_code", ["session_expired", "invalid_api_key"])
def test_fatal_model_errors_end_the_call_politely(fatal_code):
    session = live_session()
    out = session.on_model(ModelFailed(fatal_code, "bye", fatal=True), 10)
    assert of_type(out, act.PlayFarewell)
    assert session.ending.reason is EndReason.MODEL_ERROR


def test_caller_leaving_during_the_apology_keeps_the_real_reason():
    session = live_session()
    session.model_lost(EndReason.MODEL_CLOSED, "socket closed", 10)
    out = session.on_telephony(StreamStopped(), 20)
    assert out[-1] == act.EndCall(EndReason.MODEL_CLOSED, "socket closed")
