from __future__ import annotations

from django.apps import AppConfig


class ToolsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tools"
    verbose_name = "Tools"

    def ready(self) -> None:
        from agents import extensions

        from . import builtin  # noqa: F401  (registers the built-in tools)
        from .services import agent_session_preview

        extensions.session_preview = agent_session_preview
