"""voiceagent/request_threads.py: Django's requests on threads kept between them, with their connections."""

from __future__ import annotations

import threading

import pytest
from asgiref.sync import sync_to_async
from channels.testing import HttpCommunicator
from django.core.signals import request_started
from django.db.backends.signals import connection_created

from voiceagent.request_threads import RequestThreads, ReusedThreadsASGIHandler

HOST = [(b"host", b"localhost")]


def thread_name(executor) -> str:
    return executor.submit(lambda: threading.current_thread().name).result()


def ended(executor) -> bool:
    try:
        executor.submit(int)
    except RuntimeError:  # "cannot schedule new futures after shutdown"
        return True
    return False


@pytest.fixture
def threads():
    kept = RequestThreads(2)
    kept.start()
    yield kept
    kept.close()


def test_the_kept_threads_start_at_once_and_the_last_used_is_taken_first(threads):
    assert threads.idle == 2
    first, second = threads.take(), threads.take()
    assert thread_name(first).startswith("request") and thread_name(first) != thread_name(second)
    threads.give_back(first, reusable=True)
    threads.give_back(second, reusable=True)
    assert threads.take() is second
    threads.give_back(second, reusable=True)


def test_a_request_that_finds_no_thread_free_gets_one_that_ends_after_it(threads):
    kept = [threads.take(), threads.take()]
    extra = threads.take()  # a third request at once
    assert extra not in kept and not ended(extra)
    for executor in (*kept, extra):
        threads.give_back(executor, reusable=True)
    assert threads.idle == 2 and ended(extra)
    assert {threads.take(), threads.take()} == set(kept)
    for executor in kept:
        threads.give_back(executor, reusable=True)


def test_a_thread_whose_request_did_not_finish_is_not_kept(threads):
    executor = threads.take()
    threads.give_back(executor, reusable=False)
    assert threads.idle == 1 and ended(executor)


@pytest.fixture
async def handler():
    """Django served on one kept thread; its connection closed after, so the test database can be dropped."""
    threads = RequestThreads(1)
    await sync_to_async(threads.start)()
    yield ReusedThreadsASGIHandler(threads)
    await sync_to_async(threads.close)()


@pytest.mark.django_db(transaction=True)
async def test_requests_run_on_a_kept_thread_and_reuse_its_database_connection(handler):
    """Django's own handler ran each on a new thread (three here), each with a new connection."""
    ran_on, opened_on = [], []

    def started(**kwargs):
        ran_on.append(threading.current_thread().name)

    def opened(**kwargs):
        opened_on.append(threading.current_thread().name)

    request_started.connect(started)
    connection_created.connect(opened)
    try:
        for _ in range(3):  # one after another; /healthz queries the database, from an async view
            communicator = HttpCommunicator(handler, "GET", "/healthz", headers=HOST)
            response = await communicator.get_response()
            assert response["status"] == 200, response["body"]
            await communicator.wait()  # the handler has given its thread back
    finally:
        request_started.disconnect(started)
        connection_created.disconnect(opened)
    assert len(set(ran_on)) == 1 and ran_on[0].startswith("request")
    assert opened_on == ran_on[:1]


@pytest.mark.django_db(transaction=True)
async def test_the_middleware_runs_around_the_view(handler):
    response = await HttpCommunicator(handler, "GET", "/admin/login/", headers=HOST).get_response()
    headers = {name.lower(): value for name, value in response["headers"]}
    assert response["status"] == 200
    assert headers[b"x-frame-options"] == b"DENY"  # XFrameOptionsMiddleware
    assert b"csrftoken=" in headers[b"set-cookie"]  # CsrfViewMiddleware, for the login form
    assert b'name="csrfmiddlewaretoken"' in response["body"]
