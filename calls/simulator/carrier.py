"""A simulated carrier (Twilio or Plivo) that places calls against our own endpoints.

:class:`SimulatedCall` does what the carrier does for an inbound call: it POSTs the signed
answer webhook, reads the answer XML, opens the stream's websocket, streams the caller's
paced µ-law and plays the server's audio back in real time, answering marks as it plays.
What differs between carriers is the call's :class:`~calls.simulator.dialect.Dialect`.
Plain asyncio and no Django, so tests and the ``simulate_call`` command can both drive it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from calls.simulator.dialect import CallInfo, Dialect, WebhookRequest
from calls.simulator.plivo_dialect import PlivoDialect
from calls.simulator.results import CallResult
from calls.simulator.script import CallScript
from calls.simulator.stream import MediaStream
from calls.simulator.twilio_dialect import TwilioDialect
from calls.simulator.webhook import Refusal, StreamInstruction, WebhookPoster, WebhookResponse, requests_poster

logger = logging.getLogger(__name__)

# The carriers the simulator speaks, by their name in voiceagent.
DIALECTS: dict[str, Dialect] = {"twilio": TwilioDialect(), "plivo": PlivoDialect()}

EventCallback = Callable[[str, dict[str, Any]], None]


def dialect_for(carrier: str | Dialect) -> Dialect:
    """The dialect called ``carrier`` (or ``carrier`` itself, for a dialect of one's own)."""
    if not isinstance(carrier, str):
        return carrier
    try:
        return DIALECTS[carrier]
    except KeyError:
        raise ValueError(f"the simulator speaks no carrier {carrier!r} (only {', '.join(DIALECTS)})") from None


@dataclass
class SimulatedCall:
    """One inbound call as the carrier (``carrier``: ``"twilio"`` or ``"plivo"``) would place it.

    ``base_url`` is the public base the server believes in (its ``PUBLIC_URL``): the
    webhooks are signed over ``base_url`` + the carrier's path (``/twilio/voice/``;
    ``/plivo/answer/`` and ``/plivo/hangup/``) with ``auth_token``, the carrier's token.
    Numbers are E.164 (Plivo's dialect drops the ``+``); an empty ``to_number``,
    ``account_sid`` or ``call_sid`` is the carrier's demo number, a simulated account and a
    new call id (Twilio ``CA…``, Plivo a UUID4). ``on_event(kind, data)`` is told of
    progress (``webhook``, ``twiml`` (the answer XML, whatever the carrier), ``refused``,
    ``connected``, ``start``, ``first_audio``, ``playback_started``, ``played``, ``mark``,
    ``clear``, ``speak``, ``utterance_end``, ``dtmf``, ``hangup``, ``closed``,
    ``protocol_error``, ``handshake_failed``, ``hangup_webhook``). ``poster`` sends the
    webhooks; tests pass a fake. ``cafile`` (PEM) is trusted for an https:// and wss://
    server with a private certificate.
    """

    base_url: str
    auth_token: str
    from_number: str = "+15550100001"
    to_number: str = ""
    account_sid: str = ""
    call_sid: str = ""
    on_event: EventCallback | None = None
    poster: WebhookPoster = requests_poster
    cafile: str | None = None
    carrier: str | Dialect = "twilio"
    dialect: Dialect = field(init=False, repr=False)
    # The call's findings, filled while it runs (``played`` and ``segments`` are live views).
    result: CallResult | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.dialect = dialect_for(self.carrier)
        self.to_number = self.to_number or self.dialect.default_to_number
        self.account_sid = self.account_sid or self.dialect.default_account_id
        self.call_sid = self.call_sid or self.dialect.new_call_id()
        if self.cafile and self.poster is requests_poster:
            self.poster = functools.partial(requests_poster, cafile=self.cafile)

    @property
    def info(self) -> CallInfo:
        return CallInfo(self.call_sid, self.account_sid, self.from_number, self.to_number)

    @property
    def webhook_url(self) -> str:
        """The answer URL the carrier posts to, and signs."""
        return self._answer_request().url

    def webhook_params(self) -> dict[str, str]:
        """The form fields of the carrier's "a call comes in" request."""
        return self._answer_request().params

    async def run(self, script: CallScript) -> CallResult:
        """Place the call, play it out according to ``script``, and report.

        Call-level failures (refusal, handshake or webhook errors, the server hanging up)
        are recorded in the result, not raised.
        """
        result = self.result = CallResult(call_sid=self.call_sid, carrier=self.dialect.name)
        instruction = await self._place(result)
        answered_at = asyncio.get_running_loop().time()
        if instruction is not None:
            stream = MediaStream(
                instruction=instruction,
                script=script,
                result=result,
                auth_token=self.auth_token,
                account_sid=self.account_sid,
                emit=self.emit,
                dialect=self.dialect,
                ssl_context=ssl.create_default_context(cafile=self.cafile) if self.cafile else None,
            )
            await stream.run()
        if result.webhook_status is not None:  # the server answered: the call took place
            await self._hang_up(result, math.ceil(asyncio.get_running_loop().time() - answered_at))
        return result

    def emit(self, kind: str, data: dict[str, Any]) -> None:
        """Tell ``on_event``; a failing callback is logged, never ends the call."""
        logger.debug("call %s: %s %s", self.call_sid, kind, data)
        if self.on_event is None:
            return
        try:
            self.on_event(kind, data)
        except Exception:
            logger.exception("on_event callback failed for %s", kind)

    def _answer_request(self) -> WebhookRequest:
        return self.dialect.answer_request(self.base_url, self.info, self.auth_token)

    async def _post(self, request: WebhookRequest) -> WebhookResponse:
        return await self.poster(request.url, request.params, request.headers)

    async def _place(self, result: CallResult) -> StreamInstruction | None:
        request = self._answer_request()
        try:
            response = await self._post(request)
        except (requests.RequestException, OSError) as exc:
            result.error, result.ended_by = f"webhook failed: {exc!r}", "error"
            return None
        result.webhook_status, result.webhook_body = response.status, response.body
        self.emit("webhook", {"url": request.url, "status": response.status})
        if response.status != 200:
            return self._refuse(result, say_text=None)
        instruction = self.dialect.parse_answer(response.body)
        self.emit("twiml", {"twiml": response.body})
        if isinstance(instruction, Refusal):
            if instruction.error:
                result.protocol_errors.append(instruction.error)
            return self._refuse(result, say_text=instruction.say_text)
        result.stream_url = instruction.url
        result.custom_parameters = dict(instruction.custom_parameters)
        result.protocol_errors.extend(instruction.errors)
        return instruction

    def _refuse(self, result: CallResult, *, say_text: str | None) -> None:
        result.refused, result.say_text, result.ended_by = True, say_text, "refused"
        self.emit("refused", {"status": result.webhook_status, "say": say_text})

    async def _hang_up(self, result: CallResult, duration_s: int) -> None:
        """Post the carrier's after-the-call webhook (Plivo's hangup URL), if it has one."""
        request = self.dialect.hangup_request(self.base_url, self.info, self.auth_token, duration_s=duration_s)
        if request is None:
            return
        try:
            response = await self._post(request)
        except (requests.RequestException, OSError) as exc:
            result.error = result.error or f"hangup webhook failed: {exc!r}"
            return
        result.hangup_webhook_status, result.hangup_webhook_body = response.status, response.body
        self.emit("hangup_webhook", {"url": request.url, "status": response.status})


async def run_many(calls: list[tuple[SimulatedCall, CallScript]]) -> list[CallResult]:
    """Run calls concurrently; results in the same order. A crash cancels the rest."""
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(call.run(script)) for call, script in calls]
    return [task.result() for task in tasks]
