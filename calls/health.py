"""GET /healthz: is each dependency of a call reachable? 200 when all are, else 503."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable

import redis
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse

logger = logging.getLogger(__name__)
TIMEOUT = 2.0


@sync_to_async
def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


async def _channel_layer() -> None:
    layer = get_channel_layer()
    channel = await layer.new_channel("healthz.")
    token = uuid.uuid4().hex
    await layer.send(channel, {"type": "healthz", "token": token})
    message = await layer.receive(channel)
    if message.get("token") != token:
        raise RuntimeError("channel layer returned another message")


@sync_to_async(thread_sensitive=False)
def _broker() -> None:
    if not settings.REDIS_URL:
        return  # tasks run in-process: nothing to reach
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT)
    try:
        client.ping()
    finally:
        client.close()


CHECKS: dict[str, Callable[[], Awaitable[None]]] = {
    "database": _database,
    "channel_layer": _channel_layer,
    "broker": _broker,
}


async def _run(name: str, check: Callable[[], Awaitable[None]]) -> str:
    try:
        await asyncio.wait_for(check(), TIMEOUT)
    except Exception as exc:  # any failure means unhealthy
        logger.warning("health check %s failed: %s", name, type(exc).__name__)
        return f"error: {type(exc).__name__}"
    return "ok"


async def healthz(request: HttpRequest) -> JsonResponse:
    results = dict(zip(CHECKS, await asyncio.gather(*(_run(n, c) for n, c in CHECKS.items())), strict=True))
    healthy = all(value == "ok" for value in results.values())
    return JsonResponse({"status": "ok" if healthy else "error", "checks": results}, status=200 if healthy else 503)
