"""The conversation apart from the media leg, and the decisions the core now owns. Pure."""

from __future__ import annotations

from calls.bridge import actions as act
from calls.bridge.actions import EndReason
from calls.bridge.conversation import Conversation
from calls.bridge.effects import HangUpAfterSpeech, TransferAfterSpeech
from calls.bridge.events import (
    AgentTranscriptDelta,
    AgentTranscriptDone,
    CallerSpeechStarted,
    CallerTranscribed,
    FunctionCallRequested,
    ResponseFinished,
    ResponseStarted,
    StreamStarted,
    Usage,
)
from calls.bridge.phase import Phase
from calls.bridge.session import CallSession

from .bridge_helpers import CONFIG, audio, live_session, of_type, speak

# What only a media leg may ask for: with the audio held elsewhere, none of it may appear.
MEDIA_ACTIONS = (act.PlayAudio, act.PlaceMark, act.ClearPlayback, act.PlayFarewell, act.TruncateAgentAudio)


def sideband() -> Conversation:
    """A call whose audio never passes through us (the model holds the media; we hold a sideband socket)."""
    conversation = Conversation(CONFIG, greeting="Hello from Acme!")
    assert conversation.open() == [act.ConfigureSession(CONFIG)]
    (greeting,) = conversation.begin(now=1000)
    assert isinstance(greeting, act.RequestResponse) and "Hello from Acme!" in (greeting.instructions or "")
    return conversation


def test_a_conversation_without_a_media_leg_runs_a_tool_and_keeps_its_transcript():
    conversation = sideband()
    out: list[act.Action] = []
    out += conversation.on_model(ResponseStarted("r1"), 1100)
    out += conversation.on_model(AgentTranscriptDelta("r1", "a1", "Let me look that up."), 1200)
    out += conversation.on_model(audio("r1", "a1", 800), 1200)  # never comes on a sideband; ignored if it does
    tool = conversation.on_model(FunctionCallRequested("r1", "f1", "c1", "lookup", '{"id": 7}'), 1300)
    assert tool == [act.RunTool("c1", "lookup", '{"id": 7}')]
    agent = conversation.on_model(AgentTranscriptDone("r1", "a1", ""), 1400)
    out += conversation.on_model(ResponseFinished("r1", "completed", Usage(5, 6, 11)), 1500)
    answered = conversation.tool_result("c1", "lookup", '{"status": "shipped"}', 1600)
    assert answered[-2:] == [act.SubmitToolResult("c1", '{"status": "shipped"}'), act.RequestResponse()]
    conversation.on_model(CallerSpeechStarted("u1"), 2000)
    caller = conversation.on_model(CallerTranscribed("u1", " Thanks! "), 2500)
    lines = [a.entry for a in of_type(agent + answered + caller, act.SaveTranscript)]
    assert [(e.role, e.text, e.order, e.offset_ms) for e in lines] == [
        ("agent", "Let me look that up.", 0, 200),
        ("tool", 'lookup → {"status": "shipped"}', 1, 600),
        ("caller", "Thanks!", 2, 1000),
    ]
    assert conversation.usage == Usage(5, 6, 11)
    assert not [a for a in out + tool + agent + answered + caller if isinstance(a, MEDIA_ACTIONS)]


def test_without_a_media_leg_a_barge_in_only_cancels_and_an_ending_needs_no_clip():
    conversation = sideband()
    conversation.on_model(ResponseStarted("r1"), 1100)
    assert conversation.on_model(CallerSpeechStarted("u1"), 1200) == [act.CancelResponse()]
    conversation.tool_result("c1", "end_call", "{}", 1300, HangUpAfterSpeech())
    conversation.on_model(ResponseStarted("bye"), 1400)
    conversation.on_model(AgentTranscriptDelta("bye", "g1", "Goodbye!"), 1400)
    done = conversation.on_model(ResponseFinished("bye", "completed"), 1500)  # nothing of ours is playing
    assert of_type(done, act.HangUp) == [act.HangUp()]
    assert done[-1] == act.EndCall(EndReason.AGENT_ENDED, "the agent ended the call")
    assert conversation.phase is Phase.ENDED
    staff = sideband().hang_up(EndReason.STAFF_ENDED, 2000)
    assert staff == [act.EndCall(EndReason.STAFF_ENDED, "")]  # no farewell clip to wait for


def test_a_start_naming_another_call_is_refused_by_the_core():
    session = CallSession(CONFIG, call_id="CA1")
    out = session.on_telephony(StreamStarted("MZ1", "CA-other"), 0)
    assert out == [
        act.Record("stream_rejected", "start for another call (CA-other)"),
        act.EndCall(EndReason.STREAM_REJECTED, "start for another call (CA-other)"),
    ]
    assert session.phase is Phase.ENDED and not session.streaming
    ours = CallSession(CONFIG, call_id="CA1", greet_first=False)
    assert ours.on_telephony(StreamStarted("MZ1", "CA1"), 0) == []
    assert ours.phase is Phase.LIVE and ours.streaming and ours.stream_id == "MZ1"


def test_a_late_timer_for_an_earlier_hand_off_leaves_the_next_one_alone():
    session = live_session()
    session.on_model(FunctionCallRequested("r0", "f1", "c1", "transfer_call", "{}"), 0)
    asked = session.tool_result("c1", "transfer_call", "{}", 10, TransferAfterSpeech("+15550100100", "desk"))
    assert asked == [act.TransferCall("+15550100100", "c1")]
    first = session.hand_off_number
    session.transfer_result(False, "busy", 50)  # refused: the caller stays, the hand-off is over
    session.on_model(FunctionCallRequested("r1", "f2", "c2", "end_call", "{}"), 60)
    session.tool_result("c2", "end_call", "{}", 70, HangUpAfterSpeech())
    second = session.hand_off_number
    session.on_model(ResponseStarted("bye"), 80)
    speak(session, "bye", "g1", [8000], 80, text="Goodbye!")  # a second of goodbye, still playing
    assert first is not None and second is not None and first != second
    assert session.hand_off_timed_out(first) == []  # the transfer's timer, firing late
    assert session.handing_off and session.phase is Phase.LIVE
    out = session.hand_off_timed_out(second)
    assert out[0] == act.HangUp() and out[-1] == act.EndCall(EndReason.AGENT_ENDED, "the agent ended the call")
