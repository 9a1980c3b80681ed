from __future__ import annotations

from django.contrib import admin
from django.urls import path

from calls import health, views

urlpatterns = [
    path("twilio/voice/", views.voice, name="twilio-voice"),
    path("twilio/status/", views.status, name="twilio-status"),
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
