from __future__ import annotations

import pytest

from agents.models import AccessPolicy, Agent, Caller, CallerGroup, PhoneNumber


@pytest.fixture
def demo_agent(db) -> Agent:
    return Agent.objects.create(
        name="Receptionist",
        instructions="You answer the phone for Acme.",
        greeting="Hello from Acme!",
    )


@pytest.fixture
def demo_number(demo_agent) -> PhoneNumber:
    return PhoneNumber.objects.create(number="+15005550006", agent=demo_agent, access_policy=AccessPolicy.ALLOWLIST)


@pytest.fixture
def demo_caller(db) -> Caller:
    group = CallerGroup.objects.create(name="primary")
    return Caller.objects.create(number="+15550100001", name="Jordan", group=group, notes="Prefers mornings.")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> str:
    """A real redis-server on a free loopback port, for this test session."""
    from .servers import redis_server

    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url
