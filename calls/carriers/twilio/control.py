"""Call control at the carrier (Twilio REST): hang up, transfer (the bridge's adapter), place a call.

The REST base comes from `TWILIO_API_URL` (tests and the simulator point it at a local fake
Twilio), and every request has a timeout: a carrier that hangs must not hang the call.
"""

from __future__ import annotations

import asyncio
import logging

from django.conf import settings
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from calls.carriers.base import ControlResult, OutgoingCall, PlacedCall

from .answer import transfer as transfer_twiml

logger = logging.getLogger(__name__)

ALREADY_ENDED = 20404  # Twilio's "resource not found": the call is over
TOO_MANY_REQUESTS = 429


class TwilioControl:
    """Hang up or transfer a live call. Without account credentials it can do neither."""

    def __init__(self, account_sid: str, auth_token: str, *, api_url: str = "", timeout: float = 10.0) -> None:
        self._client: Client | None = None
        if account_sid and auth_token:
            self._client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout))
            if api_url:
                self._client.api.base_url = api_url  # the Calls resource lives on the `api` domain

    @classmethod
    def from_settings(cls) -> TwilioControl:
        return cls(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            api_url=settings.TWILIO_API_URL,
            timeout=settings.TWILIO_API_TIMEOUT,
        )

    @property
    def available(self) -> bool:
        return self._client is not None

    async def hang_up(self, call_sid: str) -> ControlResult:
        return await self._update(call_sid, ended_is_fine=True, status="completed")

    async def transfer(self, call_sid: str, number: str) -> ControlResult:
        return await self._update(call_sid, twiml=transfer_twiml(number))

    async def _update(self, call_sid: str, *, ended_is_fine: bool = False, **changes: str) -> ControlResult:
        if self._client is None:
            return ControlResult(False, "no Twilio account is configured")
        try:
            await asyncio.to_thread(self._client.calls(call_sid).update, **changes)
        except TwilioRestException as exc:
            if exc.code == ALREADY_ENDED and ended_is_fine:
                return ControlResult(True, "the call had already ended")
            detail = f"Twilio {exc.code or exc.status}: {exc.msg}"[:200]
            logger.warning("Twilio refused to update %s: %s", call_sid, detail)
            return ControlResult(False, detail)
        except OSError as exc:  # requests' errors, timeouts included, are OSErrors
            detail = f"Twilio unreachable ({type(exc).__name__})"
            logger.warning("%s updating %s", detail, call_sid)
            return ControlResult(False, detail)
        return ControlResult(True)

    def place_call(self, call: OutgoingCall) -> PlacedCall:
        """`calls.create` with asynchronous answering-machine detection that waits for the greeting's end.

        The answer URL (ours, signed by Twilio when it fetches it) returns the stream TwiML at
        pick-up, so the stream runs while detection listens; the verdict comes to `amd_url`.
        """
        if self._client is None:
            return PlacedCall(False, detail="no Twilio account is configured")
        try:
            created = self._client.calls.create(
                to=call.to_number,
                from_=call.from_number,
                url=call.answer_url,
                method="POST",
                status_callback=call.status_url,
                status_callback_method="POST",
                machine_detection="DetectMessageEnd",
                async_amd="true",  # a string in the SDK: True would be sent as "True"
                async_amd_status_callback=call.amd_url,
                async_amd_status_callback_method="POST",
            )
        except TwilioRestException as exc:
            # 4xx (an invalid number, no permission or credit for it) fails the same way next time.
            retryable = exc.status >= 500 or exc.status == TOO_MANY_REQUESTS
            detail = f"Twilio {exc.code or exc.status}: {exc.msg}"[:300]
            logger.warning("Twilio refused a call to %s: %s", call.to_number, detail)
            return PlacedCall(False, detail=detail, retryable=retryable)
        except OSError as exc:
            return PlacedCall(False, detail=f"Twilio unreachable ({type(exc).__name__})", retryable=True)
        return PlacedCall(True, call_id=str(created.sid))
