"""`Messages.json` for the local fake Twilio REST (`twilio_rest.FakeTwilioRest`): sent texts, recorded.

A mixin: `FakeTwilioRest.serve` hands it every request first; it answers those to
`/2010-04-01/Accounts/<sid>/Messages.json` and returns None for the others. Failures can be
programmed for the next messages (a Twilio error code, or no answer at all).
"""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass
from typing import Any

MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages\.json$")


@dataclass(frozen=True)
class SentMessage:
    """One `messages.create` as the fake received it."""

    sid: str
    to: str
    from_: str
    body: str
    status_callback: str


@dataclass(frozen=True)
class MessageFailure:
    """Answer with `status` and Twilio's error `code` (e.g. 400/21610: the recipient opted out), or `hang`."""

    status: int = 400
    code: int = 21610
    message: str = "Attempt to send to unsubscribed recipient"
    hang: bool = False


class MessagesFake:
    """The Messages resource; expects `account_sid`, `record` and `hang` from FakeTwilioRest."""

    account_sid: str

    def _messages_init(self) -> None:
        self.messages: list[SentMessage] = []
        self._message_failures: list[MessageFailure] = []
        self._message_ids = itertools.count(1)
        self._messages_lock = threading.Lock()

    def fail_messages(self, *failures: MessageFailure) -> None:
        """The next messages get these answers, in order; later ones are accepted again."""
        with self._messages_lock:
            self._message_failures.extend(failures)

    def serve_messages(self, method: str, path: str, body: dict[str, str]) -> tuple[int, dict[str, Any]] | None:
        match = MESSAGES_PATH.match(path)
        if method != "POST" or match is None or match["account"] != self.account_sid:
            return None
        with self._messages_lock:
            failure = self._message_failures.pop(0) if self._message_failures else None
            sid = f"SM{next(self._message_ids):032x}"
        sent = SentMessage(
            sid, body.get("To", ""), body.get("From", ""), body.get("Body", ""), body.get("StatusCallback", "")
        )
        self.record(sent)  # type: ignore[attr-defined]
        if failure is not None and failure.hang:
            self.hang()  # type: ignore[attr-defined]
            return 503, {"code": 20503, "message": "released", "status": 503}
        if failure is not None:
            return failure.status, {"code": failure.code, "message": failure.message, "status": failure.status}
        self.messages.append(sent)  # accepted: what a phone would receive
        return 201, {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": sent.to,
            "from": sent.from_,
            "body": sent.body,
            "status": "queued",
            "num_segments": "1",
        }
