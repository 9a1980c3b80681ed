"""A fake model connection for consumer tests: records what the bridge sends, plays a script."""

from __future__ import annotations

import asyncio
import json
import smtplib
from typing import Any, ClassVar

from django.core.mail.backends import locmem


class FakeModel:
    """Behaves like a websockets connection to the realtime API."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.closed = asyncio.Event()
        self._incoming: asyncio.Queue[str | None] = asyncio.Queue()
        self._sent_event = asyncio.Condition()

    # --- the connection interface -------------------------------------------------------
    async def send(self, message: str) -> None:
        async with self._sent_event:
            self.sent.append(json.loads(message))
            self._sent_event.notify_all()

    async def close(self) -> None:
        self.closed.set()
        self._incoming.put_nowait(None)

    def __aiter__(self):
        return self

    async def __anext__(self) -> str:
        message = await self._incoming.get()
        if message is None:
            raise StopAsyncIteration
        return message

    # --- test controls --------------------------------------------------------------------
    def emit(self, **event: Any) -> None:
        self._incoming.put_nowait(json.dumps(event))

    def hang_up(self) -> None:
        """The server closes the connection."""
        self._incoming.put_nowait(None)

    async def wait_for(self, event_type: str, count: int = 1, timeout: float = 5) -> list[dict[str, Any]]:
        """The first `count` messages of `event_type` the bridge sent, once they are there."""

        def matching() -> list[dict[str, Any]]:
            return [m for m in self.sent if m.get("type") == event_type]

        async with self._sent_event:
            await asyncio.wait_for(self._sent_event.wait_for(lambda: len(matching()) >= count), timeout)
        return matching()[:count]


class FakeConnector:
    """Hands out one FakeModel (or raises `error`) per call, and remembers the model asked for."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.models: list[FakeModel] = []
        self.requested: list[str] = []
        self.connected = asyncio.Event()

    async def __call__(self, *, model: str, timeout: float) -> FakeModel:
        self.requested.append(model)
        if self.error is not None:
            self.connected.set()
            raise self.error
        fake = FakeModel()
        self.models.append(fake)
        self.connected.set()
        return fake


class RefusingEmailBackend(locmem.EmailBackend):
    """Django's locmem email, except that it refuses the addresses in `refused`, as an SMTP server
    refusing a recipient would (tests of bounded retries set EMAIL_BACKEND to this)."""

    refused: ClassVar[set[str]] = set()
    attempts: ClassVar[list[str]] = []

    def send_messages(self, email_messages):
        for message in email_messages:
            self.attempts.extend(message.to)
            refused = set(message.recipients()) & self.refused
            if refused:
                raise smtplib.SMTPRecipientsRefused({address: (550, b"no such user") for address in refused})
        return super().send_messages(email_messages)
