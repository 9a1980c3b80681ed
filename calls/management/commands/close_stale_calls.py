"""`manage.py close_stale_calls [--all]`: close calls a stopped server left "in progress"."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from calls.services import calls_close_stale


class Command(BaseCommand):
    help = (
        "Close calls left open by a server process that stopped mid-call (their transcripts so far "
        "are kept). Without --all, only calls past their agent's maximum length (+2 min) are closed, "
        "which is safe with several daphne processes; also run every 5 minutes by Celery beat."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--all",
            action="store_true",
            help="close every open call now: only when restarting the one and only server process",
        )

    def handle(self, *args, **options) -> None:
        closed = calls_close_stale(everything=options["all"])
        self.stdout.write(f"Closed {closed} call(s).")
