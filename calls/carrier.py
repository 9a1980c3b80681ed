"""Call control at the carrier (Twilio REST): hang up, transfer. Used by the bridge's adapter."""

from __future__ import annotations

import asyncio
import logging

from django.conf import settings
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse

logger = logging.getLogger(__name__)


class TwilioControl:
    """Hang up or transfer a live call. Without account credentials it can do neither."""

    def __init__(self, account_sid: str, auth_token: str) -> None:
        self._client = Client(account_sid, auth_token) if account_sid and auth_token else None

    @classmethod
    def from_settings(cls) -> TwilioControl:
        return cls(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)

    @property
    def available(self) -> bool:
        return self._client is not None

    async def hang_up(self, call_sid: str) -> bool:
        return await self._update(call_sid, status="completed")

    async def transfer(self, call_sid: str, number: str) -> bool:
        response = VoiceResponse()
        response.dial(number)
        return await self._update(call_sid, twiml=str(response))

    async def _update(self, call_sid: str, **changes: str) -> bool:
        if self._client is None:
            return False
        try:
            await asyncio.to_thread(self._client.calls(call_sid).update, **changes)
        except TwilioRestException as exc:
            if exc.code == 20404:  # the call has already ended
                return True
            logger.warning("Twilio refused to update %s: %s", call_sid, exc.code)
            return False
        except OSError as exc:
            logger.warning("Twilio unreachable updating %s: %s", call_sid, type(exc).__name__)
            return False
        return True
