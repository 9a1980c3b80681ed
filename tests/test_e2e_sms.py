"""End to end for text messages: a signed message to real daphne, a real Celery worker on a real
Redis broker, the text API stand-in, and the reply captured by the fake Twilio REST (Messages.json).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import requests

from calls.simulator.twilio_messages import MessageFailure
from calls.simulator.twilio_rest import FakeTwilioRest
from calls.simulator.webhook import sign
from tests.postcall_helpers import threaded_text_api

from .servers import celery_worker, daphne_server, free_port, manage, migrate, server_env

pytestmark = [pytest.mark.e2e, pytest.mark.redis]

AUTH_TOKEN = "e2e-sms-auth-token"
ACCOUNT = "AC" + "9" * 32
OPENAI_KEY = "e2e-sms-fake-openai-key"
DEMO_NUMBER, DEMO_CALLER = "+15005550006", "+15550100001"


class Stack:
    def __init__(self, url: str, workdir: Path, twilio: FakeTwilioRest, worker) -> None:
        self.url, self.workdir, self.twilio, self.worker = url, workdir, twilio, worker

    def post(self, path: str, form: dict[str, str]) -> requests.Response:
        signature = sign(AUTH_TOKEN, self.url + path, form)
        return requests.post(self.url + path, data=form, headers={"X-Twilio-Signature": signature}, timeout=15)

    def text(self, sid: str, body: str, from_: str = DEMO_CALLER) -> requests.Response:
        form = {"MessageSid": sid, "AccountSid": ACCOUNT, "From": from_, "To": DEMO_NUMBER, "Body": body}
        return self.post("/twilio/sms/", form)

    def rows(self, sql: str, *params) -> list[tuple]:
        with sqlite3.connect(self.workdir / "e2e.sqlite3") as db:
            return db.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def stack(tmp_path_factory, redis_url):
    workdir = tmp_path_factory.mktemp("e2e_sms")
    port = free_port()
    with threaded_text_api() as text_api, FakeTwilioRest(ACCOUNT, AUTH_TOKEN) as twilio:
        env = server_env(
            workdir,
            PUBLIC_URL=f"http://127.0.0.1:{port}",
            OPENAI_BASE_URL=text_api.url,
            OPENAI_API_KEY=OPENAI_KEY,
            TWILIO_AUTH_TOKEN=AUTH_TOKEN,
            TWILIO_ACCOUNT_SID=ACCOUNT,
            TWILIO_API_URL=twilio.url,
            # A database of our own on the shared redis-server: other e2e modules' daphnes queue tasks too.
            REDIS_URL=redis_url.rsplit("/", 1)[0] + "/2",
            SMS_RETRY_DELAY="0.2",
            SMS_MAX_RETRIES="1",
        )
        migrate(env)
        manage(env, "seed_demo")  # SMS replies on +15005550006 for allowlisted senders
        with daphne_server(env, port), celery_worker(env) as worker:
            stack = Stack(f"http://127.0.0.1:{port}", workdir, twilio, worker)
            stack.text_api = text_api
            yield stack


def test_a_signed_message_is_answered_by_the_worker_through_rest(stack):
    response = stack.text("SM" + "e" * 32, "Are you open on Saturday?")
    assert response.status_code == 200 and "<Response />" in response.text
    (sent,) = stack.twilio.wait_for_requests(1, timeout=30)
    assert (sent.to, sent.from_) == (DEMO_CALLER, DEMO_NUMBER)
    assert sent.body.startswith('Thanks for your message: "Are you open on Saturday?"')
    assert sent.status_callback == f"{stack.url}/twilio/sms/status/"
    assert stack.text_api.requests[-1].authorization == f"Bearer {OPENAI_KEY}"
    assert "Jordan Demo" in stack.text_api.requests[-1].body["instructions"]
    assert stack.worker.output.wait_for(f"sent text message {sent.sid}", 15)

    # Twilio retries the webhook: nothing more is sent. Then the delivery status arrives, signed.
    assert stack.text("SM" + "e" * 32, "Are you open on Saturday?").status_code == 200
    assert stack.post("/twilio/sms/status/", {"MessageSid": sent.sid, "MessageStatus": "delivered"}).status_code == 204
    assert stack.rows("SELECT status FROM sms_smsmessage WHERE message_sid = ?", sent.sid) == [("delivered",)]
    assert stack.rows("SELECT count(*) FROM sms_smsmessage WHERE direction = 'inbound'") == [(1,)]
    assert len(stack.twilio.messages) == 1
    assert OPENAI_KEY not in stack.worker.output.tail(1000)


def test_a_refused_send_is_failed_with_its_reason_and_a_stop_sends_nothing(stack):
    stack.twilio.fail_messages(MessageFailure(400, 21610, "Attempt to send to unsubscribed recipient"))
    before = len(stack.twilio.requests)
    assert stack.text("SM" + "f" * 32, "Hello?").status_code == 200
    stack.twilio.wait_for_requests(before + 1, timeout=30)
    assert stack.worker.output.wait_for("failed: Twilio 21610", 15)
    assert stack.rows(
        "SELECT r.status, r.error FROM sms_smsmessage r JOIN sms_smsmessage m ON r.reply_to_id = m.id"
        " WHERE m.message_sid = ?",
        "SM" + "f" * 32,
    ) == [("failed", "Twilio 21610: Unable to create record: Attempt to send to unsubscribed recipient")]

    assert stack.text("SM" + "a" * 32, "STOP").status_code == 200
    assert stack.rows("SELECT keyword FROM sms_smsoptout WHERE number = ?", DEMO_CALLER) == [("STOP",)]
    assert stack.rows("SELECT status FROM sms_smsmessage WHERE message_sid = ?", "SM" + "a" * 32) == [("not_answered",)]
    assert len(stack.twilio.requests) == before + 1
