"""The floor: the bridge's network traffic through the same daphne, with no product behind it.

`bench/run.py --floor` serves this bare ASGI app instead of voiceagent, so the same load
generator and stand-in measure what daphne, autobahn and the websockets client cost on their
own. The gap between the two runs is what voiceagent adds (Django, Channels, the call's logic,
its records and its live view). It does the same I/O per call and nothing else:

- the voice webhook answers `<Connect><Stream>` (no signature check, no database);
- the stream opens the model's websocket, sends the `session.update` voiceagent's encoder
  writes for an agent with default settings (the caller's bench name as the instructions,
  which is how the benchmark pairs a client with its session) and a `response.create` for
  the greeting;
- each caller frame's payload goes to the model as `input_audio_buffer.append`;
- each audio delta goes to the caller as `media` followed by a `mark`; echoed marks are
  read and ignored;
- `speech_started` sends `clear` and drops the rest of the answer, as a barge-in does;
  it sends no `response.cancel` or `conversation.item.truncate` (the bridge sends one of
  each per barge-in, every few seconds a call).

Django and Celery are imported (through the `voiceagent` package, for the autobahn tuning)
and never used. Not for production: it trusts every request.
"""

from __future__ import annotations

import asyncio
import logging
import os
from urllib.parse import parse_qs
from xml.sax.saxutils import quoteattr

import orjson
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from calls.bridge.config import SessionConfig
from calls.bridge.openai_wire import session_update
from voiceagent.autobahn_tuning import skip_debug_formatting

skip_debug_formatting()  # as voiceagent/asgi.py does: the floor is the frameworks at their leanest

PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:8000")
MODEL_URL = os.environ.get("OPENAI_REALTIME_URL", "ws://127.0.0.1:8765/v1/realtime")
logger = logging.getLogger("bench.floor_app")


async def app(scope, receive, send) -> None:
    if scope["type"] == "http":
        await webhook(receive, send)
    elif scope["type"] == "websocket":
        await media_stream(receive, send)


async def webhook(receive, send) -> None:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    caller = parse_qs(body.decode()).get("From", [""])[0]
    stream_url = PUBLIC_URL.replace("http", "ws", 1) + "/floor/"
    twiml = (
        f'<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url={quoteattr(stream_url)}>'
        f'<Parameter name="caller" value={quoteattr(caller)}/></Stream></Connect></Response>'
    )
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/xml")]})
    await send({"type": "http.response.body", "body": twiml.encode()})


async def media_stream(receive, send) -> None:
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    model = None
    stream_sid = ""
    reader = None
    try:
        while True:
            message = await receive()
            if message["type"] != "websocket.receive":
                return
            frame = orjson.loads(message["text"])
            event = frame.get("event")
            if event == "media" and model is not None:
                append = {"type": "input_audio_buffer.append", "audio": frame["media"]["payload"]}
                await model.send(orjson.dumps(append).decode())
            elif event == "start" and model is None:
                stream_sid = frame["streamSid"]
                caller = frame["start"]["customParameters"].get("caller", "")
                model = await connect(MODEL_URL, compression=None, proxy=None, max_size=2**22)
                config = SessionConfig(model="gpt-realtime", instructions=f"bench-{caller[-4:]}")
                await model.send(orjson.dumps(session_update(config)).decode())
                await model.send('{"type":"response.create"}')
                reader = asyncio.create_task(relay_model(model, stream_sid, send))
            elif event == "stop":
                await send({"type": "websocket.close"})
                return
    finally:
        if reader is not None:
            reader.cancel()
        if model is not None:
            await model.close()


async def relay_model(model, stream_sid: str, send) -> None:
    marks = 0
    cancelled: set[str] = set()
    active = ""
    try:
        async for raw in model:
            event = orjson.loads(raw)
            kind = event.get("type")
            if kind == "response.output_audio.delta":
                if event["response_id"] in cancelled:
                    continue
                media = {"event": "media", "streamSid": stream_sid, "media": {"payload": event["delta"]}}
                marks += 1
                mark = {"event": "mark", "streamSid": stream_sid, "mark": {"name": f"a{marks}"}}
                await send({"type": "websocket.send", "text": orjson.dumps(media).decode()})
                await send({"type": "websocket.send", "text": orjson.dumps(mark).decode()})
            elif kind == "input_audio_buffer.speech_started":
                cancelled.add(active)
                clear = {"event": "clear", "streamSid": stream_sid}
                await send({"type": "websocket.send", "text": orjson.dumps(clear).decode()})
            elif kind == "response.created":
                active = event["response"]["id"]
            elif kind == "response.done":
                active = ""
    except ConnectionClosed:
        pass  # the call ended
    except Exception:  # logged, not raised: nothing awaits this task's result
        logger.exception("floor: the model relay failed")
