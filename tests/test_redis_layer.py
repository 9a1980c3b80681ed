"""The channels-redis layer and the health check against a real redis-server."""

from __future__ import annotations

import asyncio

import pytest
from channels_redis.core import RedisChannelLayer

pytestmark = pytest.mark.redis


async def test_two_processes_worth_of_layers_share_groups_through_redis(redis_url):
    # Two layer instances stand for two daphne processes: a group message crosses between them.
    hosts = [{"address": redis_url, "socket_timeout": 15}]  # as settings.py configures it
    sender, receiver = RedisChannelLayer(hosts=hosts), RedisChannelLayer(hosts=hosts)
    channel = await receiver.new_channel()
    await receiver.group_add("call.CA1", channel)
    await sender.group_send("call.CA1", {"type": "transcript.line", "text": "hello"})
    assert await receiver.receive(channel) == {"type": "transcript.line", "text": "hello"}
    await sender.flush()
    await sender.close_pools()
    await receiver.close_pools()


@pytest.mark.django_db(transaction=True)
def test_healthz_is_green_with_redis_as_channel_layer_and_broker(client, settings, redis_url):
    settings.REDIS_URL = redis_url
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": redis_url, "socket_timeout": 15}]},
        }
    }
    from channels.layers import channel_layers

    channel_layers.backends.clear()  # forget the in-memory layer built for other tests
    try:
        response = client.get("/healthz")
    finally:
        channel_layers.backends.clear()
    assert response.status_code == 200, response.json()
    assert response.json()["checks"] == {"database": "ok", "channel_layer": "ok", "broker": "ok"}


async def test_fifty_calls_publishing_at_once_take_turns_on_a_few_connections(settings, redis_url):
    """channels-redis opens a connection per send in flight beyond its idle ones, ~2 ms of the
    loop's CPU each: fifty calls ending together opened fifty (calls/live.py, `layer_turn`)."""
    import redis
    from channels.layers import channel_layers

    from calls.live import LAYER_TURNS, LIVE_GROUP, LivePublisher, call_state_message

    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "voiceagent.layers.ResilientRedisChannelLayer",
            "CONFIG": {"hosts": [{"address": redis_url, "socket_timeout": 15}]},
        }
    }
    channel_layers.backends.clear()  # build the layer from the settings above
    server = redis.Redis.from_url(redis_url)
    try:
        layer = channel_layers["default"]
        staff_page = await layer.new_channel()
        await layer.group_add(LIVE_GROUP, staff_page)
        before = server.info("stats")["total_connections_received"]
        publishers = [LivePublisher() for _ in range(50)]
        for n, publisher in enumerate(publishers):
            publisher.publish(call_state_message(f"CA{n:032d}", "ended", "caller_hung_up"))
        await asyncio.gather(*(publisher.flush() for publisher in publishers))
        opened = server.info("stats")["total_connections_received"] - before  # INFO's own connection is reused
        received = {(await layer.receive(staff_page))["call_sid"] for _ in range(50)}
        await layer.group_discard(LIVE_GROUP, staff_page)
        await layer.close_pools()
    finally:
        channel_layers.backends.clear()
        server.close()
    assert len(received) == 50
    assert opened <= LAYER_TURNS, opened
