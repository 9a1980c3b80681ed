"""A local stand-in for Plivo's REST API, over real HTTP, for tests and the demo.

voiceagent reaches Plivo's REST API through `PLIVO_API_URL`; pointed here, the plivo SDK's
requests land on this server, which checks their Basic auth (auth id and token), records them
and answers as Plivo does: hang-up (`DELETE …/Call/{uuid}/`) 204 with no body, transfer
(`POST …/Call/{uuid}/`) 202 `{"message": "call transferred", "api_id": …}`, errors as
`{"api_id": …, "error": …}`. A call once hung up is gone: asking for it again answers 404.
Answers can be programmed per call UUID (a refusal, a 5xx, or no answer at all, for timeouts).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from calls.simulator.fake_rest import FakeRestServer, Reply

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


class FakePlivoRest(FakeRestServer):
    def __init__(self, auth_id: str, auth_token: str) -> None:
        super().__init__(auth_id, auth_token)
        self.auth_id = auth_id
        self.answers: dict[str, Answer] = {}
        self.ended: set[str] = set()

    def answer(self, call_uuid: str, answer: Answer) -> None:
        self.answers[call_uuid] = answer

    def unauthorised(self) -> Reply:
        return 401, _error("authentication failed")

    def serve(self, method: str, path: str, body: dict[str, str]) -> Reply:
        match = CALL_PATH.match(path)
        if match is None or match["account"] != self.auth_id:
            return 404, _error("not found")
        request = RestRequest(method, path, body, match["uuid"])
        self.record(request)
        answer = self.answers.get(request.call_uuid, Answer())
        if answer.hang:
            self.hang()
            return 503, _error("released")
        if answer.status >= 400:
            return answer.status, _error(answer.message)
        if request.call_uuid in self.ended:
            return 404, _error("not found")
        if method == "DELETE":
            self.ended.add(request.call_uuid)
            return 204, None
        return 202, {"message": "call transferred", "api_id": str(uuid.uuid4())}
