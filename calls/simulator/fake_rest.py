"""What the local stand-ins for the carriers' REST APIs share: real HTTP on a loopback port.

Each subclass (`twilio_rest.FakeTwilioRest`, `plivo_rest.FakePlivoRest`) says how its carrier
authenticates, routes and answers; this serves it, in a thread, with Basic auth checked, the
body read as a form or JSON, and a way for a programmed "no answer" to end when the fake stops.
"""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl

Reply = tuple[int, dict[str, Any] | None]  # status, JSON body (None: no body)


class FakeRestServer:
    def __init__(self, username: str, password: str, port: int = 0) -> None:
        self._credentials = base64.b64encode(f"{username}:{password}".encode()).decode()
        self._released = threading.Event()  # lets hanging requests finish when the fake stops
        self._recorded = threading.Condition()
        self.requests: list[Any] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())  # 0: a free port
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()

    def wait_for_requests(self, count: int, timeout: float = 10) -> list[Any]:
        """The first `count` requests, once they have arrived."""
        with self._recorded:
            self._recorded.wait_for(lambda: len(self.requests) >= count, timeout)
            return self.requests[:count]

    # --- for subclasses ------------------------------------------------------------------

    def unauthorised(self) -> Reply:
        raise NotImplementedError

    def serve(self, method: str, path: str, body: dict[str, str]) -> Reply:
        """The carrier's answer to an authenticated request; `record` what it asked for."""
        raise NotImplementedError

    def record(self, request: object) -> None:
        with self._recorded:
            self.requests.append(request)
            self._recorded.notify_all()

    def hang(self) -> None:
        """Answer nothing until the fake stops (the client's timeout fires first)."""
        self._released.wait()

    # --- serving -------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self._serve("POST")

            def do_DELETE(self) -> None:
                self._serve("DELETE")

            def _serve(self, method: str) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                if self.headers.get("Authorization", "") != f"Basic {fake._credentials}":
                    self._send(*fake.unauthorised())
                    return
                self._send(*fake.serve(method, self.path, self._body(raw)))

            def _body(self, raw: str) -> dict[str, str]:
                if "json" in self.headers.get("Content-Type", ""):
                    loaded = json.loads(raw or "{}")
                    return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}
                return dict(parse_qsl(raw))

            def _send(self, status: int, body: dict[str, Any] | None) -> None:
                data = json.dumps(body).encode() if body is not None else b""
                try:
                    self.send_response(status)
                    if body is not None:
                        self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up waiting (a timeout test)
                    pass

            def log_message(self, format: str, *args: object) -> None:  # quiet: tests read `requests`
                pass

        return Handler
