"""The websocket half of a simulated call: one bidirectional media stream, in the carrier's dialect.

One line clock drives both directions: tick k fires at ``t0 + k * 20 ms`` (t0 = the
moment ``start`` was sent), scheduled on the monotonic clock so it never drifts. Each tick
plays one outbound frame (echoing marks that fell due), asks the caller's script whether
to hang up, presses due DTMF keys and sends one inbound 160-byte ``media`` frame. A late
event loop catches up tick by tick, so frame counts depend on the script, not on timing.
A receiver task feeds the server's audio, marks and clears into the playback queue. Every
message is written and read by the call's :class:`~calls.simulator.dialect.Dialect`.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import ssl
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from calls.simulator.dialect import Dialect, Message, StreamContext
from calls.simulator.playback import FRAME_MS, PlaybackQueue
from calls.simulator.results import CLEAR_WINDOW_MS, CallResult, ClearRecord, MarkEcho
from calls.simulator.script import CallerTurn, CallScript
from calls.simulator.webhook import StreamInstruction
from calls.simulator.wire import Clear, Malformed, Mark, PlayAudio

logger = logging.getLogger(__name__)

OPEN_TIMEOUT_S = 10.0

Emit = Callable[[str, dict[str, Any]], None]
# Builds one numbered message from its sequence number; None: the dialect has no such message.
Build = Callable[[int, StreamContext], Message | None]


class MediaStream:
    """One media stream from handshake to close; its findings go into ``result``."""

    def __init__(
        self,
        *,
        instruction: StreamInstruction,
        script: CallScript,
        result: CallResult,
        auth_token: str,
        account_sid: str,
        emit: Emit,
        dialect: Dialect,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.instruction = instruction
        self.ssl_context = ssl_context  # for a wss:// server whose CA is not the system's
        self.result = result
        self.auth_token = auth_token
        self.emit = emit
        self.dialect = dialect
        self.stream_sid = dialect.new_stream_id()
        self.context = StreamContext(
            stream_id=self.stream_sid,
            call_id=result.call_sid,
            account_id=account_sid,
            parameters=dict(instruction.custom_parameters),
        )
        self.playback = PlaybackQueue()
        self.caller = CallerTurn(script)
        self.sequence = 0
        self.send_lock = asyncio.Lock()
        self.t0 = asyncio.get_running_loop().time()  # reset when ``start`` is sent
        self.hanging_up = False
        self.server_closed = False
        self._ws: ClientConnection | None = None
        result.stream_sid = self.stream_sid
        result.played = self.playback.played  # live views, filled as the call goes
        result.segments = self.playback.segments
        result.turns_started_ms, result.turns_ended_ms = self.caller.starts_ms, self.caller.ends_ms

    @property
    def ws(self) -> ClientConnection:
        assert self._ws is not None, "stream not open"
        return self._ws

    def now_ms(self) -> int:
        """Wall-clock ms since ``start`` was sent."""
        return int((asyncio.get_running_loop().time() - self.t0) * 1000)

    async def run(self) -> None:
        """Open the socket, run the call to its end, record how it ended."""
        if not await self._open():
            return
        reason = "server_closed"
        try:
            await self._send_opening()
            receiver = asyncio.create_task(self._receive())
        except ConnectionClosed:
            self.server_closed = True
            await self.ws.close()
            return self._finish(reason)
        try:
            reason = await self._clock(receiver)
            if reason != "server_closed":
                await self._stop(reason)
        except ConnectionClosed:
            pass
        finally:
            await self.ws.close()
            await asyncio.wait([receiver])
        receiver.result()  # a bug in a message handler surfaces here
        self._finish(reason)

    async def _open(self) -> bool:
        url = self.instruction.url
        # The carriers sign the handshake and send no Origin.
        headers = self.dialect.handshake_headers(url, self.auth_token)
        options: dict[str, Any] = {}
        if self.dialect.stream_user_agent is not None:
            options["user_agent_header"] = self.dialect.stream_user_agent
        # websockets refuses an ssl context for a ws:// URL; without one, wss:// uses the system CAs.
        if self.ssl_context and url.startswith("wss://"):
            options["ssl"] = self.ssl_context
        try:
            self._ws = await connect(
                url,
                additional_headers=headers,
                compression=None,
                proxy=None,
                open_timeout=OPEN_TIMEOUT_S,
                **options,
            )
        except InvalidStatus as exc:
            self.result.handshake_status = exc.response.status_code
            self._fail(f"stream handshake answered {exc.response.status_code}")
            return False
        except (OSError, TimeoutError, InvalidHandshake, ValueError) as exc:
            self._fail(f"stream handshake failed: {exc!r}")
            return False
        return True

    def _fail(self, error: str) -> None:
        self.result.error = error
        self.result.ended_by = "handshake_failed"
        self.emit("handshake_failed", {"error": error})

    async def _send_opening(self) -> None:
        for message in self.dialect.preamble(self.context):
            await self.ws.send(json.dumps(message))
        self.emit("connected", {"url": self.instruction.url})
        await self._send(self.dialect.start_message)
        self.t0 = asyncio.get_running_loop().time()
        self.emit("start", {"streamSid": self.stream_sid, "stream_id": self.stream_sid})

    async def _send(self, build: Build) -> bool:
        """Send the next numbered message; False when the dialect has none of this kind."""
        # One lock, so sequence numbers reach the server in order from both tasks.
        async with self.send_lock:
            message = build(self.sequence + 1, self.context)
            if message is None:
                return False
            self.sequence += 1
            await self.ws.send(json.dumps(message))
            return True

    async def _clock(self, receiver: asyncio.Task[None]) -> str:
        loop = asyncio.get_running_loop()
        tick = 0
        while not receiver.done():  # done: the server closed (or a handler failed)
            tick += 1
            await asyncio.sleep(max(0.0, self.t0 + tick * FRAME_MS / 1000 - loop.time()))
            if receiver.done():
                break
            reason = await self._tick(tick * FRAME_MS)
            if reason is not None:
                return reason
        return "server_closed"

    async def _tick(self, now_ms: int) -> str | None:
        await self._play(now_ms)
        reason = self.caller.hangup_due(now_ms, self.playback)
        if reason is not None:
            return reason
        for digit in self.caller.digits_due(now_ms):
            await self._send(functools.partial(self.dialect.dtmf_message, digit=digit, timestamp_ms=now_ms))
            self.result.dtmf_sent.append(digit)
            self.emit("dtmf", {"digit": digit, "at_ms": now_ms})
        await self._send_caller_frame(now_ms - FRAME_MS)
        return None

    async def _play(self, now_ms: int) -> None:
        was_playing = self.playback.playing
        _, due = self.playback.play_frame()
        for name in due:
            await self._echo_mark(name, by_clear=False)
        if self.playback.playing and not was_playing:
            self.emit("playback_started", {"at_ms": now_ms})
        elif was_playing and not self.playback.playing:
            self._emit_played()

    def _emit_played(self) -> None:
        self.emit("played", asdict(self.playback.segments[-1]))

    async def _send_caller_frame(self, frame_ms: int) -> None:
        caller, result = self.caller, self.result
        turns, ended, position = len(caller.starts_ms), len(caller.ends_ms), caller.position
        payload = caller.next_frame(frame_ms, self.playback)
        result.media_frames_sent += 1
        chunk = result.media_frames_sent
        media = functools.partial(self.dialect.media_message, chunk=chunk, timestamp_ms=frame_ms, payload=payload)
        await self._send(media)
        result.caller_bytes_sent += payload
        if len(caller.starts_ms) > turns:  # a turn starts with this frame
            position = 0
            if result.utterance_started_ms is None:
                result.utterance_started_ms = frame_ms
            self.emit("speak", {"at_ms": frame_ms, "turn": len(caller.starts_ms)})
        result.utterance_bytes_sent += caller.script.caller_audio[position : caller.position]
        if len(caller.ends_ms) > ended:
            if result.utterance_ended_ms is None:
                result.utterance_ended_ms = caller.ended_ms
            self.emit("utterance_end", {"at_ms": caller.ended_ms, "turn": len(caller.ends_ms)})

    async def _echo_mark(self, name: str, *, by_clear: bool) -> None:
        await self._send(functools.partial(self.dialect.mark_played_message, name=name))
        echo = MarkEcho(name, self.now_ms(), self.playback.played_total, by_clear)
        self.result.marks_echoed.append(name)
        self.result.mark_echoes.append(echo)
        self.emit("mark", asdict(echo))

    async def _stop(self, reason: str) -> None:
        self.hanging_up = True
        # Twilio says stop before closing the socket; Plivo just closes it.
        self.result.stop_sent = await self._send(self.dialect.stop_message)
        self.emit("hangup", {"reason": reason, "at_ms": self.now_ms()})

    async def _receive(self) -> None:
        try:
            async for raw in self.ws:
                await self._on_message(raw)
        except ConnectionClosed:
            pass
        finally:
            if not self.hanging_up:
                self.server_closed = True
                self.emit(
                    "closed",
                    {"code": self.ws.close_code, "reason": self.ws.close_reason},
                )

    async def _on_message(self, raw: str | bytes) -> None:
        match self.dialect.parse_server_message(raw, self.context):
            case PlayAudio(audio):
                self._on_audio(audio)
            case Mark(name):
                self.result.marks_received.append(name)
                self.playback.enqueue_mark(name)
            case Clear():
                await self._on_clear()
            case Malformed(error):
                # The carrier ignores such messages; we keep them to point at the bridge bug.
                logger.warning("simulated %s ignored a message: %s", self.dialect.label, error)
                self.result.protocol_errors.append(error)
                self.emit("protocol_error", {"error": error})

    def _on_audio(self, audio: bytes) -> None:
        now_ms, result = self.now_ms(), self.result
        if result.first_audio_ms is None:
            result.first_audio_ms = now_ms
            self.emit("first_audio", {"at_ms": now_ms})
        result.received_audio_bytes += len(audio)
        if result.clears:
            last = result.clears[-1]
            last.received_after_bytes += len(audio)
            if now_ms - last.at_ms <= CLEAR_WINDOW_MS:
                last.received_within_window_bytes += len(audio)
        self.playback.enqueue_audio(audio)

    async def _on_clear(self) -> None:
        playback, echoes = self.playback, self.dialect.echoes_marks_on_clear
        record = ClearRecord(
            at_ms=self.now_ms(),
            played_bytes_total=playback.played_total,
            played_since_last_clear=playback.played_since_clear,
            played_in_run=playback.played_in_run,
            was_playing=playback.playing,
            dropped_bytes=playback.queued_bytes + playback.in_flight_bytes,
            marks_echoed=[],
        )
        pending = playback.clear()  # Twilio echoes the pending marks; Plivo drops its checkpoints
        record.marks_echoed, record.marks_dropped = (pending, []) if echoes else ([], pending)
        self.result.clears.append(record)
        self.emit(
            "clear",
            {
                "at_ms": record.at_ms,
                "played_ms": record.played_ms_at_clear,
                "dropped_bytes": record.dropped_bytes,
                # A clear while the caller talks is a barge-in; otherwise the server cut its own
                # audio (a staff hang-up, a transfer, hold music ending).
                "barge_in": self.caller.talking_over(record.at_ms),
            },
        )
        if record.was_playing:
            self._emit_played()
        for name in record.marks_echoed:  # Twilio echoes every pending mark at once
            await self._echo_mark(name, by_clear=True)
        await self._send(self.dialect.cleared_message)  # Plivo's clearedAudio

    def _finish(self, reason: str) -> None:
        result = self.result
        result.ended_by = reason
        result.closed_by_server = self.server_closed
        result.close_code, result.close_reason = (
            self.ws.close_code,
            self.ws.close_reason or "",
        )
        result.unplayed_bytes = self.playback.queued_bytes
        result.duration_ms = self.now_ms()
