"""`CallRunner`: carries out a `CallSession`'s actions against real sockets and the database.

It owns the I/O of one call: the model connection (opened at once, in parallel with
waiting for the carrier's `start`), the writes queued to the database, the timers. The
Channels consumer hands it frames; it knows nothing of Channels.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import Awaitable, Callable

from calls import services
from calls.audio import load_clip
from calls.bridge import actions as act
from calls.bridge.actions import EndReason
from calls.bridge.answering import AnsweringFlow
from calls.bridge.events import CallerAudio, ProtocolError, StreamStopped
from calls.bridge.openai_wire import OpenAIRealtimeWire
from calls.bridge.session import CallSession
from calls.bridge.wire import ModelWire, TelephonyWire
from calls.carriers.base import CallControl
from calls.extensions import CallEnd, observers_for
from calls.live import LivePublisher, call_state_message, transcript_message
from calls.realtime import ModelConnection, ModelConnector
from calls.store import CallStore
from tools.dispatch import run_tool
from tools.registry import ToolContext
from tools.services import tool_invocation_amend, tool_invocation_record
from voiceagent.db import off_loop

logger = logging.getLogger(__name__)

FAREWELL_GRACE_S = 2.0  # after the clip's length, end even if its mark never comes back
HANDOFF_TIMEOUT_S = 20.0  # a goodbye before a hang-up or transfer never takes longer
VOICEMAIL_TIMEOUT_S = 90.0  # a voicemail message that never finishes playing ends the call anyway
FAREWELL_FRAME_BYTES = 8000  # send farewell clips in one-second media messages
MAX_PENDING_TO_MODEL = 500  # ~10 s of caller audio held while the model connects


def now_ms() -> float:
    return time.monotonic() * 1000


class CallRunner:
    def __init__(
        self,
        setup: services.BridgeSetup,
        *,
        send_to_caller: Callable[[str], Awaitable[None]],
        close_caller: Callable[[], Awaitable[None]],
        connect_model: ModelConnector,
        connect_timeout: float,
        start_timeout: float = 5.0,
        telephony: TelephonyWire,
        control: CallControl,
        live: LivePublisher | None = None,
        model_wire: ModelWire | None = None,
    ) -> None:
        self.setup = setup
        self.session = CallSession(
            setup.config,
            greet_first=setup.greet_first,
            greeting=setup.greeting,
            keypresses=setup.keypresses,
            hold_audio=setup.hold_audio,
            call_id=setup.call_sid,  # the handshake proved the stream is for this call; its `start` must agree
        )
        self.telephony = telephony  # the carrier's media format
        self.control = control  # the carrier's REST API
        self.model_wire = model_wire or OpenAIRealtimeWire()
        self._send_to_caller = send_to_caller
        self._close_caller = close_caller
        self._connect_model = connect_model
        self._connect_timeout = connect_timeout
        self.live = live or LivePublisher()
        self._model: ModelConnection | None = None
        self._model_ready = False  # session.update and the frames that waited have been sent
        self._pending_to_model: list[str] = []
        self._timers: list[asyncio.TimerHandle] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._ended = False
        self.store = CallStore()
        self.observers = observers_for(setup, self.store)  # those that hear the audio: the recording (calls.extensions)
        self.answering = AnsweringFlow(setup.outbound) if setup.outbound else None
        self._answered_by = setup.answered_by  # a verdict that came before the stream started
        self._model_task = asyncio.create_task(self._run_model())
        self._later(start_timeout, lambda: self.session.start_timed_out(start_timeout))

    # --- the carrier's side -----------------------------------------------------------

    async def on_caller_frame(self, text: str) -> None:
        arrived = now_ms()  # before any await: the stream's clock starts when `start` arrives
        try:
            event = self.telephony.parse(text)
        except ProtocolError as exc:
            await self.execute(self.session.protocol_error(str(exc), arrived))
            return
        if event is None:
            return
        streaming = self.session.streaming
        actions = self.session.on_telephony(event, arrived)
        started = self.session.streaming and not streaming  # the core took this `start` as our call's stream
        if started:
            # Awaited, before its actions: from here on the call is live for staff (hang-up) and the status callback.
            await off_loop(services.stream_start)(call_id=self.setup.call_id, stream_sid=self.session.stream_id)
            if self.setup.max_call_seconds:
                self._later(self.setup.max_call_seconds, self._time_up)
            self.live.publish(call_state_message(self.setup.call_sid, "started"))
            for observer in self.observers:
                observer.started(arrived)  # the session's clock starts at `arrived` too
        elif self.observers and streaming and isinstance(event, CallerAudio):
            for observer in self.observers:
                observer.caller(event.payload, arrived)
        await self.execute(actions)
        if started and self._answered_by:
            await self.answered_by(self._answered_by)

    async def caller_gone(self) -> None:
        """The media socket closed (after `stop`, or dropped; or, where it has no `stop`, the carrier hung up)."""
        if self.telephony.close_is_stop:
            await self.execute(self.session.on_telephony(StreamStopped(), now_ms()))
        await self.execute(self.session.carrier_closed(now_ms()))
        await self._shutdown()

    # --- the model's side -------------------------------------------------------------

    async def _run_model(self) -> None:
        try:
            self._model = await asyncio.wait_for(
                self._connect_model(model=self.setup.config.model, timeout=self._connect_timeout),
                self._connect_timeout,
            )
        except Exception as exc:  # refused, timed out, bad status: all mean "unavailable"
            detail = f"could not connect to the model: {type(exc).__name__}"
            await self.execute(self.session.model_lost(EndReason.MODEL_UNAVAILABLE, detail, now_ms()))
            return
        # session.update first, then what waited, in order; only then may frames go direct.
        self._pending_to_model[:0] = [self.model_wire.encode(a) for a in self.session.open()]
        while self._pending_to_model:
            await self._send_or_drop(self._model, self._pending_to_model.pop(0))
        self._model_ready = True
        detail = "the model closed the connection"
        try:
            async for message in self._model:
                event = self.model_wire.parse(message if isinstance(message, str) else message.decode())
                if event is not None:
                    await self.execute(self.session.on_model(event, now_ms()))
        except Exception as exc:  # a dropped socket ends the same way as a close
            detail = f"model connection lost: {type(exc).__name__}"
        await self.execute(self.session.model_lost(EndReason.MODEL_CLOSED, detail, now_ms()))

    async def _send_to_model(self, message: str) -> None:
        if self._model is None or not self._model_ready:
            if len(self._pending_to_model) < MAX_PENDING_TO_MODEL:
                self._pending_to_model.append(message)
            return
        await self._send_or_drop(self._model, message)

    async def _send_or_drop(self, connection: ModelConnection, message: str) -> None:
        try:
            await connection.send(message)
        except Exception:  # the reader sees the same failure and ends the call
            logger.debug("send to model failed for %s", self.setup.call_sid)

    # --- carrying out actions ---------------------------------------------------------

    async def execute(self, actions: list[act.Action]) -> None:
        stream_id = self.session.stream_id
        for action in actions:
            match action:
                case act.PlayAudio() | act.PlaceMark() | act.ClearPlayback():
                    self._observe_to_caller(action)
                    await self._to_caller(self.telephony.encode(action, stream_id))
                case act.PlayFarewell(clip=clip, mark=mark):
                    await self._play_farewell(clip, mark)
                case act.SaveTranscript(entry=entry):
                    self.store.put(services.transcript_save, call_id=self.setup.call_id, entry=entry)
                    self.live.publish(transcript_message(self.setup.call_sid, entry))
                case act.Record(kind=kind, detail=detail):
                    logger.info("call %s: %s: %s", self.setup.call_sid, kind, detail)
                    self.store.put(services.call_event_record, call_id=self.setup.call_id, kind=kind, detail=detail)
                case act.RunTool():
                    self._spawn(self._tool(action))
                case act.HangUp():
                    await self.control.hang_up(self.setup.call_sid)
                case act.TransferCall(target=target):
                    result = await self.control.transfer(self.setup.call_sid, target)
                    await self.execute(self.session.transfer_result(result.ok, result.detail, now_ms()))
                case act.AmendToolCall():
                    self.store.put(
                        tool_invocation_amend,
                        call_id=self.setup.call_id,
                        provider_call_id=action.call_id,
                        output=action.output,
                        error=action.error,
                    )
                case act.EndCall():
                    await self._end(action)
                case _:
                    await self._send_to_model(self.model_wire.encode(action))

    async def _to_caller(self, text: str) -> None:
        try:
            await self._send_to_caller(text)
        except Exception:  # the socket is going away; its disconnect ends the call
            logger.debug("send to caller failed for %s", self.setup.call_sid)

    async def _play_farewell(self, clip: act.Farewell, mark: str) -> None:
        audio = load_clip(clip.value)
        for start in range(0, len(audio), FAREWELL_FRAME_BYTES):
            chunk = act.PlayAudio(base64.b64encode(audio[start : start + FAREWELL_FRAME_BYTES]).decode("ascii"))
            self._observe_to_caller(chunk)
            await self._to_caller(self.telephony.encode(chunk, self.session.stream_id))
        await self._to_caller(self.telephony.encode(act.PlaceMark(mark), self.session.stream_id))
        self._later(len(audio) / 8000 + FAREWELL_GRACE_S, self.session.farewell_timed_out)

    async def _tool(self, request: act.RunTool) -> None:
        """Run a tool off the audio path; wait audio if it is slow; its result back to the model."""
        setup = self.setup
        slow = asyncio.get_running_loop().call_later(
            setup.tool_wait_ms / 1000, lambda: self._spawn(self.execute(self.session.tool_is_slow(now_ms())))
        )
        context = ToolContext(
            call_id=setup.call_id,
            call_sid=setup.call_sid,
            agent_id=setup.agent_id,
            caller_id=setup.caller_id,
            caller_number=setup.caller_number,
            settings=setup.toolbox.settings.get(request.name, {}),
            tool_call_id=request.call_id,  # side effects (an email) happen once per tool call
            can_transfer=self.control.available,
        )
        try:
            outcome = await run_tool(setup.toolbox.tools.get(request.name), request.name, request.arguments, context)
        finally:
            slow.cancel()
        self.store.put(
            tool_invocation_record,
            call_id=setup.call_id,
            provider_call_id=request.call_id,
            name=request.name,
            arguments=request.arguments,
            outcome=outcome,
        )
        await self.execute(
            self.session.tool_result(request.call_id, request.name, outcome.output, now_ms(), outcome.effect)
        )
        number = self.session.hand_off_number
        if number is not None:  # the timer names its hand-off: it cannot end a later one early
            self._later(HANDOFF_TIMEOUT_S, lambda: self.session.hand_off_timed_out(number))

    async def answered_by(self, answered_by: str) -> None:
        """The carrier's answering-machine verdict on this outbound call (kept until the stream is live)."""
        if self.answering is None:
            return
        if not self.session.streaming:  # kept until the stream has started
            self._answered_by = answered_by
            return
        self._answered_by = ""
        await self.execute(self.answering.answered_by(self.session, answered_by, now_ms()))
        if self.session.handing_off:
            self._later(VOICEMAIL_TIMEOUT_S, self.session.hand_off_timed_out)

    async def hang_up(self, reason: EndReason, detail: str = "") -> None:
        """End the call from our side (staff, the agent): the caller hears a goodbye first."""
        actions = self.session.hang_up(reason, now_ms(), detail)
        if actions and not self._ended:
            # While the goodbye plays, every staff page shows the call as ending, not only the clicker's.
            self.live.publish(call_state_message(self.setup.call_sid, "ending", reason.value))
        await self.execute(actions)

    def _observe_to_caller(self, action: act.Action) -> None:
        if self.observers:
            now = now_ms()
            for observer in self.observers:
                observer.to_caller(action, now)

    def _time_up(self) -> list[act.Action]:
        return self.session.hang_up(EndReason.MAX_DURATION, now_ms(), "maximum call length reached")

    # --- ending -----------------------------------------------------------------------

    async def _end(self, end: act.EndCall) -> None:
        if self._ended:
            return
        self._ended = True
        usage, config = self.session.usage, self.setup.config
        ended = CallEnd(usage, self.session.transcription_usage, config.model, config.transcription_model)
        # The call's last write; what follows it (the cost ledger, the summary) is its wrap-up, on a worker.
        self.store.put(
            services.call_finish,
            call_id=self.setup.call_id,
            reason=end.reason,
            detail=end.detail,
            usage=usage,
            ended=ended,
        )
        for observer in self.observers:
            observer.finished(ended, now_ms())
        self.live.publish(call_state_message(self.setup.call_sid, "ended", end.reason.value))
        await self._close_model()
        await self._close_caller()

    async def _close_model(self) -> None:
        if self._model is not None:
            try:
                await asyncio.wait_for(self._model.close(), 2)
            except Exception:  # closing a broken socket may fail; it is gone either way
                logger.debug("model close failed for %s", self.setup.call_sid)
        elif not self._model_task.done():
            self._model_task.cancel()

    async def _shutdown(self) -> None:
        """Release everything this call holds; safe to call more than once."""
        for timer in self._timers:
            timer.cancel()
        await self._close_model()
        for task in list(self._tasks):
            task.cancel()
        await self.store.drain()
        await self.live.flush()

    def _later(self, seconds: float, step: Callable[[], list[act.Action]]) -> None:
        async def fire() -> None:
            await self.execute(step())

        loop = asyncio.get_running_loop()
        self._timers.append(loop.call_later(seconds, lambda: self._spawn(fire())))

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
