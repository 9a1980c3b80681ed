from __future__ import annotations

from django.apps import AppConfig


class CallsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "calls"

    def ready(self) -> None:
        from . import call_tools  # noqa: F401  (registers send_email and take_message with the tools)
