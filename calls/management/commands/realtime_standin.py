"""``python manage.py realtime_standin``: run the local OpenAI Realtime stand-in.

Set ``OPENAI_REALTIME_URL`` to the printed URL to run calls, demos and end-to-end
tests without an OpenAI key or network. Beside it, on ``--text-port``, the text API
stand-in answers ``POST /v1/responses`` (summaries): set ``OPENAI_BASE_URL`` to its URL. Every event received and
sent is logged at INFO, one short line each.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from typing import TYPE_CHECKING, Any

from django.core.management.base import BaseCommand, CommandError

from calls.standin.server import RealtimeStandin, StandinOptions, describe
from calls.standin.text_api import TextApiStandin

if TYPE_CHECKING:
    from django.core.management.base import CommandParser

logger = logging.getLogger(__name__)


def log_event(direction: str, event: dict[str, Any]) -> None:
    """Stand-in event hook: one INFO line per event, e.g. ``send response.done …``."""
    logger.info("%s %s", direction, describe(event))


class Command(BaseCommand):
    help = "Run a local stand-in for the OpenAI Realtime API (GA) until Ctrl-C."
    # The stand-in serves no Django code, so it need not wait on (or be blocked
    # by) the project's URLconf, models and channel-layer checks.
    requires_system_checks = ()  # Django accepts a list or tuple of tags

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="interface to bind")
        parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
        parser.add_argument(
            "--pace",
            type=float,
            default=0.0,
            help="seconds between audio deltas; 0 (default) streams faster than real "
            "time like OpenAI, 0.1 with --chunk-ms 100 is real time",
        )
        parser.add_argument("--chunk-ms", type=int, default=100, help="ms per delta")
        parser.add_argument("--text-port", type=int, default=8766, help="port of the text API stand-in")

    def handle(self, *args: Any, **options: Any) -> None:
        self._configure_logging(options["verbosity"])
        try:
            standin_options = StandinOptions(chunk_ms=options["chunk_ms"], pace=options["pace"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        standin = RealtimeStandin(options["host"], options["port"], standin_options, on_event=log_event)
        # Ctrl-C makes asyncio.run cancel _serve (whose finally closes the server
        # and its connections cleanly) and then re-raise KeyboardInterrupt.
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(self._serve(standin, TextApiStandin(options["host"], options["text_port"])))

    async def _serve(self, standin: RealtimeStandin, text_api: TextApiStandin) -> None:
        try:
            await standin.start()
            await text_api.start()
        except OSError as exc:  # port in use, bad interface
            await standin.stop()
            raise CommandError(f"cannot listen on {standin.host}: {exc}") from exc
        try:
            self.stdout.write(f"Realtime stand-in listening on {standin.url} (Ctrl-C to stop)")
            self.stdout.write(f"Text API stand-in listening on {text_api.url}")
            await asyncio.Event().wait()  # forever, until cancelled by Ctrl-C
        finally:
            await text_api.stop()
            await standin.stop()

    def _configure_logging(self, verbosity: int) -> None:
        """Show our INFO lines even when the project's LOGGING doesn't route them."""
        logger.setLevel(logging.INFO if verbosity > 0 else logging.WARNING)
        if not logger.hasHandlers():
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
            logger.addHandler(handler)
