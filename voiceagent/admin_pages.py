"""How an app shows its part on another app's admin page without importing that app's admin.

The page's own app registers its ModelAdmin; an app above it adds an inline from its own
admin module (`add_inline`), placed by `page_order` (lower first; the page's own inlines say
theirs), so the agent page is assembled from the apps that own each part.
"""

from __future__ import annotations

from django.contrib import admin
from django.db import models

DEFAULT_ORDER = 50


def add_inline(model: type[models.Model], inline: type, *, site: admin.AdminSite = admin.site) -> None:
    """Add `inline` to `model`'s registered admin (once), in `page_order`."""
    model_admin = site.get_model_admin(model)  # registered by the model's own app, earlier in INSTALLED_APPS
    if inline in model_admin.inlines:
        return
    inlines = [*model_admin.inlines, inline]
    model_admin.inlines = sorted(inlines, key=lambda each: getattr(each, "page_order", DEFAULT_ORDER))
