from __future__ import annotations

from django.apps import AppConfig


class RecordingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "recordings"
    verbose_name = "Call recordings"

    def ready(self) -> None:
        from calls import extensions

        from .display import recording_player
        from .tap import recording_observer

        extensions.OBSERVERS.append(recording_observer)
        extensions.PAGE_PARTS["recording"] = recording_player
