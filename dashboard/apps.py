from __future__ import annotations

from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The staff dashboard at `/` and the back office's shared look (static CSS, favicon)."""

    name = "dashboard"
    verbose_name = "Dashboard"
