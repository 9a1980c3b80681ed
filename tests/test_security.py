"""Admin login throttling (production hardening: tests/test_settings.py)."""

from __future__ import annotations

import pytest

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
