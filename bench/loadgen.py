"""A lean Twilio-side client for the benchmark: paced frames up, real-time playback down.

Unlike `calls.simulator` it records the monotonic time of every frame it sends and every
media message it receives, so the benchmark can pair them with the stand-in's own times.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
from dataclasses import dataclass, field

from websockets.asyncio.client import connect

from calls.simulator.webhook import StreamInstruction, parse_twiml, requests_poster, sign

FRAME_BYTES = 160
FRAME_S = 0.020
SILENCE = b"\xff" * FRAME_BYTES


@dataclass
class CallTiming:
    call_sid: str
    caller_name: str
    frames_sent: list[float] = field(default_factory=list)
    media_received: list[float] = field(default_factory=list)
    clears: list[float] = field(default_factory=list)
    late_sends: int = 0  # frames the load generator itself sent more than 5 ms late
    streaming: tuple[float, float] = (0.0, 0.0)  # monotonic times of the first and the last frame
    started_at: float = 0.0  # monotonic time `start` was sent: first audio is measured from it
    placed_at: float = 0.0  # monotonic time the webhook was posted (the call arrived)
    error: str = ""


@dataclass
class BenchCall:
    base_url: str
    auth_token: str
    from_number: str
    caller_name: str
    speech: bytes
    speak_at_s: float
    speak_every_s: float  # the caller speaks again, over the agent if it is still talking
    duration_s: float
    call_sid: str = ""
    post_to: str = ""  # where the webhook is posted, when not base_url (a server of its own for webhooks)

    async def run(self) -> CallTiming:
        self.call_sid = self.call_sid or "CA" + time.monotonic_ns().to_bytes(16, "big").hex()
        timing = CallTiming(self.call_sid, self.caller_name, placed_at=time.monotonic())
        instruction = await self._webhook(timing)
        if instruction is None:
            return timing
        try:
            # Signed like Twilio's handshake: over the stream URL, with no parameters.
            headers = {"X-Twilio-Signature": sign(self.auth_token, instruction.url, {})}
            connecting = connect(
                instruction.url, additional_headers=headers, compression=None, proxy=None, max_size=2**22
            )
            async with connecting as ws:
                await self._stream(ws, instruction, timing)
        except Exception as exc:
            timing.error = f"{type(exc).__name__}: {exc}"
        return timing

    async def _webhook(self, timing: CallTiming) -> StreamInstruction | None:
        path = "/twilio/voice/"
        params = {"CallSid": self.call_sid, "AccountSid": "AC" + "0" * 32, "From": self.from_number}
        params |= {"To": "+15005550006", "CallStatus": "ringing", "Direction": "inbound"}
        # Signed for the URL the server's PUBLIC_URL names, wherever it is posted.
        signature = {"X-Twilio-Signature": sign(self.auth_token, self.base_url + path, params)}
        response = await requests_poster((self.post_to or self.base_url) + path, params, signature)
        instruction = parse_twiml(response.body) if response.status == 200 else None
        if not isinstance(instruction, StreamInstruction):
            timing.error = f"webhook answered {response.status}"
            return None
        return instruction

    async def _stream(self, ws, instruction: StreamInstruction, timing: CallTiming) -> None:
        sid = "MZ" + self.call_sid[2:]
        await ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
        start = {"streamSid": sid, "callSid": self.call_sid, "customParameters": instruction.custom_parameters}
        await ws.send(json.dumps({"event": "start", "streamSid": sid, "start": start}))
        timing.started_at = time.monotonic()
        player = Player(ws, sid, timing)
        receiver = asyncio.create_task(player.receive())
        try:
            await self._send_frames(ws, sid, timing)
            await ws.send(json.dumps({"event": "stop", "streamSid": sid, "stop": {"callSid": self.call_sid}}))
        finally:
            player.cancel_echoes()
            await ws.close()
            receiver.cancel()

    async def _send_frames(self, ws, sid: str, timing: CallTiming) -> None:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        speech_from, period = int(self.speak_at_s / FRAME_S), int(self.speak_every_s / FRAME_S)
        for k in range(int(self.duration_s / FRAME_S)):
            due = t0 + k * FRAME_S
            await asyncio.sleep(max(0.0, due - loop.time()))  # drift-free pacing
            offset = ((k - speech_from) % period) * FRAME_BYTES if k >= speech_from else -1
            frame = self.speech[offset : offset + FRAME_BYTES] if 0 <= offset < len(self.speech) else SILENCE
            frame = frame.ljust(FRAME_BYTES, b"\xff")
            media = {"track": "inbound", "chunk": str(k + 1), "timestamp": str(k * 20)}
            media["payload"] = base64.b64encode(frame).decode()
            if loop.time() - due > 0.005:
                timing.late_sends += 1
            timing.frames_sent.append(time.monotonic())
            await ws.send(json.dumps({"event": "media", "streamSid": sid, "media": media}))
        timing.streaming = (timing.frames_sent[0], timing.frames_sent[-1])


class Player:
    """Plays received audio at real time (8000 bytes/s) and echoes marks once played."""

    def __init__(self, ws, stream_sid: str, timing: CallTiming) -> None:
        self.ws, self.sid, self.timing = ws, stream_sid, timing
        self.play_end = 0.0
        self.pending: dict[str, asyncio.TimerHandle] = {}
        self.sending: set[asyncio.Task[None]] = set()

    async def receive(self) -> None:
        loop = asyncio.get_running_loop()
        async for raw in self.ws:
            message = json.loads(raw)
            now = loop.time()
            match message.get("event"):
                case "media":
                    self.timing.media_received.append(time.monotonic())
                    size = len(base64.b64decode(message["media"]["payload"]))
                    self.play_end = max(self.play_end, now) + size / 8000
                case "mark":
                    name = message["mark"]["name"]
                    self.pending[name] = loop.call_at(max(self.play_end, now), self._echo, name)
                case "clear":
                    self.timing.clears.append(time.monotonic())
                    self.play_end = now
                    for name in list(self.pending):
                        self.pending.pop(name).cancel()
                        self._echo(name)

    def _echo(self, name: str) -> None:
        self.pending.pop(name, None)
        task = asyncio.ensure_future(self._send_mark(name))
        self.sending.add(task)
        task.add_done_callback(self.sending.discard)

    async def _send_mark(self, name: str) -> None:
        with contextlib.suppress(Exception):  # the call is ending; a late echo does not matter
            await self.ws.send(json.dumps({"event": "mark", "streamSid": self.sid, "mark": {"name": name}}))

    def cancel_echoes(self) -> None:
        for handle in self.pending.values():
            handle.cancel()
        self.pending.clear()
