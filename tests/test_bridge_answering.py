"""The answering-machine decision of outbound calls, in the sans-io core: events in, actions out."""

from __future__ import annotations

import pytest

from calls.bridge import actions as act
from calls.bridge.actions import EndReason
from calls.bridge.answering import Answerer, AnsweringFlow, OutboundPlan, classify
from calls.bridge.events import PlaybackMarked, ResponseFinished, ResponseStarted, Usage
from calls.bridge.playback import BYTES_PER_MS

from .bridge_helpers import live_session, of_type, speak

PLAN = OutboundPlan("Remind them of tomorrow's 10:00 appointment", "This is Dr Lee's office calling.")


@pytest.mark.parametrize(
    ("answered_by", "kind"),
    [
        ("human", Answerer.HUMAN),
        ("machine_end_beep", Answerer.MACHINE),
        ("machine_end_silence", Answerer.MACHINE),
        ("machine_end_other", Answerer.MACHINE),
        ("machine_start", Answerer.MACHINE_GREETING),
        ("fax", Answerer.FAX),
        ("unknown", Answerer.UNKNOWN),
        ("something-new", Answerer.UNKNOWN),
    ],
)
def test_the_carriers_verdicts(answered_by, kind):
    assert classify(answered_by) is kind


def test_a_person_hears_the_agent_open_the_conversation():
    session, flow = live_session(), AnsweringFlow(PLAN)
    actions = flow.answered_by(session, "human", 100)
    (note,) = of_type(actions, act.AddCallerNote)
    assert "just answered" in note.text
    assert of_type(actions, act.RequestResponse) == [act.RequestResponse()]
    assert not session.handing_off  # a conversation, not a message: the call goes on


def test_a_person_who_spoke_first_and_was_answered_is_not_greeted_again():
    session, flow = live_session(), AnsweringFlow(PLAN)
    session.on_model(ResponseStarted("r1"), 50)  # the model answers their "Hello?"
    assert flow.answered_by(session, "human", 100) == []


def test_a_machine_gets_the_voicemail_with_the_purpose_and_the_call_ends_once_it_is_heard():
    session, flow = live_session(), AnsweringFlow(PLAN)
    actions = flow.answered_by(session, "machine_end_beep", 100)
    (note,) = of_type(actions, act.AddCallerNote)
    assert PLAN.voicemail in note.text and PLAN.purpose in note.text
    assert of_type(actions, act.RequestResponse)
    session.on_model(ResponseStarted("vm"), 120)
    marks = speak(session, "vm", "item_vm", [800, 800], 130, "This is Dr Lee's office calling.")
    done = session.on_model(ResponseFinished("vm", "completed", Usage()), 140)
    assert of_type(done, act.HangUp) == []  # generated, but still playing
    halfway = 140 + 800 / BYTES_PER_MS
    assert of_type(session.on_telephony(PlaybackMarked(marks[0]), halfway), act.HangUp) == []
    ending = session.on_telephony(PlaybackMarked(marks[1]), halfway + 800 / BYTES_PER_MS)
    assert of_type(ending, act.HangUp) == [act.HangUp()]
    (end,) = of_type(ending, act.EndCall)
    assert end.reason is EndReason.VOICEMAIL_LEFT


def test_a_machine_that_the_model_was_already_answering_is_cut_off_first():
    session, flow = live_session(), AnsweringFlow(PLAN)
    session.on_model(ResponseStarted("r1"), 10)
    speak(session, "r1", "item_1", [1600], 20, "Hi there!")
    actions = flow.answered_by(session, "machine_end_silence", 100)
    assert of_type(actions, act.ClearPlayback) and of_type(actions, act.CancelResponse)
    assert of_type(actions, act.RequestResponse) == []  # asked once the cancelled answer is done
    after = session.on_model(ResponseFinished("r1", "cancelled", Usage()), 110)
    assert of_type(after, act.RequestResponse) == [act.RequestResponse()]


def test_the_decision_is_taken_once_and_a_greeting_machine_waits_for_its_end():
    session, flow = live_session(), AnsweringFlow(PLAN)
    assert flow.answered_by(session, "machine_start", 50) == []  # no DetectMessageEnd: wait for the end
    assert of_type(flow.answered_by(session, "machine_end_beep", 100), act.AddCallerNote)
    assert flow.answered_by(session, "human", 150) == []


def test_a_fax_is_hung_up_on():
    session, flow = live_session(), AnsweringFlow(PLAN)
    actions = flow.answered_by(session, "fax", 100)
    assert of_type(actions, act.PlayFarewell) and not of_type(actions, act.AddCallerNote)


def test_without_a_voicemail_message_the_agent_says_who_called_and_why():
    note = OutboundPlan("your order is ready").voicemail_note()
    assert "why you called" in note and "your order is ready" in note
