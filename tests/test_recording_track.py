"""The heard-track arithmetic of `CallRecording`: pure, fed times in ms on the call's clock."""

from __future__ import annotations

import warnings
from array import array

from calls.bridge.recording import ULAW_TO_LINEAR, CallRecording, interleave

LOUD = 0x80  # a µ-law byte far from silence (0xFF decodes to 0)


def channels(frames: bytes) -> tuple[list[int], list[int]]:
    samples = array("h", frames)
    return list(samples[0::2]), list(samples[1::2])


def test_the_table_decodes_as_the_standard_does():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop  # present up to Python 3.12: the reference our table replaces
    reference = array("h", audioop.ulaw2lin(bytes(range(256)), 2))
    assert list(ULAW_TO_LINEAR) == list(reference)
    assert ULAW_TO_LINEAR[0xFF] == 0 and ULAW_TO_LINEAR[0x80] == 32124


def test_interleave_puts_left_then_right():
    left, right = channels(interleave(bytes([0x80, 0xFF]), bytes([0xFF, 0x00])))
    assert left == [32124, 0] and right == [0, -32124]


def test_agent_audio_plays_from_when_it_was_sent_then_after_what_is_queued():
    track = CallRecording()
    track.sent(bytes([LOUD]) * 800, at_ms=100)  # 100 ms of audio, sent at 100 ms
    track.sent(bytes([LOUD]) * 800, at_ms=120)  # sent while the first still plays: queued behind it
    _, heard = channels(track.finish(1000))
    assert len(heard) == 8000  # the call lasted 1 s
    assert set(heard[:800]) == {0} and set(heard[800:2400]) == {32124} and set(heard[2400:]) == {0}


def test_a_clear_drops_everything_scheduled_after_it():
    track = CallRecording()
    track.sent(bytes([LOUD]) * 8000, at_ms=0)  # one second queued at once
    track.cleared(at_ms=250)  # barge-in: the caller heard 250 ms of it
    track.sent(bytes([LOUD]) * 800, at_ms=600)  # the next answer starts at once, not after the dropped rest
    _, heard = channels(track.finish(1000))
    assert set(heard[:2000]) == {32124}
    assert set(heard[2000:4800]) == {0}  # silence from the clear until the next answer
    assert set(heard[4800:5600]) == {32124} and set(heard[5600:]) == {0}


def test_the_end_of_the_call_cuts_what_was_still_queued():
    track = CallRecording()
    track.sent(bytes([LOUD]) * 16000, at_ms=0)  # two seconds sent
    _, heard = channels(track.finish(500))  # the caller hung up after half a second
    assert len(heard) == 4000 and set(heard) == {32124}


def test_caller_frames_are_laid_end_to_end_through_jitter_and_a_long_hole_stays_silent():
    track = CallRecording()
    frame = bytes([LOUD]) * 160  # 20 ms
    for at in (20, 40, 75, 80, 100):  # bunched and late frames: contiguous
        track.caller(frame, at)
    track.caller(frame, 1020)  # nothing for 900 ms: silence in place, the frame ends at 1020
    caller, heard = channels(track.finish(1020))
    assert len(caller) == 8160
    assert set(caller[:800]) == {32124} and set(caller[800:8000]) == {0} and set(caller[8000:]) == {32124}
    assert set(heard) == {0}


def test_take_hands_out_each_frame_once_and_later_audio_is_not_lost():
    track = CallRecording()
    track.sent(bytes([LOUD]) * 1600, at_ms=100)
    first = track.take(150)  # up to 150 ms: 50 ms of it heard so far
    second = track.finish(400)
    _, heard_first = channels(first)
    _, heard_second = channels(second)
    assert len(heard_first) == 1200 and len(heard_second) == 2000
    assert (heard_first + heard_second).count(32124) == 1600
    assert track.take(300) == b""  # nothing twice


def test_fed_by_a_session_wait_audio_is_heard_until_the_answer_and_a_barge_in_cuts_the_answer():
    """The session's own actions, fed as the runner's tap feeds them (recordings/tap.py)."""
    import base64

    from calls.bridge import actions as act
    from calls.bridge.events import CallerSpeechStarted, FunctionCallRequested, StreamStarted
    from calls.bridge.session import CallSession

    from .bridge_helpers import CONFIG, audio

    hold = (base64.b64encode(bytes([0x80]) * 4000).decode(),)  # half a second of wait audio, loud
    session = CallSession(CONFIG, greet_first=False, hold_audio=hold)
    track = CallRecording()

    def feed(actions: list, now: float) -> None:
        for action in actions:
            if isinstance(action, act.PlayAudio):
                track.sent(base64.b64decode(action.payload), now)
            elif isinstance(action, act.ClearPlayback):
                track.cleared(now)

    session.on_telephony(StreamStarted("MZ1", "CA1"), 0)
    session.on_model(FunctionCallRequested("r0", "f1", "c1", "slow", "{}"), 0)
    feed(session.tool_is_slow(100), 100)  # wait audio from 100 ms
    feed(session.on_model(audio("r1", "i1", 8000), 300), 300)  # the answer (0x55) stops it at 300 ms
    feed(session.on_model(CallerSpeechStarted("u1"), 800), 800)  # the caller barges in at 800 ms
    _, heard = channels(track.finish(1500))
    answer = ULAW_TO_LINEAR[0x55]
    assert set(heard[:800]) == {0}
    assert set(heard[800:2400]) == {32124}  # wait audio, 100 to 300 ms: the rest was cleared unheard
    assert set(heard[2400:6400]) == {answer}  # the answer, 300 to 800 ms
    assert set(heard[6400:]) == {0}  # cut at the barge-in
