"""PlaybackTracker: what the caller heard, from marks and real-time playback."""

from __future__ import annotations

from calls.bridge.playback import PlaybackTracker


def test_nothing_sent_means_nothing_heard():
    tracker = PlaybackTracker()
    assert tracker.heard_bytes("item", 1000) == 0
    assert not tracker.is_playing


def test_marks_confirm_whole_chunks():
    tracker = PlaybackTracker()
    first = tracker.sent("item", 800, now=0)
    tracker.sent("item", 800, now=0)
    assert tracker.marked(first, now=100)
    assert tracker.is_playing
    # Right at the echo the second chunk starts: 800 bytes heard, exactly.
    assert tracker.heard_bytes("item", 100) == 800


def test_position_within_the_playing_chunk_follows_real_time():
    tracker = PlaybackTracker()
    first = tracker.sent("item", 800, now=0)
    tracker.sent("item", 800, now=0)
    tracker.marked(first, now=100)
    assert tracker.heard_ms("item", 140) == 140  # 100 ms confirmed + 40 ms into the next chunk
    assert tracker.heard_ms("item", 10_000) == 200  # never past what was sent


def test_a_chunk_sent_into_an_empty_queue_starts_when_sent():
    tracker = PlaybackTracker()
    first = tracker.sent("item", 160, now=0)
    tracker.marked(first, now=20)
    tracker.sent("item", 160, now=500)  # the queue ran dry for 480 ms
    assert tracker.heard_bytes("item", 510) == 160 + 80


def test_marks_echoed_after_a_clear_are_ignored():
    tracker = PlaybackTracker()
    first = tracker.sent("item", 800, now=0)
    second = tracker.sent("item", 800, now=0)
    tracker.clear()
    assert not tracker.marked(first, now=5)
    assert not tracker.marked(second, now=5)
    assert tracker.heard_bytes("item", 5) == 0
    assert not tracker.is_playing


def test_foreign_mark_names_are_not_ours():
    tracker = PlaybackTracker()
    tracker.sent("item", 800, now=0)
    assert not tracker.marked("farewell", now=10)
    assert not tracker.marked("a-nonsense", now=10)
    assert tracker.is_playing


def test_items_are_accounted_separately():
    tracker = PlaybackTracker()
    a = tracker.sent("one", 400, now=0)
    tracker.sent("two", 400, now=0)
    tracker.marked(a, now=50)
    assert tracker.queued_items() == ["two"]
    assert tracker.heard_bytes("one", 60) == 400
    assert tracker.heard_bytes("two", 60) == 80
    assert tracker.received_bytes("two") == 400
