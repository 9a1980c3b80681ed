"""A local stand-in for Twilio's REST API, over real HTTP, for tests and the demo.

voiceagent reaches Twilio's REST API through `TWILIO_API_URL`; pointed here, the twilio
client's requests land on this server, which checks their Basic auth, records them, and
answers as Twilio would: the call resource, or Twilio's JSON error with its code. Answers
can be programmed per CallSid (a refusal, a 5xx, or no answer at all, to test timeouts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from calls.simulator.fake_rest import FakeRestServer, Reply
from calls.simulator.twilio_messages import MessagesFake
from calls.simulator.twilio_outbound import OutboundCalls

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


def _error(status: int, code: int, message: str) -> Reply:
    return status, {"code": code, "message": message, "status": status}


class FakeTwilioRest(MessagesFake, FakeRestServer):
    def __init__(self, account_sid: str, auth_token: str, port: int = 0) -> None:
        super().__init__(account_sid, auth_token, port)
        self.account_sid = account_sid
        self.answers: dict[str, Answer] = {}
        self._messages_init()
        self.outbound = OutboundCalls(account_sid, auth_token)  # POST …/Calls.json (twilio_outbound.py)

    def answer(self, call_sid: str, answer: Answer) -> None:
        self.answers[call_sid] = answer

    def unauthorised(self) -> Reply:
        return _error(401, 20003, "Authenticate")

    def serve(self, method: str, path: str, body: dict[str, str]) -> Reply:
        if (sent := self.serve_messages(method, path, body)) is not None:
            return sent
        if self.outbound.handles(method, path):
            self.record(RestRequest(method, path, body))
            return self.outbound.create(body)
        match = CALL_PATH.match(path)
        if method != "POST" or match is None or match["account"] != self.account_sid:
            return _error(404, 20404, "The requested resource was not found")
        request = RestRequest("POST", path, body, match["sid"])
        self.record(request)
        answer = self.answers.get(request.call_sid, Answer())
        if answer.hang:
            self.hang()
            return _error(503, 20503, "released")
        if answer.status >= 400:
            return _error(answer.status, answer.code or answer.status, answer.message)
        return 200, {
            "sid": request.call_sid,
            "account_sid": self.account_sid,
            "status": body.get("Status", "in-progress"),
        }
