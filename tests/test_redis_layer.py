"""The channels-redis layer and the health check against a real redis-server."""

from __future__ import annotations

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
