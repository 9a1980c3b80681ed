from __future__ import annotations

import pytest

from agents.models import AccessPolicy, Agent, Caller, CallerGroup, PhoneNumber


def pytest_report_header(config) -> str:
    """Which engine this run tests: `make test` runs SQLite, then PostgreSQL (tests/postgres_run.py)."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    where = f" at {database['HOST']}:{database['PORT']}" if database.get("HOST") else ""
    return f"database: {database['ENGINE'].rsplit('.', 1)[-1]}{where}"


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


# --- The media consumer with a fake model behind it (tests/consumer_helpers.py) ------------


@pytest.fixture
def connector(monkeypatch):
    from calls.consumers import MediaStreamConsumer

    from .fakes import FakeConnector

    fake = FakeConnector()
    monkeypatch.setattr(MediaStreamConsumer, "model_connector_factory", staticmethod(lambda: fake))
    return fake


@pytest.fixture
def incoming_call(demo_number, demo_caller):
    from calls import services

    return services.call_receive(call_sid="CA" + "1" * 32, from_number="+15550100001", to_number="+15005550006")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> str:
    """A real redis-server on a free loopback port, for this test session."""
    from .servers import redis_server

    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


# --- Staff, by role (the groups come from calls/migrations/0005_staff_groups.py) ---------


def _staff(django_user_model, username: str, group: str | None = None, **extra):
    from importlib import import_module

    from django.apps import apps
    from django.contrib.auth.models import Group

    # Transactional tests flush every table, the migration's groups included: put them back.
    import_module("calls.migrations.0005_staff_groups").create_groups(apps, None)
    import_module("tools.migrations.0002_staff_group_permissions").grant(apps, None)
    import_module("recordings.migrations.0002_staff_group_permissions").grant(apps, None)
    import_module("costs.migrations.0003_staff_group_permissions").grant(apps, None)
    import_module("sms.migrations.0002_staff_group_permissions").grant(apps, None)
    user = django_user_model.objects.create_user(username, password="pw-for-tests", is_staff=True, **extra)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def operator(db, django_user_model):
    return _staff(django_user_model, "olivia", "operators")


@pytest.fixture
def manager(db, django_user_model):
    return _staff(django_user_model, "max", "managers")


@pytest.fixture
def superuser(db, django_user_model):
    return _staff(django_user_model, "root", is_superuser=True)


@pytest.fixture
def operator_client(client, operator):
    client.force_login(operator)
    return client


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture(autouse=True)
def _no_postcall_work_unless_asked(settings):
    """Calls finished in tests schedule no summaries or emails (which would run in background threads
    after the test); tests of post-call work turn it on (tests/test_postcall*.py)."""
    settings.POSTCALL_ENABLED = False


@pytest.fixture(scope="session")
def django_db_modify_db_settings(tmp_path_factory):
    """A file for the SQLite test database, not pytest-django's shared-cache memory database.

    Calls write from several threads (the per-call writer runs on the thread pool). A
    shared-cache memory database answers a concurrent writer "table is locked" at once,
    where a file database in WAL mode, as in production, waits its busy timeout.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database; on PostgreSQL, other threads' connections are ended before it is dropped.

    Calls write from Channels' thread pool, whose threads keep their connections (CONN_MAX_AGE,
    as in production); PostgreSQL refuses to drop a database that a connection still uses.
    """
    yield
    with django_db_blocker.unblock():
        from django.db import connection

        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
