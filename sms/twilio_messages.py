"""Sending a text message through Twilio's REST API (`Messages.json`), its base URL `TWILIO_API_URL`."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client


@dataclass(frozen=True)
class SendResult:
    """What Twilio said: the message's sid and status, or why it refused (no credentials in it)."""

    ok: bool
    sid: str = ""
    status: str = ""
    detail: str = ""


def message_send(*, to: str, from_: str, body: str, status_callback: str = "") -> SendResult:
    """One `messages.create`; never retried here, since a lost answer could mean a sent message.
    The caller records and logs a failure (sms/replies.py)."""
    if not (settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN):
        return SendResult(False, detail="no Twilio account is configured (TWILIO_ACCOUNT_SID)")
    client = Client(
        settings.TWILIO_ACCOUNT_SID,
        settings.TWILIO_AUTH_TOKEN,
        http_client=TwilioHttpClient(timeout=settings.TWILIO_API_TIMEOUT),
    )
    client.api.base_url = settings.TWILIO_API_URL  # the Messages resource lives on the `api` domain
    options = {"status_callback": status_callback} if status_callback else {}
    try:
        message = client.messages.create(to=to, from_=from_, body=body, **options)
    except TwilioRestException as exc:
        return SendResult(False, detail=f"Twilio {exc.code or exc.status}: {exc.msg}"[:200])
    except OSError as exc:  # requests' errors, timeouts included
        return SendResult(False, detail=f"Twilio unreachable ({type(exc).__name__})")
    return SendResult(True, sid=message.sid or "", status=message.status or "queued")
