"""Outbound calls at the fake Twilio (`POST …/Calls.json`): the callee picks up, and Twilio does its part.

`FakeTwilioRest` hands `Calls.json` requests to `OutboundCalls`, which answers as Twilio does
(201 with the new call's sid, or Twilio's JSON error when a callee is programmed to refuse) and,
in a thread of its own, plays the call: it fetches the answer URL (signed, form as Twilio posts
it for an outbound-api call), opens the media stream in Twilio's dialect with the callee's
script (marks echoed as played), posts the answering-machine verdict (signed) when the
programmed moment comes, and at the end the status callback with the call's duration. A callee
that never answers gets only the status callback (`no-answer`, `busy`, `failed`).
"""

from __future__ import annotations

import asyncio
import math
import re
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

import requests

from calls.simulator.carrier import SimulatedCall
from calls.simulator.dialect import CallInfo, WebhookRequest
from calls.simulator.fake_rest import Reply
from calls.simulator.results import CallResult
from calls.simulator.script import CallScript
from calls.simulator.twilio_dialect import TwilioDialect
from calls.simulator.webhook import TWILIO_USER_AGENT, requests_poster, sign

CREATE_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Calls\.json$")
SILENCE_SCRIPT = CallScript(caller_audio=b"", speak_after_ms=0, hangup_after_ms=0, max_call_ms=5000)


@dataclass
class Callee:
    """How a called number behaves.

    - ``answered_by``: the verdict posted to the AMD callback (``human``, ``machine_end_beep``…);
      empty: none is posted.
    - ``amd_on``: the simulator event after which it is posted: ``start`` (the stream began) or
      ``utterance_end`` (the callee's audio, say a machine's greeting, has ended).
    - ``script``: what the callee says and when it hangs up.
    - ``status``: the final status; anything but ``completed`` means the call is never answered.
    - ``refuse``: ``(http status, Twilio code, message)``: `calls.create` is refused with it.
    """

    answered_by: str = "human"
    amd_on: str = "start"
    script: CallScript = field(default_factory=lambda: SILENCE_SCRIPT)
    status: str = "completed"
    refuse: tuple[int, int, str] | None = None


@dataclass
class PlacedCall:
    """A call the fake accepted: what was asked, and (once done) how it went."""

    sid: str
    form: dict[str, str]
    result: CallResult | None = None
    amd_status: int | None = None
    status_status: int | None = None
    done: threading.Event = field(default_factory=threading.Event)


class OutboundDialect(TwilioDialect):
    """Twilio's dialect, answering an outbound call: the answer URL is the one given to `calls.create`."""

    def __init__(self, answer_url: str) -> None:
        self.answer_url = answer_url

    def answer_request(self, base_url: str, call: CallInfo, auth_token: str) -> WebhookRequest:
        params = {
            "CallSid": call.call_id,
            "AccountSid": call.account_id,
            "From": call.from_number,
            "To": call.to_number,
            "CallStatus": "in-progress",
            "Direction": "outbound-api",
            "ApiVersion": "2010-04-01",
        }
        headers = {"X-Twilio-Signature": sign(auth_token, self.answer_url, params), "User-Agent": TWILIO_USER_AGENT}
        return WebhookRequest(self.answer_url, params, headers)


class OutboundCalls:
    """The fake's `Calls.json`: callees programmed by number, calls placed so far by sid."""

    def __init__(self, account_sid: str, auth_token: str) -> None:
        self.account_sid, self.auth_token = account_sid, auth_token
        self.callees: dict[str, Callee] = {}
        self.default = Callee()
        self.placed: dict[str, PlacedCall] = {}
        self._changed = threading.Condition()

    def handles(self, method: str, path: str) -> bool:
        match = CREATE_PATH.match(path)
        return method == "POST" and match is not None and match["account"] == self.account_sid

    def create(self, form: dict[str, str]) -> Reply:
        if not (form.get("To") and form.get("From") and (form.get("Url") or form.get("Twiml"))):
            return 400, {"code": 21205, "message": "To, From and Url are required", "status": 400}
        callee = self.callees.get(form["To"], self.default)
        if callee.refuse is not None:
            status, code, message = callee.refuse
            return status, {"code": code, "message": message, "status": status}
        placed = PlacedCall("CA" + secrets.token_hex(16), form)
        with self._changed:
            self.placed[placed.sid] = placed
            self._changed.notify_all()
        threading.Thread(target=asyncio.run, args=(self._play(placed, callee),), daemon=True).start()
        return 201, {"sid": placed.sid, "account_sid": self.account_sid, "status": "queued", "to": form["To"]}

    def wait_for_call(self, count: int = 1, timeout: float = 15) -> list[PlacedCall]:
        """The first `count` calls placed, once they are."""
        with self._changed:
            self._changed.wait_for(lambda: len(self.placed) >= count, timeout)
            return list(self.placed.values())[:count]

    async def _play(self, placed: PlacedCall, callee: Callee) -> None:
        try:
            if callee.status != "completed":
                placed.status_status = await self._post("StatusCallback", placed, CallStatus=callee.status)
                return
            answered = asyncio.get_running_loop().time()
            placed.result = await self._answer(placed, callee)
            duration = str(math.ceil(asyncio.get_running_loop().time() - answered))
            placed.status_status = await self._post(
                "StatusCallback", placed, CallStatus="completed", CallDuration=duration
            )
        finally:
            placed.done.set()

    async def _answer(self, placed: PlacedCall, callee: Callee) -> CallResult:
        form = placed.form
        loop = asyncio.get_running_loop()
        posted: list[asyncio.Task[None]] = []

        async def post_verdict() -> None:
            placed.amd_status = await self._post("AsyncAmdStatusCallback", placed, AnsweredBy=callee.answered_by)

        def on_event(kind: str, data: dict[str, Any]) -> None:
            if callee.answered_by and kind == callee.amd_on and not posted:
                posted.append(loop.create_task(post_verdict()))

        call = SimulatedCall(
            base_url="",
            auth_token=self.auth_token,
            from_number=form["From"],
            to_number=form["To"],
            account_sid=self.account_sid,
            call_sid=placed.sid,
            carrier=OutboundDialect(form["Url"]),
            on_event=on_event,
        )
        result = await call.run(callee.script)
        if posted:
            await posted[0]
        return result

    async def _post(self, url_field: str, placed: PlacedCall, **fields: str) -> int | None:
        url = placed.form.get(url_field)
        if not url:
            return None
        params = {"CallSid": placed.sid, "AccountSid": self.account_sid, "ApiVersion": "2010-04-01", **fields}
        try:
            response = await requests_poster(url, params, {"X-Twilio-Signature": sign(self.auth_token, url, params)})
        except (requests.RequestException, OSError):  # like Twilio, a server that is down gets nothing more
            return None
        return response.status
