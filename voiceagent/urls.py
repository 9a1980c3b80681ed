from __future__ import annotations

from django.contrib import admin
from django.contrib.staticfiles.urls import staticfiles_urlpatterns
from django.urls import path

from calls import health, live_views, views

admin.site.site_header = "voiceagent back office"
admin.site.site_title = "voiceagent"
admin.site.index_title = "Agents, numbers, callers and calls"

urlpatterns = [
    path("twilio/voice/", views.voice, name="twilio-voice"),
    path("twilio/status/", views.status, name="twilio-status"),
    path("healthz", health.healthz, name="healthz"),
    # Before admin.site.urls, whose catch-all would otherwise answer these paths.
    path("admin/live/", live_views.live_page, name="live-calls"),
    path("admin/live/<str:call_sid>/hangup/", live_views.hang_up, name="live-hangup"),
    path("admin/", admin.site.urls),
]
# The admin's CSS and JS under daphne when DEBUG is on (empty otherwise: collectstatic + proxy).
urlpatterns += staticfiles_urlpatterns()
