"""Tools in the core: hand-offs after speech, wait audio, mic distance, keypresses. Pure."""

from __future__ import annotations

import json

from calls.bridge import actions as act
from calls.bridge.actions import EndReason
from calls.bridge.config import Keypresses
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
from calls.bridge.media import HOLD_ITEM
from calls.bridge.phase import Phase
from calls.bridge.session import CallSession

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


def transfer_requested(session: CallSession) -> list[act.Action]:
    """The model says its line and calls transfer_call in one response; the tool says go ahead."""
    session.on_model(ResponseStarted("r0"), 0)
    (mark,) = speak(session, "r0", "l1", [400], 0, text="Putting you through.")
    with_tool_running(session, name="transfer_call")
    ahead = session.tool_result("c1", "transfer_call", '{"ok": true}', 10, TransferAfterSpeech("+15550100100", "desk"))
    assert ahead == []  # no output yet: the model waits for the carrier's answer
    finished = session.on_model(ResponseFinished("r0", "completed"), 20)
    assert not of_type(finished, act.TransferCall)  # the line is still playing
    return session.on_telephony(PlaybackMarked(mark), 50)


def test_transfer_is_asked_of_the_carrier_once_the_line_is_heard():
    session = live_session()
    out = transfer_requested(session)
    assert out == [act.TransferCall("+15550100100", "c1")]
    assert session.hand_off_timed_out() == []  # asked already: the timeout does not ask twice
    done = session.transfer_result(True, "", 400)
    assert done[-1] == act.EndCall(EndReason.TRANSFERRED, "transferred to desk")
    assert not of_type(done, act.SubmitToolResult)


def test_transfer_without_speech_first_is_asked_at_once():
    session = live_session()
    with_tool_running(session, name="transfer_call")
    out = session.tool_result("c1", "transfer_call", "{}", 10, TransferAfterSpeech("+15550100100", "desk"))
    assert out == [act.TransferCall("+15550100100", "c1")]


def test_refused_transfer_keeps_the_caller_and_tells_the_model_why():
    session = live_session()
    transfer_requested(session)
    out = session.transfer_result(False, "Twilio 21211: Invalid 'To' number", 400)
    error = "transfer_failed: Twilio 21211: Invalid 'To' number"
    output = json.dumps({"error": error, "transferred": False})
    assert out[0] == act.Record("transfer_failed", f"to +15550100100: {error}")
    assert out[1] == act.AmendToolCall("c1", output, error)
    assert out[-2:] == [act.SubmitToolResult("c1", output), act.RequestResponse()]
    assert of_type(out, act.SaveTranscript)[0].entry.role == "tool"
    assert not of_type(out, act.EndCall) and session.phase is Phase.LIVE
    assert not session.handing_off
    # The conversation goes on: the next answer plays as usual.
    assert of_type(session.on_model(audio("r1", "i9", 400), 500), act.PlayAudio)


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


def test_keypress_answers_at_once_when_the_agent_is_silent():
    session = live_session()
    out = session.on_telephony(DigitPressed("5"), 100)
    assert out == [
        act.AddCallerNote("The caller pressed the key 5."),
        act.SaveTranscript(out[1].entry),
        act.RequestResponse(),
    ]
    assert out[1].entry.role == "system" and out[1].entry.text == "The caller pressed the key 5."


def test_keypress_during_an_answer_interrupts_it_and_is_answered_once_it_stopped():
    session = live_session()
    session.on_model(ResponseStarted("r1"), 0)
    speak(session, "r1", "i1", [800], 0, text="Press one for sales, two for")
    out = session.on_telephony(DigitPressed("1"), 40)
    kinds = [type(a) for a in out]
    assert kinds[:3] == [act.ClearPlayback, act.CancelResponse, act.TruncateAgentAudio]
    assert of_type(out, act.TruncateAgentAudio) == [act.TruncateAgentAudio("i1", 0, 40)]
    assert of_type(out, act.AddCallerNote) and not of_type(out, act.RequestResponse)  # one answer at a time
    after = session.on_model(ResponseFinished("r1", "cancelled"), 60)
    assert of_type(after, act.RequestResponse) == [act.RequestResponse()]
    assert not of_type(session.on_model(ResponseFinished("r2", "completed"), 90), act.RequestResponse)


def test_keypress_note_only_never_asks_for_an_answer():
    session = CallSession(CONFIG, greet_first=False, keypresses=Keypresses.NOTE)
    session.on_telephony(StreamStarted("MZ1", "CA1"), 0)
    out = session.on_telephony(DigitPressed("7"), 10)
    assert [type(a) for a in out] == [act.AddCallerNote, act.SaveTranscript]


def test_keypresses_can_be_kept_from_the_model():
    session = CallSession(CONFIG, greet_first=False, keypresses=Keypresses.OFF)
    session.on_telephony(StreamStarted("MZ", "CA"), 0)
    assert session.on_telephony(DigitPressed("1"), 10) == []
    assert of_type(live_session().on_telephony(DigitPressed("1"), 10), act.AddCallerNote)
