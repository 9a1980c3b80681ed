"""Barge-in: the scenarios of issue 3 as a table, each a pure run of the session."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

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


class Carrier:
    """Twilio's playback queue, played at 8 bytes a millisecond, echoing each mark when its audio ends.

    Written apart from the session's tracker: what the caller really heard is known here.
    """

    def __init__(self) -> None:
        self.queue: list[tuple[str, str, int, float]] = []  # (mark, item, bytes, sent at)
        self.free_at = 0.0  # when the chunk now playing started (the previous one ended)
        self.played: dict[str, int] = {}  # bytes of each item played to the end of a chunk

    def take(self, actions, item: str, size: int, now: float) -> None:
        for mark in of_type(actions, act.PlaceMark):
            self.queue.append((mark.name, item, size, now))

    def _head_start(self) -> float:
        return max(self.queue[0][3], self.free_at)  # sent to an idle line, or after the one before

    def play_until(self, session, until: float) -> None:
        while self.queue and (ends := self._head_start() + self.queue[0][2] / 8) <= until:
            mark, item, size, _ = self.queue.pop(0)
            self.free_at = ends
            self.played[item] = self.played.get(item, 0) + size
            session.on_telephony(PlaybackMarked(mark), ends)

    def heard_now(self, now: float) -> tuple[str, int] | None:
        """The item playing at `now` and the bytes of it heard so far (None: nothing queued)."""
        if not self.queue:
            return None
        item = self.queue[0][1]
        return item, self.played.get(item, 0) + int((now - self._head_start()) * 8)

    def clear(self, session, now: float) -> None:
        """Twilio drops the queue and echoes every pending mark at once (the tracker must ignore them)."""
        pending, self.queue, self.free_at = self.queue, [], now
        for mark, *_ in pending:
            session.on_telephony(PlaybackMarked(mark), now)


steps = st.lists(
    st.one_of(
        st.just(("respond",)),
        st.tuples(st.just("audio"), st.integers(1, 200).map(lambda n: n * 8)),  # 1 to 200 ms
        st.tuples(st.just("wait"), st.integers(1, 400)),
        st.just(("barge",)),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(steps)
def test_a_barge_in_truncates_the_playing_item_to_exactly_what_was_heard(timeline):
    """Whatever the order of audio, marks and speech: a barge-in while the caller was hearing part of
    an answer sends exactly one truncate, for that item, at the heard ms (never beyond the received)."""
    session, carrier = live_session(), Carrier()
    now, response, received = 0.0, 0, {}
    for step in timeline:
        match step:
            case ("respond",):
                response += 1
                session.on_model(ResponseStarted(f"r{response}"), now)
            case ("audio", size) if response:
                item = f"i{response}"
                out = session.on_model(audio(f"r{response}", item, size), now)
                carrier.take(out, item, size, now)
                received[item] = received.get(item, 0) + size * bool(of_type(out, act.PlayAudio))
            case ("wait", ms):
                carrier.play_until(session, now + ms)
                now += ms
            case ("barge",):
                playing = carrier.heard_now(now)
                out = barge_in(session, now, f"u{now}")
                truncates = of_type(out, act.TruncateAgentAudio)
                if playing is None:
                    assert not truncates and not of_type(out, act.ClearPlayback)
                    continue
                item, heard = playing
                assert isinstance(out[0], act.ClearPlayback)  # the caller hears nothing more
                if heard > 0:
                    assert truncates == [act.TruncateAgentAudio(item, 0, heard // 8)]
                    assert truncates[0].audio_end_ms <= received[item] // 8
                else:  # cut before its first millisecond played: nothing heard to keep
                    assert all(t == act.TruncateAgentAudio(item, 0, 0) for t in truncates)
                carrier.clear(session, now)


def test_heard_part_cuts_at_the_nearest_word_boundary():
    assert heard_part("hello there world", 0.6) == "hello there"
    assert heard_part("hello there world", 0.25) == "hello"
    assert heard_part("hello there world", 0.0) == ""
    assert heard_part("hello there world", 1.0) == "hello there world"
    assert heard_part("hello", 0.3) == ""
