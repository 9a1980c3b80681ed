"""Tools in the core: hand-offs after speech, wait audio, mic distance, keypresses. Pure."""

from __future__ import annotations

import json

from calls.bridge import actions as act
from calls.bridge.actions import EndReason
from calls.bridge.effects import HangUpAfterSpeech, SetNoiseReduction, TransferAfterSpeech
from calls.bridge.events import (
    CallerSpeechStarted,
    DigitPressed,
    FunctionCallRequested,
    PlaybackMarked,
    ResponseFinished,
    ResponseStarted,
    StreamStarted,
)
from calls.bridge.session import CallSession
from calls.bridge.tool_flow import HOLD_ITEM

from .bridge_helpers import CONFIG, audio, live_session, of_type, speak

HOLD = ("//////8=", "//////8=")  # two tiny payloads of 5 bytes each


def with_tool_running(session, call_id="c1", name="end_call"):
    session.on_model(FunctionCallRequested("r0", "f1", call_id, name, "{}"), 0)


def test_end_call_hangs_up_only_after_the_goodbye_has_been_heard():
    session = live_session()
    with_tool_running(session)
    out = session.tool_result("c1", "end_call", '{"ok": true}', 10, HangUpAfterSpeech())
    assert out[-2:] == [act.SubmitToolResult("c1", '{"ok": true}'), act.RequestResponse()]
    assert of_type(out, act.SaveTranscript)[0].entry.role == "tool"
    session.on_model(ResponseStarted("bye"), 20)
    marks = speak(session, "bye", "g1", [800, 800], 20, text="Goodbye!")
    assert not of_type(session.on_model(ResponseFinished("bye", "completed"), 30), act.EndCall)
    assert not of_type(session.on_telephony(PlaybackMarked(marks[0]), 120), act.EndCall)  # half heard
    done = session.on_telephony(PlaybackMarked(marks[1]), 220)
    assert of_type(done, act.HangUp) == [act.HangUp()]
    assert done[-1] == act.EndCall(EndReason.AGENT_ENDED, "the agent ended the call")
    assert done.index(act.HangUp()) < done.index(done[-1])  # REST hang-up before the sockets close


def test_hand_off_waits_for_the_response_that_follows_the_tool():
    session = live_session()
    with_tool_running(session)
    session.tool_result("c1", "end_call", "{}", 10, HangUpAfterSpeech())
    session.on_model(ResponseStarted("bye"), 20)
    (mark,) = speak(session, "bye", "g1", [800], 20)
    session.on_telephony(PlaybackMarked(mark), 130)  # played before the response is even done
    out = session.on_model(ResponseFinished("bye", "completed"), 140)
    assert out[-1].reason is EndReason.AGENT_ENDED


def test_hand_off_safety_timeout_ends_the_call_anyway():
    session = live_session()
    with_tool_running(session)
    session.tool_result("c1", "end_call", "{}", 10, HangUpAfterSpeech())
    assert session.handing_off
    out = session.hand_off_timed_out()
    assert out[0] == act.HangUp() and out[-1].reason is EndReason.AGENT_ENDED


def test_transfer_moves_the_call_after_the_line_is_heard():
    session = live_session()
    with_tool_running(session, name="transfer_call")
    session.tool_result("c1", "transfer_call", "{}", 10, TransferAfterSpeech("+15550100100", "front desk"))
    session.on_model(ResponseStarted("line"), 20)
    (mark,) = speak(session, "line", "l1", [400], 20)
    session.on_model(ResponseFinished("line", "completed"), 25)
    out = session.on_telephony(PlaybackMarked(mark), 80)
    assert out[0] == act.TransferCall("+15550100100")
    assert out[-1] == act.EndCall(EndReason.TRANSFERRED, "transferred to front desk")


def test_mic_distance_changes_once_ignores_quick_repeats_and_no_ops():
    session = live_session()  # near_field by default
    same = session.tool_result("c1", "update_mic_distance", "{}", 0, SetNoiseReduction("near_field"))
    assert not of_type(same, act.UpdateNoiseReduction)
    assert json.loads(of_type(same, act.SubmitToolResult)[0].output)["changed"] is False
    changed = session.tool_result("c2", "update_mic_distance", "{}", 5000, SetNoiseReduction("far_field"))
    assert of_type(changed, act.UpdateNoiseReduction) == [act.UpdateNoiseReduction("far_field")]
    quick = session.tool_result("c3", "update_mic_distance", "{}", 6000, SetNoiseReduction("near_field"))
    assert not of_type(quick, act.UpdateNoiseReduction)
    assert json.loads(of_type(quick, act.SubmitToolResult)[0].output)["why"] == "changed moments ago"
    later = session.tool_result("c4", "update_mic_distance", "{}", 7500, SetNoiseReduction("near_field"))
    assert of_type(later, act.UpdateNoiseReduction) == [act.UpdateNoiseReduction("near_field")]


def hold_session() -> CallSession:
    session = CallSession(CONFIG, greet_first=False, hold_audio=HOLD)
    session.on_telephony(StreamStarted("MZ1", "CA1"), 0)
    return session


def test_slow_tool_plays_wait_audio_until_the_model_speaks_again():
    session = hold_session()
    with_tool_running(session, name="slow")
    held = session.tool_is_slow(1500)
    assert [type(a) for a in held] == [act.PlayAudio, act.PlaceMark] * 2
    assert session.tool_is_slow(1600) == []  # already holding
    session.tool_result("c1", "slow", "{}", 3000)
    resumed = session.on_model(audio("r2", "i2", 800), 3100)
    assert isinstance(resumed[0], act.ClearPlayback)  # the wait audio stops before the answer
    assert session.playback.queued_items() == ["i2"]


def test_wait_audio_never_leaks_after_a_barge_in_and_is_never_truncated():
    session = hold_session()
    with_tool_running(session, name="slow")
    session.tool_is_slow(1500)
    out = session.on_model(CallerSpeechStarted("u1"), 1600)
    assert isinstance(out[0], act.ClearPlayback)
    assert not of_type(out, act.TruncateAgentAudio) and not of_type(out, act.SaveTranscript)
    assert HOLD_ITEM not in session.playback.queued_items()


def test_no_wait_audio_when_the_tool_is_quick_or_the_agent_is_speaking():
    session = hold_session()
    assert session.tool_is_slow(100) == []  # no tool running
    with_tool_running(session, name="slow")
    speak(session, "r1", "i1", [800], 100)
    assert session.tool_is_slow(200) == []  # the agent's audio is still playing


def test_keypresses_can_be_kept_from_the_model():
    session = CallSession(CONFIG, greet_first=False, dtmf_to_model=False)
    session.on_telephony(StreamStarted("MZ", "CA"), 0)
    assert session.on_telephony(DigitPressed("1"), 10) == []
    assert of_type(live_session().on_telephony(DigitPressed("1"), 10), act.AddCallerNote)
