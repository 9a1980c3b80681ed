"""`manage.py dispatch_outbound_calls`: dial the scheduled calls and retries that have come due.

What Celery beat's `outbound.dispatch_due` does every minute; for a deployment without a broker
(no REDIS_URL, so no beat), run this from cron every minute instead.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from outbound.services import outbound_dispatch_due


class Command(BaseCommand):
    help = "Dial scheduled outbound calls and retries whose time has come (what Celery beat runs every minute)."

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"Dialled {outbound_dispatch_due()} call(s).")
