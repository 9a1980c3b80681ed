"""One assistant response streamed as a shipped clip, in its own task.

The event sequence follows the GA server: ``response.created``,
``response.output_item.added``, ``conversation.item.added``,
``response.content_part.added``, audio and transcript deltas, then the ``*.done``
events and ``response.done`` with usage. A cancel (client ``response.cancel`` or
barge-in) stops the deltas at once and ends with ``response.done`` ``cancelled``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
from typing import TYPE_CHECKING

from websockets.exceptions import ConnectionClosed

from calls.audio import BYTES_PER_MS, CLIP_TEXT, load_clip
from calls.standin.wire import Event, dig, new_id

if TYPE_CHECKING:
    from calls.standin.session import StandinSession

__all__ = ["ResponseStream", "chunk_clip", "usage"]

logger = logging.getLogger(__name__)

#: Roughly what OpenAI bills: one audio token per 50 ms, one text token per 4 chars.
MS_PER_AUDIO_TOKEN = 50
CHARS_PER_TEXT_TOKEN = 4


def chunk_clip(clip: str, chunk_ms: int) -> list[tuple[bytes, str]]:
    """Split a clip into (audio, transcript piece) deltas.

    Words are spread over the deltas in proportion, so the transcript advances
    with the audio; the pieces concatenate to exactly ``CLIP_TEXT[clip]``.
    """
    audio, words = load_clip(clip), CLIP_TEXT[clip].split()
    size = chunk_ms * BYTES_PER_MS
    pieces = [audio[i : i + size] for i in range(0, len(audio), size)]
    deltas = []
    for index, piece in enumerate(pieces):
        first = index * len(words) // len(pieces)
        text = " ".join(words[first : (index + 1) * len(words) // len(pieces)])
        deltas.append((piece, f" {text}" if text and first else text))
    return deltas


def usage(input_audio_ms: int, instructions: str, output_audio_ms: int, output_text: str) -> Event:
    """A plausible ``response.done`` usage block."""
    in_audio, in_text = (
        input_audio_ms // MS_PER_AUDIO_TOKEN,
        100 + len(instructions) // 4,
    )
    out_audio = output_audio_ms // MS_PER_AUDIO_TOKEN
    out_text = -(-len(output_text) // CHARS_PER_TEXT_TOKEN)  # ceil
    return {
        "total_tokens": in_audio + in_text + out_audio + out_text,
        "input_tokens": in_audio + in_text,
        "output_tokens": out_audio + out_text,
        "input_token_details": {
            "audio_tokens": in_audio,
            "text_tokens": in_text,
            "cached_tokens": 0,
        },
        "output_token_details": {"audio_tokens": out_audio, "text_tokens": out_text},
    }


class ResponseStream:
    """An active response: its ids, its task, and whether it is being cancelled."""

    def __init__(self, session: StandinSession, clip: str) -> None:
        self.response_id = new_id("resp")
        self.item_id = new_id("item")
        self.clip = clip
        #: Set by :meth:`cancel`; a cancelling response no longer counts as active
        #: for ``response.cancel``, but still blocks ``response.create`` until done.
        self.cancelling = False
        self.reason = ""
        self._session = session
        self._cancelled = asyncio.Event()
        self._transcript = ""
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin streaming in a background task."""
        self._task = asyncio.create_task(self._run(), name=f"standin-{self.response_id}")

    def cancel(self, reason: str) -> None:
        """Stop the deltas at the next step; ``reason`` goes in ``status_details``."""
        if not self.cancelling:
            self.cancelling, self.reason = True, reason
            self._cancelled.set()

    async def finished(self) -> None:
        """Wait until ``response.done`` has been sent (or the stream died)."""
        if self._task is not None:
            await asyncio.wait([self._task])

    async def abort(self) -> None:
        """Kill the task without further events (the connection is gone)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait([self._task])

    async def _run(self) -> None:
        try:
            await self._stream()
        except ConnectionClosed:
            pass  # the client left mid-answer; nothing to tell anyone
        except Exception:
            logger.exception("stand-in response %s failed", self.response_id)
        finally:
            self._session.stream_finished(self)

    async def _stream(self) -> None:
        session, where = self._session, self._where()
        item = {"id": self.item_id, "object": "realtime.item", "type": "message", "role": "assistant"}
        item |= {"status": "in_progress", "content": []}
        previous = session.previous_item_id()
        session.items[self.item_id] = item
        session.audio_sent[self.item_id] = 0
        response = {"object": "realtime.response", "id": self.response_id, "status": "in_progress"}
        await session.emit("response.created", response=response | {"output": [], "usage": None})
        added = {"response_id": self.response_id, "output_index": 0}
        await session.emit("response.output_item.added", **added, item=item)
        await session.emit("conversation.item.added", previous_item_id=previous, item=item)
        part = {"type": "output_audio", "transcript": ""}
        await session.emit("response.content_part.added", **where, part=part)
        await self._send_deltas(where)
        part = {"type": "output_audio", "transcript": self._transcript}
        item |= {"status": "incomplete" if self.cancelling else "completed", "content": [part]}
        if not self.cancelling:  # a cancelled response skips straight to response.done
            await session.emit("response.output_audio.done", **where)
            await session.emit("response.output_audio_transcript.done", **where, transcript=self._transcript)
            await session.emit("response.content_part.done", **where, part=part)
            await session.emit("response.output_item.done", **added, item=item)
        await self._send_done(item)

    async def _send_deltas(self, where: Event) -> None:
        session = self._session
        for audio, words in chunk_clip(self.clip, session.options.chunk_ms):
            if self.cancelling:
                return
            await session.emit("response.output_audio.delta", **where, delta=base64.b64encode(audio).decode())
            session.audio_sent[self.item_id] += len(audio)
            if words and not self.cancelling:
                self._transcript += words
                await session.emit("response.output_audio_transcript.delta", **where, delta=words)
            await self._pause()

    async def _pause(self) -> None:
        """Between deltas: yield to the reader (so a cancel lands) and honour ``pace``."""
        pace = self._session.options.pace
        if pace <= 0:
            await asyncio.sleep(0)
            return
        with contextlib.suppress(TimeoutError):  # a cancel wakes us early
            await asyncio.wait_for(self._cancelled.wait(), pace)

    async def _send_done(self, item: Event) -> None:
        session = self._session
        # No longer active before response.done leaves (websockets writes it before
        # its first await), so a client reacting to response.done with
        # response.create is never told a response is still in progress.
        session.stream_finished(self)
        status = "cancelled" if self.cancelling else "completed"
        details = {"type": "cancelled", "reason": self.reason} if self.cancelling else None
        input_ms = len(session.input_audio) // BYTES_PER_MS
        instructions = str(dig(session.session, "instructions") or "")
        sent_ms = session.audio_sent[self.item_id] // BYTES_PER_MS
        response = {"object": "realtime.response", "id": self.response_id, "status": status}
        response |= {"status_details": details, "output": [item]}
        response["usage"] = usage(input_ms, instructions, sent_ms, self._transcript)
        await session.emit("response.done", response=response)

    def _where(self) -> Event:
        return {"response_id": self.response_id, "item_id": self.item_id, "output_index": 0, "content_index": 0}
