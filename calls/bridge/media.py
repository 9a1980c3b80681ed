"""`MediaLeg`: the call's audio as it passes through us, between the carrier and the model.

Playback accounting by marks, the clear and the truncate at what was heard on a barge-in,
wait audio and the farewell clip, and the check that the caller's audio comes no faster than
a phone line makes it. The conversation (`conversation.py`) asks it through the `Media` port;
a call whose audio does not pass through us (the model holds the media) has `NO_MEDIA`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from . import actions as act
from .actions import Action, Farewell
from .events import AgentAudio, CallerAudio
from .playback import BYTES_PER_MS, PlaybackTracker, base64_size

HOLD_ITEM = "hold"  # playback of wait audio: accounted like speech, never truncated or transcribed
FAREWELL_MARK = "farewell"
# A phone line produces 1 ms of audio per ms; network jitter may bunch frames up. Beyond this
# much audio ahead of the clock, frames are a flood (a bug or an attack), not speech.
FLOOD_ALLOWANCE_MS = 2000

# Told, per agent item cut from playback, how many of the bytes sent were heard: the
# conversation's answer (the transcript line to store again) follows that item's truncate.
Heard = Callable[[str, int, int], list[Action]]


class Media(Protocol):
    """What the conversation asks of the leg that plays the agent's voice to the caller."""

    @property
    def is_playing(self) -> bool:
        """The agent's audio is still queued at the carrier: the caller has not heard it all."""
        ...

    @property
    def holding(self) -> bool:
        """Wait audio is playing."""
        ...

    def never_played(self, item_id: str) -> bool:
        """No audio of `item_id` reached the caller (False where we cannot know)."""
        ...

    def play(self, audio: AgentAudio, now: float) -> list[Action]: ...

    def clear(self) -> list[Action]:
        """Drop what the carrier has queued, at once (nothing when nothing is queued)."""
        ...

    def cut(self, now: float, *, tell_model: bool, heard: Heard) -> list[Action]:
        """Account for the audio dropped by a clear; the head item was partly heard."""
        ...

    def forget(self) -> None:
        """Stop waiting for queued audio's marks (they will never come)."""
        ...

    def hold(self, now: float) -> list[Action]:
        """Wait audio, until the model speaks again."""
        ...

    def farewell(self, clip: Farewell) -> list[Action]:
        """Play the clip; its mark's echo ends the call. Nothing where there is no audio leg."""
        ...


class NoMedia:
    """The media is held elsewhere (the model's SIP leg): nothing queues, plays or is cut here."""

    is_playing = False
    holding = False

    def never_played(self, item_id: str) -> bool:
        return False

    def play(self, audio: AgentAudio, now: float) -> list[Action]:
        return []

    def clear(self) -> list[Action]:
        return []

    def cut(self, now: float, *, tell_model: bool, heard: Heard) -> list[Action]:
        return []

    def forget(self) -> None:
        return None

    def hold(self, now: float) -> list[Action]:
        return []

    def farewell(self, clip: Farewell) -> list[Action]:
        return []


NO_MEDIA = NoMedia()


class MediaLeg:
    """The carrier's stream: what we sent, what the caller heard, what the caller sends."""

    def __init__(self, hold_audio: tuple[str, ...] = ()) -> None:
        self.hold_audio = hold_audio  # base64 µ-law chunks played while a slow tool runs
        self.stream_id = ""
        self.playback = PlaybackTracker()
        self._holding = False
        self._started_at = 0.0
        self._caller_audio_ms = 0.0  # caller audio forwarded so far
        self._recorded: set[str] = set()  # faults recorded once, not once per frame

    def start(self, stream_id: str, now: float) -> None:
        self.stream_id = stream_id
        self._started_at = now

    # --- the caller's audio -----------------------------------------------------------

    def caller_audio(self, event: CallerAudio, now: float) -> list[Action]:
        """Forward caller audio of our stream unless it arrives faster than a phone line makes it."""
        if event.stream_id and event.stream_id != self.stream_id:
            return self._record_once("media for another stream dropped")
        duration_ms = event.size / BYTES_PER_MS
        if self._caller_audio_ms + duration_ms > (now - self._started_at) + FLOOD_ALLOWANCE_MS:
            return self._record_once("caller audio faster than real time: excess dropped")
        self._caller_audio_ms += duration_ms
        return [act.AppendCallerAudio(event.payload)]

    def _record_once(self, detail: str) -> list[Action]:
        """A dropped frame's reason, recorded the first time only: a flood must not become DB writes."""
        if detail in self._recorded:
            return []
        self._recorded.add(detail)
        return [act.Record("bad_frame", detail)]

    def marked(self, name: str, now: float) -> None:
        self.playback.marked(name, now)

    # --- the agent's audio (the `Media` port) -----------------------------------------

    @property
    def is_playing(self) -> bool:
        return self.playback.is_playing

    @property
    def holding(self) -> bool:
        return self._holding

    def never_played(self, item_id: str) -> bool:
        return self.playback.received_bytes(item_id) == 0

    def play(self, audio: AgentAudio, now: float) -> list[Action]:
        actions: list[Action] = []
        if self._holding:  # the model speaks again: the wait audio stops at once
            self._holding = False
            self.playback.clear()
            actions.append(act.ClearPlayback())
        mark = self.playback.sent(audio.item_id, audio.size, now)
        return [*actions, act.PlayAudio(audio.payload), act.PlaceMark(mark)]

    def clear(self) -> list[Action]:
        return [act.ClearPlayback()] if self.playback.is_playing else []

    def cut(self, now: float, *, tell_model: bool, heard: Heard) -> list[Action]:
        actions: list[Action] = []
        self._holding = False
        for item_id in self.playback.queued_items():
            if item_id == HOLD_ITEM:
                continue  # wait audio: nothing the model said, nothing to truncate
            heard_bytes = self.playback.heard_bytes(item_id, now)
            if tell_model and heard_bytes > 0:
                actions.append(act.TruncateAgentAudio(item_id, 0, heard_bytes // BYTES_PER_MS))
            actions += heard(item_id, heard_bytes, self.playback.received_bytes(item_id))
        self.playback.clear()
        return actions

    def forget(self) -> None:
        self.playback.clear()

    def hold(self, now: float) -> list[Action]:
        self._holding = True
        actions: list[Action] = []
        for payload in self.hold_audio:
            mark = self.playback.sent(HOLD_ITEM, base64_size(payload), now)
            actions += [act.PlayAudio(payload), act.PlaceMark(mark)]
        return actions

    def farewell(self, clip: Farewell) -> list[Action]:
        return [act.PlayFarewell(clip, FAREWELL_MARK)]
