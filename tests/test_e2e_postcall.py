"""End to end after the call: real daphne and a real Celery worker on a real Redis broker, the realtime
and text API stand-ins, the simulated carrier. A finished call gets its summary, extraction and email."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from calls.audio import CLIP_TEXT, load_clip
from calls.simulator import CallScript, SimulatedCall
from calls.standin import RealtimeStandin
from calls.standin.text_api import TextApiStandin

from .servers import celery_worker, daphne_server, free_port, manage, migrate, server_env

pytestmark = [pytest.mark.e2e, pytest.mark.redis]

AUTH_TOKEN = "e2e-auth-token"
OPENAI_KEY = "e2e-postcall-fake-openai-key"


class Stack:
    def __init__(self, url: str, workdir: Path, daphne, worker, **ports: int) -> None:
        self.url, self.workdir, self.daphne, self.worker = url, workdir, daphne, worker
        self.standin_port, self.text_port = ports["standin_port"], ports["text_port"]

    async def wait_for(self, process, needle: str, timeout: float = 30) -> None:
        found = await asyncio.to_thread(process.output.wait_for, needle, timeout)
        assert found, f"never logged {needle!r}:\n{process.output.tail()}"

    def rows(self, sql: str, *params) -> list[tuple]:
        with sqlite3.connect(self.workdir / "e2e.sqlite3") as db:
            return db.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def stack(tmp_path_factory, redis_url):
    workdir = tmp_path_factory.mktemp("e2e_postcall")
    port, standin_port, text_port = free_port(), free_port(), free_port()
    env = server_env(
        workdir,
        PUBLIC_URL=f"http://127.0.0.1:{port}",
        OPENAI_REALTIME_URL=f"ws://127.0.0.1:{standin_port}/v1/realtime",
        OPENAI_BASE_URL=f"http://127.0.0.1:{text_port}/v1",
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        OPENAI_API_KEY=OPENAI_KEY,
        # A database of our own on the shared redis-server: test_e2e's daphne queues tasks no worker took.
        REDIS_URL=redis_url.rsplit("/", 1)[0] + "/1",
        EMAIL_URL=f"filemail:///{workdir / 'mail'}",  # four slashes: an absolute path
        POSTCALL_RETRY_DELAY="0.2",
    )
    migrate(env)
    manage(env, "seed_demo")  # the demo agent emails staff@example.com and extracts three fields
    with daphne_server(env, port) as daphne, celery_worker(env) as worker:
        yield Stack(f"http://127.0.0.1:{port}", workdir, daphne, worker, standin_port=standin_port, text_port=text_port)


async def test_a_finished_call_gets_its_summary_and_email_from_the_worker(stack):
    async with RealtimeStandin(port=stack.standin_port), TextApiStandin(port=stack.text_port) as text_api:
        call = SimulatedCall(base_url=stack.url, auth_token=AUTH_TOKEN)
        script = CallScript(caller_audio=load_clip("caller_question"), barge_in_after_ms=1200, hangup_after_ms=5000)
        await call.run(script)
        await stack.wait_for(stack.daphne, f"call {call.call_sid} ended")
        await stack.wait_for(stack.worker, f"emailed call {call.call_sid}")

    ((call_id, status, summary, statuses, extracted, error),) = stack.rows(
        "SELECT id, status, summary, summary_status || extraction_status || notify_status, extracted, postcall_error"
        " FROM calls_call WHERE call_sid = ?",
        call.call_sid,
    )
    question = CLIP_TEXT["caller_question"]
    assert status == "completed" and statuses == "donedonedone" and error == ""
    assert question in summary and '"reason": "What are your opening hours"' in extracted
    assert '"callback_number": null' in extracted and '"follow_up_needed": false' in extracted  # none asked for
    assert [r.body["model"] for r in text_api.requests] == ["gpt-4o-mini", "gpt-4o-mini"]
    assert text_api.requests[0].authorization == f"Bearer {OPENAI_KEY}"
    assert OPENAI_KEY not in stack.worker.output.tail(1000) + stack.daphne.output.tail(1000)
    assert stack.rows("SELECT recipient, status FROM calls_emaildelivery WHERE call_id = ?", call_id) == [
        ("staff@example.com", "sent")
    ]
    (message,) = (stack.workdir / "mail").iterdir()
    text = message.read_text()
    assert "To: staff@example.com" in text and summary in text
    assert "[interrupted]" in text  # the caller talked over the greeting
    assert f"{stack.url}/admin/calls/call/{call_id}/change/" in text
