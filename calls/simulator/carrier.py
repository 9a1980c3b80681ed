"""A simulated Twilio that places calls against our own endpoints.

:class:`SimulatedCall` does what Twilio does for an inbound call: it POSTs the signed
voice webhook, reads the TwiML, opens the ``<Connect><Stream>`` websocket, streams the
caller's paced µ-law and plays the server's audio back in real time, echoing marks. Plain
asyncio and no Django, so tests and the ``simulate_call`` command can both drive it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from calls.simulator.results import CallResult
from calls.simulator.script import CallScript
from calls.simulator.stream import MediaStream
from calls.simulator.webhook import (
    TWILIO_USER_AGENT,
    Refusal,
    StreamInstruction,
    WebhookPoster,
    parse_twiml,
    requests_poster,
    sign,
)

logger = logging.getLogger(__name__)

SIMULATED_ACCOUNT_SID = "ACsimulated" + "0" * 23  # 34 characters, like a real one
VOICE_WEBHOOK_PATH = "/twilio/voice/"

EventCallback = Callable[[str, dict[str, Any]], None]


def _new_call_sid() -> str:
    return "CA" + secrets.token_hex(16)


@dataclass
class SimulatedCall:
    """One inbound call as Twilio would place it.

    ``base_url`` is the public base the server believes in (its ``PUBLIC_URL``): the
    webhook is signed over ``base_url + "/twilio/voice/"``. ``on_event(kind, data)`` is told
    of progress (``webhook``, ``twiml``, ``refused``, ``connected``, ``start``,
    ``first_audio``, ``playback_started``, ``played``, ``mark``, ``clear``, ``speak``,
    ``utterance_end``, ``dtmf``, ``hangup``, ``closed``, ``protocol_error``,
    ``handshake_failed``). ``poster`` sends the webhook; tests pass a fake. ``cafile`` (PEM)
    is trusted for an https:// and wss:// server with a private certificate.
    """

    base_url: str
    auth_token: str
    from_number: str = "+15550100001"
    to_number: str = "+15005550006"
    account_sid: str = SIMULATED_ACCOUNT_SID
    call_sid: str = field(default_factory=_new_call_sid)
    on_event: EventCallback | None = None
    poster: WebhookPoster = requests_poster
    cafile: str | None = None

    def __post_init__(self) -> None:
        if self.cafile and self.poster is requests_poster:
            self.poster = functools.partial(requests_poster, cafile=self.cafile)

    @property
    def webhook_url(self) -> str:
        """The URL Twilio posts to, and signs."""
        return self.base_url.rstrip("/") + VOICE_WEBHOOK_PATH

    def webhook_params(self) -> dict[str, str]:
        """The form fields of Twilio's "a call comes in" request."""
        return {
            "CallSid": self.call_sid,
            "AccountSid": self.account_sid,
            "From": self.from_number,
            "To": self.to_number,
            "Caller": self.from_number,
            "Called": self.to_number,
            "CallStatus": "ringing",
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
        }

    async def run(self, script: CallScript) -> CallResult:
        """Place the call, play it out according to ``script``, and report.

        Call-level failures (refusal, handshake or webhook errors, the server hanging up)
        are recorded in the result, not raised.
        """
        result = CallResult(call_sid=self.call_sid)
        instruction = await self._place(result)
        if instruction is not None:
            stream = MediaStream(
                instruction=instruction,
                script=script,
                result=result,
                auth_token=self.auth_token,
                account_sid=self.account_sid,
                emit=self.emit,
                ssl_context=ssl.create_default_context(cafile=self.cafile) if self.cafile else None,
            )
            await stream.run()
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

    async def _place(self, result: CallResult) -> StreamInstruction | None:
        params = self.webhook_params()
        url = self.webhook_url
        headers = {"X-Twilio-Signature": sign(self.auth_token, url, params)}
        headers["User-Agent"] = TWILIO_USER_AGENT
        try:
            response = await self.poster(url, params, headers)
        except (requests.RequestException, OSError) as exc:
            result.error, result.ended_by = f"webhook failed: {exc!r}", "error"
            return None
        result.webhook_status, result.webhook_body = response.status, response.body
        self.emit("webhook", {"url": url, "status": response.status})
        if response.status != 200:
            return self._refuse(result, say_text=None)
        instruction = parse_twiml(response.body)
        self.emit("twiml", {"twiml": response.body})
        if isinstance(instruction, Refusal):
            if instruction.error:
                result.protocol_errors.append(instruction.error)
            return self._refuse(result, say_text=instruction.say_text)
        result.stream_url = instruction.url
        result.custom_parameters = dict(instruction.custom_parameters)
        return instruction

    def _refuse(self, result: CallResult, *, say_text: str | None) -> None:
        result.refused, result.say_text, result.ended_by = True, say_text, "refused"
        self.emit("refused", {"status": result.webhook_status, "say": say_text})


async def run_many(calls: list[tuple[SimulatedCall, CallScript]]) -> list[CallResult]:
    """Run calls concurrently; results in the same order. A crash cancels the rest."""
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(call.run(script)) for call, script in calls]
    return [task.result() for task in tasks]
