from __future__ import annotations

from django.contrib import admin
from django.contrib.staticfiles.urls import staticfiles_urlpatterns
from django.urls import path

from calls import health, live_views, views
from calls.carriers.registry import carriers
from dashboard import views as dashboard_views
from outbound import views as outbound_views
from recordings.views import recording_wav
from sms import views as sms_views

admin.site.site_header = "voiceagent back office"
admin.site.site_title = "voiceagent"
admin.site.index_title = "Agents, numbers, callers and calls"
admin.site.site_url = "/"  # "View site" opens the staff dashboard
# No app list down the side of every page: at a laptop's 1366 px it takes a third of the width the
# lists need; the index, the dashboard and the breadcrumbs lead everywhere.
admin.site.enable_nav_sidebar = False

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
    path("", dashboard_views.index, name="dashboard"),
    *carrier_urlpatterns,
    path("plivo/transfer/<str:token>/", views.plivo_transfer, {"carrier": "plivo"}, name="plivo-transfer"),
    path("calls/<str:call_sid>/recording.wav", recording_wav, name="call-recording"),
    path("twilio/sms/", sms_views.incoming, {"carrier": "twilio"}, name="twilio-sms"),
    path("twilio/sms/status/", sms_views.status, {"carrier": "twilio"}, name="twilio-sms-status"),
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
