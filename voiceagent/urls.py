from __future__ import annotations

from django.contrib import admin
from django.contrib.staticfiles.urls import staticfiles_urlpatterns
from django.urls import path

from calls import health, live_views, views
from calls.carriers.registry import carriers
from outbound import views as outbound_views

admin.site.site_header = "voiceagent back office"
admin.site.site_title = "voiceagent"
admin.site.index_title = "Agents, numbers, callers and calls"

# Each carrier's webhooks, at the paths its console is given (calls/carriers/registry.py).
carrier_urlpatterns = [
    route
    for name, carrier in carriers().items()
    for route in (
        path(carrier.answer_path, views.answer, {"carrier": name}, name=f"{name}-answer"),
        path(carrier.status_path, views.status, {"carrier": name}, name=f"{name}-status"),
    )
]

urlpatterns = [
    *carrier_urlpatterns,
    path("plivo/transfer/<str:token>/", views.plivo_transfer, {"carrier": "plivo"}, name="plivo-transfer"),
    # Outbound calls (Twilio): an attempt's answer URL, and asynchronous answering-machine detection.
    path("twilio/outbound/<str:token>/", outbound_views.answer, {"carrier": "twilio"}, name="twilio-outbound-answer"),
    path("twilio/amd/", outbound_views.amd, {"carrier": "twilio"}, name="twilio-amd"),
    path("healthz", health.healthz, name="healthz"),
    # Before admin.site.urls, whose catch-all would otherwise answer these paths.
    path("admin/live/", live_views.live_page, name="live-calls"),
    path("admin/live/<str:call_sid>/hangup/", live_views.hang_up, name="live-hangup"),
    path("admin/", admin.site.urls),
]
# The admin's CSS and JS under daphne when DEBUG is on (empty otherwise: collectstatic + proxy).
urlpatterns += staticfiles_urlpatterns()
