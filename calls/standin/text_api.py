"""Local stand-in for the OpenAI text API (`POST /v1/responses`), for summaries offline and in tests.

A small asyncio HTTP/1.1 server (no Django, no extra dependency) whose answers are derived
deterministically from the request (`answers.py`): a summary of who called, what they asked,
what the agent answered and how the call ended, or, when a JSON schema is requested, a JSON
object that fits it, each field filled as its name and description ask, or, for a conversation (a
list of messages, as SMS replies send), a short answer quoting its latest user message. The official `openai` client
parses its answers like the real service's. Fault injection: answer every request with an
HTTP error status, or drop the connection without answering.

    async with TextApiStandin() as text_api:
        settings.OPENAI_BASE_URL = text_api.url        # http://127.0.0.1:<port>/v1
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self

from calls.standin.answers import fill_schema, summary_text

if TYPE_CHECKING:
    from types import TracebackType

logger = logging.getLogger(__name__)

RESPONSES_PATH = "/v1/responses"
MAX_BODY_BYTES = 4 * 2**20
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 500: "Internal Server Error", 503: "Service Unavailable"}


@dataclass
class TextRequest:
    """One request as received: for assertions in tests."""

    path: str
    body: dict[str, Any]
    authorization: str | None


@dataclass
class TextApiOptions:
    #: Answer every request with this HTTP status and an error body (e.g. 500).
    fail_status: int | None = None
    #: Close every connection without answering (the client sees a connection error).
    drop: bool = False
    #: Seconds to wait before answering (a slow model).
    delay: float = 0.0


class TextApiStandin:
    """The server: start it, give a client :attr:`url`, inspect :attr:`requests`. Port 0 picks a free one."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, options: TextApiOptions | None = None) -> None:
        self.host = host
        self.port = port
        self.options = options if options is not None else TextApiOptions()
        self.requests: list[TextRequest] = []
        self._server: asyncio.Server | None = None
        self._ids = itertools.count(1)
        self._handlers: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        """The base URL a client is given, e.g. ``http://127.0.0.1:8766/v1``."""
        return f"http://{self.host}:{self.port}/v1"

    async def start(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._handle, self.host, self.port)
            self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            server, self._server = self._server, None
            server.close()
            # A slow answer (options.delay) may still be pending: end it while the loop runs.
            for handler in list(self._handlers):
                handler.cancel()
            await asyncio.gather(*self._handlers, return_exceptions=True)
            await server.wait_closed()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # One request per connection, answered with "Connection: close": the client reconnects.
        handler = asyncio.current_task()
        if handler is not None:
            self._handlers.add(handler)
        try:
            request = await _read_request(reader)
            if request is None or self.options.drop:
                return
            self.requests.append(request)
            await asyncio.sleep(self.options.delay)
            status, body = self._answer(request)
            logger.info("text API %s -> %d", request.path, status)
            writer.write(_http_response(status, body))
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            logger.debug("text API: bad or dropped request")
        finally:
            self._handlers.discard(handler)  # type: ignore[arg-type]
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()

    def _answer(self, request: TextRequest) -> tuple[int, dict[str, Any]]:
        if self.options.fail_status is not None:
            return self.options.fail_status, _error("stand-in failing on purpose", "server_error")
        if request.path.split("?")[0] != RESPONSES_PATH:
            return 404, _error(f"the stand-in serves only POST {RESPONSES_PATH}", "invalid_request_error")
        return 200, response_body(request.body, next(self._ids))


async def _read_request(reader: asyncio.StreamReader) -> TextRequest | None:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    if length > MAX_BODY_BYTES:
        raise ValueError("body too large")
    raw = await reader.readexactly(length) if length else b""
    body = json.loads(raw) if raw and method == "POST" else {}
    return TextRequest(
        path=path, body=body if isinstance(body, dict) else {}, authorization=headers.get("authorization")
    )


def _http_response(status: int, body: dict[str, Any]) -> bytes:
    payload = json.dumps(body).encode()
    head = (
        f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + payload


def _error(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


# --- the answers (calls/standin/answers.py) -------------------------------------------------


def _input_text(value: object) -> str:
    """The request's `input`: a string, or a list of messages whose text parts are joined."""
    if isinstance(value, str):
        return value
    parts: list[str] = []
    for item in value if isinstance(value, list) else []:
        content = item.get("content") if isinstance(item, dict) else None
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts.extend(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return "\n".join(parts)


def conversation_reply(messages: list[Any]) -> str:
    """A text-message answer to a conversation (SMS replies): the latest user message quoted back,
    and how many messages came before it, so a test sees the context the request carried."""
    users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    latest = _input_text(users[-1:])
    return f'Thanks for your message: "{latest}". ({len(messages) - 1} earlier message(s) in this thread.)'


def response_body(request: dict[str, Any], number: int) -> dict[str, Any]:
    """A completed Response object, as `POST /v1/responses` returns it."""
    text = _input_text(request.get("input"))
    fmt = (request.get("text") or {}).get("format") or {}
    if fmt.get("type") == "json_schema":
        answer = json.dumps(fill_schema(fmt.get("schema") or {}, text))
    elif isinstance(request.get("input"), list):
        answer = conversation_reply(request["input"])
    else:
        answer = summary_text(text)
    input_tokens, output_tokens = len(text.split()), len(answer.split())
    return {
        "id": f"resp_standin_{number}",
        "object": "response",
        "created_at": int(time.time()),
        "status": "completed",
        "model": request.get("model", "gpt-4o-mini"),
        "output": [
            {
                "type": "message",
                "id": f"msg_standin_{number}",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": answer, "annotations": []}],
            }
        ],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": {
            "input_tokens": input_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": input_tokens + output_tokens,
        },
    }
