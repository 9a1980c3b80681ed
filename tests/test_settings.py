"""Safe defaults: the settings module run in a subprocess with an environment the test controls.

Every run points DEV_SECRETS_FILE and ENV_FILE into the test's temporary directory, so nothing
here reads or writes the developer's own `.demo/` or `.env`.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from twilio.request_validator import RequestValidator

from calls.models import Call
from voiceagent.dev_secrets import development_secrets, publish

from .servers import ROOT

REPORT = (
    "import django, json; django.setup(); from django.conf import settings as s;"
    "print(json.dumps({name: getattr(s, name, None) for name in ("
    "'DEBUG', 'SECRET_KEY', 'TWILIO_AUTH_TOKEN', 'ALLOWED_HOSTS', 'SESSION_COOKIE_SECURE',"
    "'CSRF_COOKIE_SECURE', 'SECURE_HSTS_SECONDS', 'PHONE_DEFAULT_REGION')}))"
)
SECRET = "a-production-secret-key-that-must-never-be-printed"
TOKEN = "a-twilio-auth-token-that-must-never-be-printed"


def run_settings(secrets_file: Path, **variables: str) -> subprocess.CompletedProcess:
    """`django.setup()` with only these variables (and PATH) in the environment."""
    env = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "voiceagent.settings"}
    env |= {"DEV_SECRETS_FILE": str(secrets_file), "ENV_FILE": str(secrets_file.parent / "no.env"), **variables}
    return subprocess.run([sys.executable, "-c", REPORT], cwd=ROOT, env=env, capture_output=True, text=True)


def started(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- a deployment (DEBUG off) refuses to start without its secrets ---------------------------


def test_debug_off_without_a_secret_key_refuses_to_start_and_names_the_variable(tmp_path):
    result = run_settings(tmp_path / "secrets.env", DEBUG="off", TWILIO_AUTH_TOKEN=TOKEN)
    assert result.returncode != 0
    assert "ImproperlyConfigured: Set SECRET_KEY" in result.stderr
    assert TOKEN not in result.stderr + result.stdout
    assert not (tmp_path / "secrets.env").exists()  # a deployment never gets a made-up key


def test_debug_off_without_a_carrier_token_refuses_to_start_and_names_the_variable(tmp_path):
    result = run_settings(tmp_path / "secrets.env", DEBUG="off", SECRET_KEY=SECRET)
    assert result.returncode != 0
    assert (
        "ImproperlyConfigured: Set the auth token of at least one carrier (TWILIO_AUTH_TOKEN or PLIVO_AUTH_TOKEN)"
        in result.stderr
    )
    assert SECRET not in result.stderr + result.stdout
    assert not (tmp_path / "secrets.env").exists()


def test_debug_off_with_both_starts_with_secure_cookies_and_hsts(tmp_path):
    values = started(run_settings(tmp_path / "secrets.env", DEBUG="off", SECRET_KEY=SECRET, TWILIO_AUTH_TOKEN=TOKEN))
    assert (values["SECRET_KEY"], values["TWILIO_AUTH_TOKEN"], values["DEBUG"]) == (SECRET, TOKEN, False)
    assert (values["SESSION_COOKIE_SECURE"], values["CSRF_COOKIE_SECURE"], values["SECURE_HSTS_SECONDS"]) == (
        True,
        True,
        31536000,
    )
    assert not (tmp_path / "secrets.env").exists()


# --- development mode (nothing configured) makes secrets for this checkout -------------------


def test_nothing_configured_makes_private_secrets_once_and_serves_loopback_only(tmp_path):
    secrets_file = tmp_path / ".demo" / "secrets.env"
    first = started(run_settings(secrets_file))
    assert first["DEBUG"] is True
    assert first["ALLOWED_HOSTS"] == ["localhost", "127.0.0.1", "[::1]"]
    assert len(first["SECRET_KEY"]) >= 50 and len(first["TWILIO_AUTH_TOKEN"]) >= 50
    assert first["SECRET_KEY"] != first["TWILIO_AUTH_TOKEN"]
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    kept = secrets_file.read_text()
    assert f"SECRET_KEY={first['SECRET_KEY']}\n" in kept and f"TWILIO_AUTH_TOKEN={first['TWILIO_AUTH_TOKEN']}\n" in kept

    again = started(run_settings(secrets_file))
    assert (again["SECRET_KEY"], again["TWILIO_AUTH_TOKEN"]) == (first["SECRET_KEY"], first["TWILIO_AUTH_TOKEN"])
    assert secrets_file.read_text() == kept

    other_checkout = started(run_settings(tmp_path / "other" / "secrets.env"))
    assert other_checkout["SECRET_KEY"] != first["SECRET_KEY"]
    assert other_checkout["TWILIO_AUTH_TOKEN"] != first["TWILIO_AUTH_TOKEN"]


def test_processes_starting_together_agree_on_the_secrets(tmp_path):
    """The demo starts its server and its simulator close together: both must sign alike."""
    secrets_file = tmp_path / "secrets.env"
    env = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "voiceagent.settings"}
    env |= {"DEV_SECRETS_FILE": str(secrets_file), "ENV_FILE": str(tmp_path / "no.env")}
    command = [sys.executable, "-c", REPORT]
    processes = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) for _ in range(3)]
    reports = [json.loads(process.communicate(timeout=60)[0].strip().splitlines()[-1]) for process in processes]
    assert len({(r["SECRET_KEY"], r["TWILIO_AUTH_TOKEN"]) for r in reports}) == 1
    assert f"SECRET_KEY={reports[0]['SECRET_KEY']}\n" in secrets_file.read_text()


def test_a_secrets_file_once_made_is_never_replaced_by_another_process(tmp_path):
    secrets_file = tmp_path / "secrets.env"
    assert publish(secrets_file, {"SECRET_KEY": "made-first"}, replace=False)
    assert not publish(secrets_file, {"SECRET_KEY": "made-second"}, replace=False)  # lost the race
    assert development_secrets(secrets_file, ("SECRET_KEY",)) == {"SECRET_KEY": "made-first"}
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert [path.name for path in tmp_path.iterdir()] == ["secrets.env"]  # no temporary file left


def test_a_configured_value_wins_and_a_missing_one_is_added_to_the_file(tmp_path):
    secrets_file = tmp_path / "secrets.env"
    secrets_file.write_text("SECRET_KEY=kept-from-an-older-checkout-file\n")
    values = started(run_settings(secrets_file, TWILIO_AUTH_TOKEN=TOKEN, DEBUG="on"))
    assert (values["SECRET_KEY"], values["TWILIO_AUTH_TOKEN"]) == ("kept-from-an-older-checkout-file", TOKEN)
    kept = secrets_file.read_text()
    assert "SECRET_KEY=kept-from-an-older-checkout-file\n" in kept and "TWILIO_AUTH_TOKEN=" in kept
    assert TOKEN not in kept  # a configured secret is never copied into the file


def test_public_url_host_is_served_besides_loopback(tmp_path):
    values = started(run_settings(tmp_path / "secrets.env", PUBLIC_URL="https://abc123.ngrok.app"))
    assert values["ALLOWED_HOSTS"] == ["localhost", "127.0.0.1", "[::1]", "abc123.ngrok.app"]


def test_the_phone_region_defaults_to_us_takes_any_case_and_refuses_an_unknown_code(tmp_path):
    assert started(run_settings(tmp_path / "secrets.env"))["PHONE_DEFAULT_REGION"] == "US"
    assert started(run_settings(tmp_path / "secrets.env", PHONE_DEFAULT_REGION="gb"))["PHONE_DEFAULT_REGION"] == "GB"
    result = run_settings(tmp_path / "secrets.env", PHONE_DEFAULT_REGION="XX")
    assert result.returncode != 0 and "PHONE_DEFAULT_REGION='XX' is not a region code" in result.stderr


@pytest.mark.parametrize(
    "variable, value", [("REQUEST_THREADS", "-1"), ("CALL_DB_PROCESSES", "-1"), ("BACKGROUND_NICENESS", "-5")]
)
def test_a_negative_worker_count_or_a_priority_above_the_servers_refuses_to_start(tmp_path, variable, value):
    result = run_settings(tmp_path / "secrets.env", **{variable: value})
    assert result.returncode != 0 and "BACKGROUND_NICENESS from 0 to 19" in result.stderr


# --- a carrier without a token answers its webhooks 503, signed or not -----------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/twilio/voice/", "/twilio/status/"])
def test_twilio_webhooks_answer_503_while_no_auth_token_is_set(client, settings, demo_number, demo_caller, path):
    settings.TWILIO_AUTH_TOKEN = ""
    data = {"CallSid": "CA" + "b" * 32, "From": demo_caller.number, "To": demo_number.number, "CallStatus": "ringing"}
    # Signed with the empty key: anything "verified" against no token would pass this.
    signature = RequestValidator("").compute_signature(f"http://testserver{path}", data)
    response = client.post(path, data, HTTP_X_TWILIO_SIGNATURE=signature)
    assert response.status_code == 503
    assert b"TWILIO_AUTH_TOKEN" in response.content
    assert not Call.objects.exists()
