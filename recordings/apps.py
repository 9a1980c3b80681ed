from __future__ import annotations

from django.apps import AppConfig


class RecordingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "recordings"
    verbose_name = "Call recordings"
