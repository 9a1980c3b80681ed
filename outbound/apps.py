from __future__ import annotations

from django.apps import AppConfig


class OutboundConfig(AppConfig):
    name = "outbound"
    verbose_name = "Outbound calls"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from calls.signals import call_settled

        from .services import attempt_settle_on_signal

        # calls never imports outbound: it says when a call settled, outbound follows its attempts.
        call_settled.connect(attempt_settle_on_signal, dispatch_uid="outbound.attempt_settle")
