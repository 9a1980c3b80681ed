"""The channel layer: channels-redis, made to outlive a Redis outage.

Every Channels consumer also listens on the layer. With plain channels-redis, a Redis
that goes away makes that listen raise, and the consumer, and so the phone call it holds,
dies with it. Calls need Redis only for the live view and staff hang-ups, so here a failed
listen is logged and retried with backoff instead.
"""

from __future__ import annotations

import asyncio
import logging

from channels_redis.core import RedisChannelLayer
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

RETRY_FIRST_S = 0.1
RETRY_MAX_S = 5.0


class ResilientRedisChannelLayer(RedisChannelLayer):
    async def receive(self, channel: str) -> dict:
        delay = RETRY_FIRST_S
        while True:
            try:
                return await super().receive(channel)
            except (RedisError, OSError) as exc:
                logger.warning("channel layer unavailable (%s); listening again in %.1f s", type(exc).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)
