"""Barge-in: the scenarios of issue 3 as a table, each a pure run of the session."""

from __future__ import annotations

from calls.bridge import actions as act
from calls.bridge.events import (
    AgentTranscriptDone,
    CallerSpeechStarted,
    PlaybackMarked,
    ResponseFinished,
    ResponseStarted,
)
from calls.bridge.transcript import heard_part

from .bridge_helpers import audio, live_session, of_type, speak


def barge_in(session, now, item="u1"):
    return session.on_model(CallerSpeechStarted(item), now)


def test_interrupt_before_any_audio_cancels_but_clears_and_truncates_nothing():
    session = live_session()
    session.on_model(ResponseStarted("r1"), 0)
    out = barge_in(session, 10)
    assert out == [act.CancelResponse()]
    assert session.on_model(audio("r1", "i1", 800), 20) == []  # its late audio never plays


def test_interrupt_mid_item_clears_first_truncates_to_what_was_heard_and_cuts_the_transcript():
    session = live_session()
    session.on_model(ResponseStarted("r1"), 0)
    marks = speak(session, "r1", "i1", [800, 800, 800], 0, text="one two three four five six")
    session.on_telephony(PlaybackMarked(marks[0]), 100)  # first 100 ms played
    session.on_model(AgentTranscriptDone("r1", "i1", "one two three four five six"), 101)
    out = barge_in(session, 150)
    assert isinstance(out[0], act.ClearPlayback)  # the caller's audio stops before anything else
    assert act.CancelResponse() in out
    assert of_type(out, act.TruncateAgentAudio) == [act.TruncateAgentAudio("i1", 0, 150)]
    entry = of_type(out, act.SaveTranscript)[0].entry
    assert entry.interrupted and entry.heard_ms == 150
    assert entry.full_text == "one two three four five six"
    assert entry.text == heard_part("one two three four five six", 150 / 300) == "one two three"


def test_deltas_of_the_cancelled_response_are_dropped():
    session = live_session()
    session.on_model(ResponseStarted("r1"), 0)
    speak(session, "r1", "i1", [800], 0)
    barge_in(session, 50)
    assert session.on_model(audio("r1", "i1", 800), 60) == []
    assert not session.playback.is_playing


def test_speech_after_everything_played_truncates_nothing():
    session = live_session()
    session.on_model(ResponseStarted("r1"), 0)
    marks = speak(session, "r1", "i1", [800, 800], 0, text="all heard")
    session.on_model(ResponseFinished("r1", "completed"), 5)
    for name in marks:
        session.on_telephony(PlaybackMarked(name), 200)
    assert barge_in(session, 300) == []


def test_multiple_items_only_the_playing_one_is_truncated_the_next_is_unheard():
    session = live_session()
    session.on_model(ResponseStarted("r1"), 0)
    first = speak(session, "r1", "i1", [400], 0, text="First part.")
    speak(session, "r1", "i2", [400, 400], 0, text="Second part here.")
    session.on_model(AgentTranscriptDone("r1", "i1", "First part."), 1)
    session.on_model(AgentTranscriptDone("r1", "i2", "Second part here."), 1)
    session.on_telephony(PlaybackMarked(first[0]), 50)  # i1 fully played
    out = barge_in(session, 75)  # 25 ms into i2
    assert of_type(out, act.TruncateAgentAudio) == [act.TruncateAgentAudio("i2", 0, 25)]
    (entry,) = [s.entry for s in of_type(out, act.SaveTranscript)]
    assert entry.key == "i2" and entry.interrupted and entry.heard_ms == 25


def test_second_response_queued_behind_the_first_is_cancelled_and_marked_unheard():
    session = live_session()
    session.on_model(ResponseStarted("r1"), 0)
    speak(session, "r1", "i1", [800], 0, text="First answer.")
    session.on_model(AgentTranscriptDone("r1", "i1", "First answer."), 1)
    session.on_model(ResponseFinished("r1", "completed"), 2)
    session.on_model(ResponseStarted("r2"), 3)
    speak(session, "r2", "i2", [800], 3, text="Second answer.")
    out = barge_in(session, 40)  # 40 ms into the first answer
    assert act.CancelResponse() in out
    assert of_type(out, act.TruncateAgentAudio) == [act.TruncateAgentAudio("i1", 0, 40)]
    assert [s.entry.key for s in of_type(out, act.SaveTranscript)] == ["i1"]  # i2 is saved when it completes
    finished = session.on_model(ResponseFinished("r2", "cancelled"), 50)
    (i2,) = [s.entry for s in of_type(finished, act.SaveTranscript)]
    assert i2.interrupted and i2.heard_ms == 0 and i2.text == "" and i2.full_text == "Second answer."


def test_barge_in_during_the_greeting():
    session = live_session(greet_first=True, greeting="Hello, thanks for calling Acme.")
    session.on_model(ResponseStarted("greet"), 0)
    speak(session, "greet", "g1", [1600, 1600], 0, text="Hello, thanks for calling Acme.")
    out = barge_in(session, 120)
    assert isinstance(out[0], act.ClearPlayback)
    assert of_type(out, act.TruncateAgentAudio) == [act.TruncateAgentAudio("g1", 0, 120)]


def test_two_barge_ins_in_a_row_the_second_finds_nothing_to_cut():
    session = live_session()
    session.on_model(ResponseStarted("r1"), 0)
    speak(session, "r1", "i1", [800], 0)
    first = barge_in(session, 30, "u1")
    second = barge_in(session, 60, "u2")
    assert of_type(first, act.ClearPlayback) and of_type(first, act.TruncateAgentAudio)
    assert second == []


def test_cleared_marks_echoed_by_the_carrier_do_not_count_as_played():
    session = live_session()
    session.on_model(ResponseStarted("r1"), 0)
    marks = speak(session, "r1", "i1", [800, 800], 0)
    barge_in(session, 30)
    for name in marks:  # Twilio echoes every pending mark when it clears
        session.on_telephony(PlaybackMarked(name), 31)
    assert session.playback.heard_bytes("i1", 31) == 0  # the queue was forgotten at the clear


def test_truncate_never_exceeds_the_audio_received():
    session = live_session()
    session.on_model(ResponseStarted("r1"), 0)
    speak(session, "r1", "i1", [160], 0)
    out = barge_in(session, 10_000)  # the echo is late; real time says far more than was sent
    for truncate in of_type(out, act.TruncateAgentAudio):
        assert truncate.audio_end_ms <= 20


def test_heard_part_cuts_at_the_nearest_word_boundary():
    assert heard_part("hello there world", 0.6) == "hello there"
    assert heard_part("hello there world", 0.25) == "hello"
    assert heard_part("hello there world", 0.0) == ""
    assert heard_part("hello there world", 1.0) == "hello there world"
    assert heard_part("hello", 0.3) == ""
