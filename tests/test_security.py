"""Admin login throttling and production hardening."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .servers import ROOT

pytestmark = pytest.mark.django_db


def login(client, password: str):
    return client.post("/admin/login/?next=/admin/", {"username": "boss", "password": password})


def test_admin_logins_are_throttled_after_repeated_failures(client, django_user_model, settings):
    settings.AXES_FAILURE_LIMIT = 3
    django_user_model.objects.create_superuser("boss", "boss@example.com", "the-right-password-9")
    assert [login(client, "wrong").status_code for _ in range(3)] == [200, 200, 429]  # locked at the limit
    locked = login(client, "the-right-password-9")
    assert locked.status_code == 429  # even the right password is refused while locked out
    assert "_auth_user_id" not in client.session


def test_a_good_login_still_works_and_resets_the_count(client, django_user_model, settings):
    settings.AXES_FAILURE_LIMIT = 3
    django_user_model.objects.create_superuser("boss", "boss@example.com", "the-right-password-9")
    login(client, "wrong")
    assert login(client, "the-right-password-9").status_code == 302
    assert "_auth_user_id" in client.session


def production_settings(**extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECRET_KEY", "DEBUG"))}
    env |= {"DEBUG": "off", **extra}
    code = (
        "import django, json; django.setup(); from django.conf import settings as s;"
        "print(json.dumps([s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.DEBUG]))"
    )
    env["DJANGO_SETTINGS_MODULE"] = "voiceagent.settings"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)


def test_debug_off_refuses_to_start_without_a_secret_key():
    result = production_settings()
    assert result.returncode != 0 and "Set SECRET_KEY" in result.stderr


def test_debug_off_turns_on_secure_cookies_and_hsts():
    result = production_settings(SECRET_KEY="a-real-production-secret-key-of-some-length")
    assert result.stdout.strip() == "[true, true, 31536000, false]", result.stderr
