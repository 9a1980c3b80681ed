"""A local stand-in for Twilio's REST API, over real HTTP, for tests and the demo.

voiceagent reaches Twilio's REST API through `TWILIO_API_URL`; pointed here, the twilio
client's requests land on this server, which checks their Basic auth, records them, and
answers as Twilio would: the call resource, or Twilio's JSON error with its code. Answers
can be programmed per CallSid (a refusal, a 5xx, or no answer at all, to test timeouts).
"""

from __future__ import annotations

import base64
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

CALL_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Calls/(?P<sid>[^/]+)\.json$")


@dataclass(frozen=True)
class RestRequest:
    method: str
    path: str
    form: dict[str, str]
    call_sid: str = ""


@dataclass(frozen=True)
class Answer:
    """How the fake answers: `status` with Twilio's error `code`, or `hang` without answering."""

    status: int = 200
    code: int | None = None
    message: str = ""
    hang: bool = False


@dataclass
class FakeTwilioRest:
    account_sid: str
    auth_token: str
    requests: list[RestRequest] = field(default_factory=list)
    answers: dict[str, Answer] = field(default_factory=dict)

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

    def __enter__(self) -> FakeTwilioRest:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()

    def answer(self, call_sid: str, answer: Answer) -> None:
        self.answers[call_sid] = answer

    def wait_for_requests(self, count: int, timeout: float = 10) -> list[RestRequest]:
        """The first `count` requests, once they have arrived."""
        with self._recorded:
            self._recorded.wait_for(lambda: len(self.requests) >= count, timeout)
            return self.requests[:count]

    # --- serving -------------------------------------------------------------------------

    def _authorised(self, header: str) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return header == f"Basic {expected}"

    def _respond(self, request: RestRequest) -> tuple[int, dict]:
        answer = self.answers.get(request.call_sid, Answer())
        if answer.hang:
            self._released.wait()
            return 503, {"code": 20503, "message": "released", "status": 503}
        if answer.status >= 400:
            return answer.status, {
                "code": answer.code or answer.status,
                "message": answer.message,
                "status": answer.status,
            }
        status = request.form.get("Status", "in-progress")
        return 200, {"sid": request.call_sid, "account_sid": self.account_sid, "status": status}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(parse_qsl(self.rfile.read(length).decode()))
                match = CALL_PATH.match(self.path)
                if not fake._authorised(self.headers.get("Authorization", "")):
                    self._send(401, {"code": 20003, "message": "Authenticate", "status": 401})
                    return
                if match is None or match["account"] != fake.account_sid:
                    self._send(404, {"code": 20404, "message": "The requested resource was not found", "status": 404})
                    return
                request = RestRequest("POST", self.path, form, match["sid"])
                with fake._recorded:
                    fake.requests.append(request)
                    fake._recorded.notify_all()
                self._send(*fake._respond(request))

            def _send(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up waiting (a timeout test)
                    pass

            def log_message(self, format: str, *args: object) -> None:  # quiet: tests read `requests`
                pass

        return Handler
