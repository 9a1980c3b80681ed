"""One stand-in connection: what the client sent, and the Realtime GA replies.

The turn logic mirrors the real service with ``server_vad`` defaults
(``create_response`` and ``interrupt_response`` true): the VAD ends a caller turn,
the turn is committed and transcribed, and an answer starts; speech during an
answer cancels it. The caller side lives in ``turns``; responses stream in their
own task (``streaming``) so client events (cancel, truncate, more audio) keep being
read meanwhile.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from websockets.exceptions import ConnectionClosed

from calls.audio import BYTES_PER_MS
from calls.standin.streaming import ResponseStream
from calls.standin.tool_calls import FunctionCallResponse
from calls.standin.turns import CallerTurns
from calls.standin.wire import Event, default_session, describe, dig, merge, new_id

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from websockets.asyncio.server import ServerConnection

    from calls.standin.server import EventHook, StandinOptions

__all__ = ["StandinSession"]

logger = logging.getLogger(__name__)


class StandinSession:
    """What one connection saw and did, plus the protocol state behind the replies.

    Tests read the public attributes; :meth:`wait_for` awaits client events.
    """

    def __init__(
        self,
        ws: ServerConnection,
        *,
        options: StandinOptions,
        model: str | None,
        authorization: str | None,
        on_event: EventHook | None = None,
    ) -> None:
        #: ``?model=`` of the connection URL.
        self.model = model
        #: The ``Authorization`` header as received (``"Bearer ..."``).
        self.authorization = authorization
        #: Every client event type, in order (unparsable messages have none).
        self.received_types: list[str] = []
        #: The ``session`` object of each ``session.update``.
        self.session_updates: list[Event] = []
        #: Every byte appended via ``input_audio_buffer.append``, base64-decoded.
        self.input_audio = bytearray()
        #: Each ``conversation.item.truncate`` event received, valid or not.
        self.truncates: list[Event] = []
        #: ``response.cancel`` events received from the client (effective or not);
        #: barge-in cancellations by the VAD are not counted.
        self.cancels = 0
        #: Assistant item id -> µ-law bytes sent for it in audio deltas.
        self.audio_sent: dict[str, int] = {}
        #: Set when the connection has ended.
        self.closed = asyncio.Event()
        #: The effective session configuration (defaults merged with updates).
        self.session: Event = default_session(model, options.silence_ms)
        #: Conversation items by id, in conversation order.
        self.items: dict[str, Event] = {}
        self.options = options
        #: call_id -> tool name, for each function call the stand-in made.
        self.called_tools: dict[str, str] = {}
        #: Each ``function_call_output`` item the client returned, in order.
        self.tool_outputs: list[Event] = []
        self._scripted_calls = list(options.tool_calls)
        self._tasks: set[asyncio.Task[None]] = set()
        #: With ``options.record_timings``: monotonic times of each event, by
        #: "recv:<type>" / "send:<type>", for the benchmark to pair with its own clock.
        self.timings: defaultdict[str, list[float]] | None = defaultdict(list) if options.record_timings else None
        self._ws = ws
        self._on_event = on_event
        self._turns = CallerTurns(self)
        self._stream: ResponseStream | FunctionCallResponse | None = None  # the active response, if any
        self._sent = 0
        self._closing = False
        self._received: defaultdict[str, list[Event]] = defaultdict(list)
        self._consumed: defaultdict[str, int] = defaultdict(int)
        self._arrived = asyncio.Condition()
        self._handlers: dict[str, Callable[[Event], Awaitable[None]]] = {
            "session.update": self._on_session_update,
            "input_audio_buffer.append": self._turns.on_append,
            "input_audio_buffer.commit": self._turns.on_commit,
            "input_audio_buffer.clear": self._turns.on_clear,
            "conversation.item.create": self._on_item_create,
            "conversation.item.truncate": self._on_truncate,
            "response.create": self._on_response_create,
            "response.cancel": self._on_response_cancel,
        }

    async def wait_for(self, event_type: str, timeout: float = 5) -> Event:
        """Return the first client event of this type not returned by an earlier call.

        Resolves once the event has been handled (its replies are sent and the
        attributes above updated). Raises ``TimeoutError`` if none arrives in time.
        """
        async with asyncio.timeout(timeout), self._arrived:
            await self._arrived.wait_for(lambda: len(self._received[event_type]) > self._consumed[event_type])
        self._consumed[event_type] += 1
        return self._received[event_type][self._consumed[event_type] - 1]

    async def run(self) -> None:
        """Serve the connection until it closes (called by the server)."""
        try:
            await self.emit("session.created", session=self.session)
            async for message in self._ws:
                await self._on_message(message)
        except ConnectionClosed:
            pass
        finally:
            if self._stream is not None:
                await self._stream.abort()
            self.closed.set()
            logger.debug("session %s closed", self.session["id"])

    async def emit(self, event_type: str, **fields: Any) -> None:
        """Send a server event of this type with these fields (see :meth:`send`)."""
        await self.send({"type": event_type, **fields})

    async def send(self, event: Event) -> None:
        """Send one server event with a fresh ``event_id``; apply ``close_after_events``."""
        if self._closing:
            return  # after a fault close, drop the rest silently like a dead socket
        event = {"event_id": new_id("event"), **event}
        # Stamped before the write: a send that waits for the socket to drain has still left us
        # at this moment as far as the bridge's latency is concerned.
        sent_at = time.monotonic()
        await self._ws.send(json.dumps(event))
        self._sent += 1
        self._observe("send", event, sent_at)
        limit = self.options.close_after_events
        if limit is not None and self._sent >= limit:
            self._closing = True
            logger.debug("closing after %d events (close_after_events)", self._sent)
            await self._ws.close(1011, "standin fault")

    async def error(self, code: str, message: str, cause: Event | None = None) -> None:
        """Send an ``error`` event of type ``invalid_request_error``."""
        body = {"type": "invalid_request_error", "code": code, "message": message}
        body |= {"param": None, "event_id": cause.get("event_id") if cause else None}
        await self.emit("error", error=body)

    def stream_finished(self, stream: ResponseStream) -> None:
        """Called by a response stream when it has sent ``response.done``."""
        if self._stream is stream:
            self._stream = None

    def previous_item_id(self) -> str | None:
        """Id of the last conversation item (the ``previous_item_id`` of a new one)."""
        return next(reversed(self.items), None)

    # -- dispatch ---------------------------------------------------------------

    async def _on_message(self, message: str | bytes) -> None:
        try:
            event = json.loads(message)
            if not isinstance(event, dict):
                raise TypeError("expected a JSON object")
        except (ValueError, TypeError) as exc:  # incl. JSONDecodeError, bad UTF-8
            await self.error("invalid_json", f"Could not parse the event: {exc}")
            return
        event_type = str(event.get("type"))
        self.received_types.append(event_type)
        self._observe("recv", event)
        try:
            await self._dispatch(event_type, event)
        finally:
            async with self._arrived:
                self._received[event_type].append(event)
                self._arrived.notify_all()

    async def _dispatch(self, event_type: str, event: Event) -> None:
        handler = self._handlers.get(event_type)
        if handler is None:
            message = f"Unknown event type {event_type!r}."
            await self.error("unknown_event", message, event)
            return
        try:
            await handler(event)
        except ConnectionClosed:
            raise
        except Exception as exc:  # a stand-in bug must not take the connection down
            logger.exception("stand-in failed handling %s", event_type)
            await self.error("server_error", f"Stand-in failed: {exc!r}", event)

    def _observe(self, direction: str, event: Event, at: float | None = None) -> None:
        if self.timings is not None:
            self.timings[f"{direction}:{event.get('type')}"].append(time.monotonic() if at is None else at)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s %s", direction, describe(event))
        if self._on_event is not None:
            self._on_event(direction, event)

    # -- session --------------------------------------------------------------------

    async def _on_session_update(self, event: Event) -> None:
        update = event.get("session")
        if not isinstance(update, dict):
            message = "session must be an object"
            await self.error("missing_required_parameter", message, event)
            return
        self.session_updates.append(update)
        merge(self.session, update)
        silence = dig(self._turns.turn_detection(), "silence_duration_ms")
        if isinstance(silence, int) and silence > 0:
            self._turns.vad.silence_ms = silence
        await self.emit("session.updated", session=self.session)

    # -- conversation -------------------------------------------------------------

    async def _on_item_create(self, event: Event) -> None:
        item = event.get("item")
        if not isinstance(item, dict):
            message = "item must be an object"
            await self.error("missing_required_parameter", message, event)
            return
        item = {"object": "realtime.item", "status": "completed", **item}
        item.setdefault("id", new_id("item"))
        if item.get("type") == "function_call_output":
            self.tool_outputs.append(item)
        previous = event.get("previous_item_id") or self.previous_item_id()
        self.items[item["id"]] = item
        await self.emit("conversation.item.added", previous_item_id=previous, item=item)

    async def _on_truncate(self, event: Event) -> None:
        self.truncates.append(event)
        item_id, end_ms = event.get("item_id"), event.get("audio_end_ms")
        sent = self.audio_sent.get(item_id) if isinstance(item_id, str) else None
        if sent is None:  # unknown, or not an assistant audio item
            message = f"Item with item_id not found or not truncatable: {item_id}"
            await self.error("item_truncate_invalid_item_id", message, event)
        elif not isinstance(end_ms, int) or end_ms < 0:
            message = "audio_end_ms must be a non-negative integer"
            await self.error("invalid_value", message, event)
        elif end_ms * BYTES_PER_MS > sent:
            heard = sent // BYTES_PER_MS
            message = (
                f"audio_end_ms {end_ms} exceeds the audio length of item {item_id}: "
                f"Audio content of {heard}ms is already shorter than {end_ms}ms"
            )
            await self.error("invalid_value", message, event)
        else:
            where = {"item_id": item_id, "content_index": event.get("content_index", 0)}
            await self.emit("conversation.item.truncated", **where, audio_end_ms=end_ms)

    # -- responses ----------------------------------------------------------------

    async def _on_response_create(self, event: Event) -> None:
        if self._stream is not None:
            message = (
                "Conversation already has an active response in progress: "
                f"{self._stream.response_id}. Wait until the response is finished "
                "before creating a new one."
            )
            await self.error("conversation_already_has_active_response", message, event)
            return
        last_tool = self.called_tools.get(self.tool_outputs[-1].get("call_id")) if self.tool_outputs else None
        if last_tool == "end_call" and len(self.tool_outputs) == len(self.called_tools):
            self._start("goodbye")
        else:
            self._start("answer" if self._turns.count else "greeting")

    async def _on_response_cancel(self, event: Event) -> None:
        self.cancels += 1
        if self._stream is None or self._stream.cancelling:
            message = "Cancellation failed: no active response found"
            await self.error("response_cancel_not_active", message, event)
            return
        self._stream.cancel("client_cancelled")

    def interrupt_response(self) -> None:
        """Barge-in: cancel the active response (not counted in :attr:`cancels`)."""
        if self._stream is not None:
            self._stream.cancel("turn_detected")

    async def auto_respond(self) -> None:
        """Answer a finished caller turn, as server_vad's create_response does."""
        stream = self._stream
        if stream is not None:
            if not stream.cancelling:
                return  # interrupt_response off and still talking: don't stack answers
            await stream.finished()  # its response.done (cancelled) must go out first
        if self._scripted_calls:
            name, arguments = self._scripted_calls.pop(0)
            self._stream = FunctionCallResponse(self, name, arguments)
            self._stream.start()
            return
        self._start("answer")

    def _start(self, clip: str) -> None:
        self._stream = ResponseStream(self, clip)
        self._stream.start()

    def spawn(self, coroutine: Any) -> None:
        """Run a coroutine for this session, keeping a reference until it ends."""
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
