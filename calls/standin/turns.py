"""The caller side of a stand-in session: input audio buffer, VAD and turns.

Mirrors ``server_vad`` on the real service: speech starts the caller's item and,
with ``interrupt_response``, cancels an answer in progress (barge-in); trailing
silence stops it, the buffer is committed as a user message, transcribed if
transcription is configured, and with ``create_response`` an answer starts.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING

from calls.audio import CLIP_TEXT
from calls.standin.vad import EnergyVad
from calls.standin.wire import Event, dig, new_id

if TYPE_CHECKING:
    from calls.standin.session import StandinSession

__all__ = ["CALLER_TRANSCRIPT", "CallerTurns"]

#: What the simulated caller always "said": the transcript of every caller turn.
CALLER_TRANSCRIPT = CLIP_TEXT["caller_question"]


class CallerTurns:
    """Input audio handling for one session (the ``input_audio_buffer.*`` events)."""

    def __init__(self, session: StandinSession) -> None:
        self.vad = EnergyVad(session.options.vad_threshold, session.options.silence_ms)
        #: Committed caller turns; before the first, response.create greets.
        self.count = 0
        self._session = session
        self._speech_item: str | None = None  # id of the caller turn being spoken
        self._uncommitted = 0  # bytes appended since the last commit or clear

    def turn_detection(self) -> Event | None:
        """The session's turn_detection config; None means VAD off (client commits)."""
        detection = dig(self._session.session, "audio", "input", "turn_detection")
        return detection if isinstance(detection, dict) else None

    async def on_append(self, event: Event) -> None:
        """``input_audio_buffer.append``: record the audio and run the VAD over it."""
        try:
            audio = base64.b64decode(str(event.get("audio", "")), validate=True)
        except (binascii.Error, ValueError):
            message = "audio must be base64-encoded audio/pcmu"
            await self._session.error("invalid_value", message, event)
            return
        self._session.input_audio += audio
        self._uncommitted += len(audio)
        # Always feed the VAD so its clock stays "ms of audio since session start".
        for boundary in self.vad.feed(audio):
            detection = self.turn_detection()
            if detection is None:
                continue
            if boundary.kind == "speech_started":
                await self._speech_started(boundary.audio_ms, detection)
            else:
                await self._speech_stopped(boundary.audio_ms, detection)

    async def on_commit(self, event: Event) -> None:
        """``input_audio_buffer.commit``: end the turn by hand (no auto response)."""
        if self._uncommitted == 0:
            message = "Buffer is empty: nothing to commit."
            await self._session.error("input_audio_buffer_commit_empty", message, event)
            return
        item_id = self._speech_item or new_id("item")
        self._speech_item = None
        self.vad.reset()
        await self._commit(item_id)

    async def on_clear(self, event: Event) -> None:
        """``input_audio_buffer.clear``: drop the uncommitted audio and any turn."""
        self._uncommitted = 0
        self._speech_item = None
        self.vad.reset()
        await self._session.emit("input_audio_buffer.cleared")

    async def _speech_started(self, audio_ms: int, detection: Event) -> None:
        self._speech_item = item_id = new_id("item")
        started = {"audio_start_ms": audio_ms, "item_id": item_id}
        await self._session.emit("input_audio_buffer.speech_started", **started)
        # Barge-in: the real server cancels the answer as soon as the caller talks.
        if detection.get("interrupt_response", True):
            self._session.interrupt_response()

    async def _speech_stopped(self, audio_ms: int, detection: Event) -> None:
        item_id, self._speech_item = self._speech_item, None
        if item_id is None:
            return  # turn detection was switched on mid-utterance
        stopped = {"audio_end_ms": audio_ms, "item_id": item_id}
        await self._session.emit("input_audio_buffer.speech_stopped", **stopped)
        await self._commit(item_id)
        if detection.get("create_response", True):
            await self._session.auto_respond()

    async def _commit(self, item_id: str) -> None:
        """Commit the buffer as a user item, then transcribe it (if configured)."""
        session = self._session
        previous = session.previous_item_id()
        item = {"id": item_id, "object": "realtime.item", "type": "message"}
        item |= {"role": "user", "status": "completed"}
        item["content"] = [{"type": "input_audio", "transcript": None}]
        session.items[item_id] = item
        self._uncommitted = 0
        self.count += 1
        ids = {"item_id": item_id, "previous_item_id": previous}
        await session.emit("input_audio_buffer.committed", **ids)
        await session.emit("conversation.item.added", previous_item_id=previous, item=item)
        # Configured by default; an explicit "transcription": null switches it off.
        if dig(session.session, "audio", "input", "transcription") is None:
            return
        item["content"][0]["transcript"] = CALLER_TRANSCRIPT
        await session.emit(
            "conversation.item.input_audio_transcription.completed",
            item_id=item_id,
            content_index=0,
            transcript=CALLER_TRANSCRIPT,
            # Billed apart from the responses, as the transcribe models report it.
            usage={
                "type": "tokens",
                "input_tokens": 40,
                "output_tokens": -(-len(CALLER_TRANSCRIPT) // 4),
                "input_token_details": {"text_tokens": 0, "audio_tokens": 40},
            },
        )
