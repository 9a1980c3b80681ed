"""uvicorn, the optional server for the media path (README, *Production*): the end-to-end tests
that matter most for audio and trust, run again through a real uvicorn (uvloop, httptools, websockets'
sans-I/O protocol) with channels-redis on a real redis-server, and the writes of live calls in
two database worker processes (`CALL_DB_PROCESSES=2`), the combination the benchmark measured
shortest in bursts (README, *Benchmark*).

The tests are test_e2e.py's own, imported so pytest collects them here too, with this module's
`server` fixture: the same assertions, on the other server.
"""

from __future__ import annotations

import pytest

from .servers import call_server
from .test_e2e import AUTH_TOKEN, Server
from .test_e2e import test_barge_in_over_the_greeting_truncates_to_what_the_caller_heard as test_barge_in  # noqa: F401
from .test_e2e import test_refused_streams_never_open_a_model_session as test_refused_streams  # noqa: F401
from .test_e2e import (  # noqa: F401
    test_the_model_ends_the_call_with_a_tool_and_the_goodbye_is_heard_first as test_goodbye_then_hang_up,
)

pytestmark = [pytest.mark.e2e, pytest.mark.redis]


@pytest.fixture(scope="module")
def server(tmp_path_factory, redis_url):
    workdir = tmp_path_factory.mktemp("e2e-uvicorn")
    env = {"TWILIO_AUTH_TOKEN": AUTH_TOKEN, "REDIS_URL": redis_url, "CALL_DB_PROCESSES": "2"}
    with call_server(workdir, Server, server="uvicorn", **env) as served:
        yield served


def test_uvicorn_serves_with_its_database_workers_started(server):
    output = server.process.output
    assert output.wait_for("Uvicorn running on", 5), output.tail(80)
    assert output.wait_for("the writes of live calls run in 2 database worker processes", 5), output.tail(80)
