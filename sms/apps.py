from __future__ import annotations

from django.apps import AppConfig


class SmsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sms"
    verbose_name = "Text messages"

    def ready(self) -> None:
        from calls import extensions

        from . import tool  # noqa: F401  (registers the voice agent's send_sms tool)
        from .demo import seed_demo_sms

        extensions.DEMO_SEEDERS.append(seed_demo_sms)
