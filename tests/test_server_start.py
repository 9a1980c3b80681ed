"""What the server does once at start so that live calls never pay for it (bench/run.py found each)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import gc, json, sys
import voiceagent.asgi
from autobahn.twisted import websocket as adapter
from autobahn.websocket import protocol
from calls.postcall import llm
from agents import hold
from voiceagent.celery import app

method = protocol.WebSocketProtocol.sendData
print(json.dumps({
    "responses_loaded": "openai.resources.responses.responses" in sys.modules,
    "httpx_transport_loaded": "h11" in sys.modules,  # imported by the first client built
    "clients_built": llm._client.cache_info().currsize,
    "celery_finalized": app.finalized,
    "tasks_registered": "calls.postcall.summarize" in app.tasks,
    "frozen_objects": gc.get_freeze_count(),
    "autobahn_formats": [m.hltype(method) is not method or m.hlval(7) != 7 for m in (protocol, adapter)],
    "wait_tone_built": hold.default_hold_chunks.cache_info().currsize,
}))
"""


def test_loading_the_asgi_application_preloads_what_calls_need_and_freezes_the_heap(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "OPENAI_", "REDIS_"))}
    env |= {"DEBUG": "on", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    probe = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    state = json.loads(probe.stdout.strip().splitlines()[-1])
    assert state["responses_loaded"] and state["httpx_transport_loaded"]
    assert state["clients_built"] == 1  # the one every post-call thread shares
    assert state["celery_finalized"] and state["tasks_registered"]
    assert state["frozen_objects"] > 50_000  # Django, Channels, openai: out of every full collection
    assert state["autobahn_formats"] == [False, False]
    assert state["wait_tone_built"] == 1


def test_post_call_threads_share_one_client_per_configuration(settings):
    from calls.postcall.llm import configured_client

    settings.OPENAI_BASE_URL = "http://127.0.0.1:9/v1"
    first = configured_client()
    assert configured_client() is first
    settings.OPENAI_BASE_URL = "http://127.0.0.1:10/v1"
    assert configured_client() is not first
    assert str(configured_client().base_url) == "http://127.0.0.1:10/v1/"


def test_a_preload_that_fails_is_logged_and_the_server_still_starts(monkeypatch, caplog):
    from calls import warm

    def broken_proxy_setting() -> None:
        raise ImportError("socksio is needed for socks5:// proxies")

    monkeypatch.setattr(warm, "preload_client", broken_proxy_setting)
    warm.warm_up()  # does not raise
    assert "call machinery not preloaded (ImportError)" in caplog.text
