"""The staff live page's websocket (`/ws/live/`): what the bridge publishes, forwarded as JSON."""

from __future__ import annotations

import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .live import LIVE_GROUP
from .selectors import live_call_summary

logger = logging.getLogger(__name__)


def can_watch_live(user: Any) -> bool:
    """Staff with the view-call permission; the same rule as the live page itself."""
    if user is None or not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return user.has_perm("calls.view_call")


class StaffLiveConsumer(AsyncJsonWebsocketConsumer):
    """Joins "calls.live" only once the user is known to be allowed; the page only listens."""

    joined = False

    async def connect(self) -> None:
        if not await database_sync_to_async(can_watch_live)(self.scope.get("user")):
            await self.close()  # before accept: the handshake is refused (403)
            return
        await self.channel_layer.group_add(LIVE_GROUP, self.channel_name)
        self.joined = True
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.joined:
            await self.channel_layer.group_discard(LIVE_GROUP, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Nothing to receive: commands (hang up) go through an authenticated, CSRF-checked POST."""

    async def live_call(self, event: dict[str, Any]) -> None:
        call = None
        if event.get("state") == "started":
            # The bridge only knows the CallSid; the page wants who is calling whom.
            call = await database_sync_to_async(live_call_summary)(call_sid=event["call_sid"])
        await self.send_json({**event, "call": call})

    async def live_transcript(self, event: dict[str, Any]) -> None:
        await self.send_json(event)
