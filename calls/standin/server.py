"""Local stand-in for the OpenAI Realtime API (GA protocol), for dev, demos and tests.

A plain-asyncio websocket server (no Django) that answers like the real service
closely enough for the Twilio bridge: ``session.created`` on connect, an energy VAD
over ``audio/pcmu`` input that ends caller turns and answers them, audio responses
streamed as shipped µ-law clips with word-by-word transcripts, cancel and barge-in,
truncation checks, and fault injection (refused handshake, abrupt close).

    async with RealtimeStandin() as standin:
        url = standin.url + "?model=gpt-realtime"   # point the bridge here
        session = await standin.wait_for_session()
        await session.wait_for("response.create")
"""

from __future__ import annotations

import asyncio
import http
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve

from calls.standin.session import StandinSession
from calls.standin.wire import describe

if TYPE_CHECKING:
    from types import TracebackType

    from websockets.http11 import Request, Response

__all__ = [
    "EventHook",
    "RealtimeStandin",
    "StandinOptions",
    "StandinSession",
    "describe",
]

logger = logging.getLogger(__name__)

#: Same prefix as ``wss://api.openai.com/v1/realtime``; clients append ``?model=``.
PATH_PREFIX = "/v1/realtime"
#: The real API accepts large appends (whole clips); websockets defaults to 1 MiB.
MAX_MESSAGE_BYTES = 16 * 2**20

#: Observer called with ("recv" | "send", event) for every event (see the command).
EventHook = Callable[[str, dict[str, Any]], None]


@dataclass
class StandinOptions:
    """Behaviour knobs of the stand-in; defaults mimic the real service."""

    #: Milliseconds of audio per ``response.output_audio.delta`` (8 bytes per ms).
    chunk_ms: int = 100
    #: Seconds to wait between deltas; 0 streams as fast as possible, as OpenAI
    #: does (far faster than real time), which is what the bridge must cope with.
    pace: float = 0.0
    #: Answer every handshake with HTTP 503 (fault tests).
    refuse: bool = False
    #: Close the socket with 1011 after sending this many server events (fault tests).
    close_after_events: int | None = None
    #: Mean absolute linear PCM amplitude per 20 ms frame that counts as speech.
    vad_threshold: int = 500
    #: Trailing silence that ends a caller turn; ``session.update`` may override it
    #: with ``audio.input.turn_detection.silence_duration_ms``.
    silence_ms: int = 400
    #: Record the time of every event per session (``StandinSession.timings``).
    record_timings: bool = False
    #: Scripted function calls, (name, arguments), one per caller turn in order
    #: (see :mod:`calls.standin.tool_calls`); turns after the last are answered in speech.
    tool_calls: list[tuple[str, dict]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.chunk_ms <= 0:
            raise ValueError("chunk_ms must be positive")
        if self.close_after_events is not None and self.close_after_events < 1:
            raise ValueError("close_after_events must be at least 1")


class RealtimeStandin:
    """The stand-in server: start it, point a client at :attr:`url`, inspect sessions.

    ``port=0`` picks a free ephemeral port (read it back from :attr:`url` once
    started). ``on_event`` observes every event received and sent.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        options: StandinOptions | None = None,
        *,
        on_event: EventHook | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.options = options if options is not None else StandinOptions()
        #: One per accepted connection, in order of connection.
        self.sessions: list[StandinSession] = []
        #: Handshakes answered 503 because of ``options.refuse``.
        self.refused = 0
        self._on_event = on_event
        self._server: Server | None = None
        self._arrivals: asyncio.Queue[StandinSession] = asyncio.Queue()

    @property
    def url(self) -> str:
        """Base websocket URL, e.g. ``ws://127.0.0.1:54321/v1/realtime``."""
        if self.port == 0:
            raise RuntimeError("the stand-in has no port until start() has run")
        return f"ws://{self.host}:{self.port}{PATH_PREFIX}"

    async def start(self) -> None:
        """Bind and start accepting connections."""
        if self._server is not None:
            return
        self._server = await serve(
            self._handle,
            self.host,
            self.port,
            process_request=self._process_request,
            max_size=MAX_MESSAGE_BYTES,
        )
        # With port 0 the OS chose the port; report the real one in url.
        self.port = self._server.sockets[0].getsockname()[1]
        logger.debug("stand-in listening on %s", self.url)

    async def stop(self) -> None:
        """Close every connection (1001 going away) and stop listening."""
        if self._server is None:
            return
        server, self._server = self._server, None
        server.close()
        await server.wait_closed()
        logger.debug("stand-in stopped")

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def wait_for_session(self, timeout: float = 5) -> StandinSession:
        """Return the next session not yet returned, waiting for it to connect.

        Raises ``TimeoutError`` if no further connection arrives in time.
        """
        async with asyncio.timeout(timeout):
            return await self._arrivals.get()

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        """Handshake hook: refuse wrong paths (404) and, in fault mode, everything (503)."""
        if not urlsplit(request.path).path.startswith(PATH_PREFIX):
            return connection.respond(http.HTTPStatus.NOT_FOUND, "stand-in serves /v1/realtime\n")
        if self.options.refuse:
            self.refused += 1
            logger.debug("refusing handshake for %s (refuse=True)", request.path)
            return connection.respond(http.HTTPStatus.SERVICE_UNAVAILABLE, "stand-in refusing connections\n")
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        """Connection handler: record who connected, then run the session to the end."""
        request = ws.request
        assert request is not None  # the handler only runs after a handshake
        model = parse_qs(urlsplit(request.path).query).get("model", [None])[0]
        session = StandinSession(
            ws,
            options=self.options,
            model=model,
            authorization=request.headers.get("Authorization"),
            on_event=self._on_event,
        )
        self.sessions.append(session)
        self._arrivals.put_nowait(session)
        logger.debug("session %d connected, model=%s", len(self.sessions), model)
        await session.run()
