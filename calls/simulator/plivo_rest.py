"""A local stand-in for Plivo's REST API, over real HTTP, for tests and the demo.

voiceagent reaches Plivo's REST API through `PLIVO_API_URL`; pointed here, the plivo SDK's
requests land on this server, which checks their Basic auth (auth id and token), records them
and answers as Plivo does: hang-up (`DELETE …/Call/{uuid}/`) 204 with no body, transfer
(`POST …/Call/{uuid}/`) 202 `{"message": "call transferred", "api_id": …}`, errors as
`{"api_id": …, "error": …}`. A call once hung up is gone: asking for it again answers 404.
Answers can be programmed per call UUID (a refusal, a 5xx, or no answer at all, for timeouts).
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

CALL_PATH = re.compile(r"^/v1/Account/(?P<account>[^/]+)/Call/(?P<uuid>[^/]+)/$")


@dataclass(frozen=True)
class RestRequest:
    method: str
    path: str
    body: dict[str, str]  # the SDK sends JSON; a form body is read too
    call_uuid: str = ""


@dataclass(frozen=True)
class Answer:
    """How the fake answers: `status` with Plivo's `error` text (`message`), or `hang` without answering."""

    status: int = 0  # 0: Plivo's success (204 for a hang-up, 202 for a transfer)
    message: str = ""
    hang: bool = False


def _error(message: str) -> dict[str, str]:
    return {"api_id": str(uuid.uuid4()), "error": message}


@dataclass
class FakePlivoRest:
    auth_id: str
    auth_token: str
    requests: list[RestRequest] = field(default_factory=list)
    answers: dict[str, Answer] = field(default_factory=dict)
    ended: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._released = threading.Event()  # lets hanging requests finish when the fake stops
        self._recorded = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakePlivoRest:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()

    def answer(self, call_uuid: str, answer: Answer) -> None:
        self.answers[call_uuid] = answer

    def wait_for_requests(self, count: int, timeout: float = 10) -> list[RestRequest]:
        """The first `count` requests, once they have arrived."""
        with self._recorded:
            self._recorded.wait_for(lambda: len(self.requests) >= count, timeout)
            return self.requests[:count]

    # --- serving -------------------------------------------------------------------------

    def _authorised(self, header: str) -> bool:
        expected = base64.b64encode(f"{self.auth_id}:{self.auth_token}".encode()).decode()
        return header == f"Basic {expected}"

    def _respond(self, request: RestRequest) -> tuple[int, dict | None]:
        answer = self.answers.get(request.call_uuid, Answer())
        if answer.hang:
            self._released.wait()
            return 503, _error("released")
        if answer.status >= 400:
            return answer.status, _error(answer.message)
        if request.call_uuid in self.ended:
            return 404, _error("not found")
        if request.method == "DELETE":
            self.ended.add(request.call_uuid)
            return 204, None
        return 202, {"message": "call transferred", "api_id": str(uuid.uuid4())}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_DELETE(self) -> None:
                self._serve("DELETE")

            def do_POST(self) -> None:
                self._serve("POST")

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                match = CALL_PATH.match(self.path)
                if not fake._authorised(self.headers.get("Authorization", "")):
                    self._send(401, _error("authentication failed"))
                    return
                if match is None or match["account"] != fake.auth_id:
                    self._send(404, _error("not found"))
                    return
                request = RestRequest(method, self.path, self._body(raw), match["uuid"])
                with fake._recorded:
                    fake.requests.append(request)
                    fake._recorded.notify_all()
                self._send(*fake._respond(request))

            def _body(self, raw: str) -> dict[str, str]:
                if "json" in self.headers.get("Content-Type", ""):
                    loaded = json.loads(raw or "{}")
                    return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}
                return dict(parse_qsl(raw))

            def _send(self, status: int, body: dict | None) -> None:
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
