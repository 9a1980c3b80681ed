"""`manage.py simulate_call`: place a call against a running server, as Twilio (or Plivo) would."""

from __future__ import annotations

import asyncio

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from calls.audio import load_clip
from calls.models import Call, TranscriptItem
from calls.simulator import DIALECTS, CallResult, CallScript, SimulatedCall

POLL_SECONDS = 0.25


def carrier_token(carrier: str) -> str:
    """The carrier's auth token from the settings (TWILIO_AUTH_TOKEN, PLIVO_AUTH_TOKEN…)."""
    name = getattr(settings, "CARRIER_TOKEN_SETTINGS", {}).get(carrier, f"{carrier.upper()}_AUTH_TOKEN")
    return getattr(settings, name, "")


def transcript_line(item: TranscriptItem) -> str:
    line = f"[{item.offset_ms / 1000:6.2f}s] {item.get_role_display():>6}: {item.text}"
    if item.interrupted:
        unheard = item.full_text[len(item.text) :].strip()
        line += f"  [interrupted after {item.heard_ms} ms; unheard: {unheard!r}]"
    return line


class Command(BaseCommand):
    help = "Place a simulated call through the real webhook and media-stream endpoints and print its transcript."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--base-url", default=settings.PUBLIC_URL or "http://127.0.0.1:8000")
        parser.add_argument(
            "--carrier", choices=sorted(DIALECTS), default="twilio", help="place the call as this carrier would"
        )
        parser.add_argument("--from", dest="from_number", default="+15550100001")
        parser.add_argument(
            "--to",
            dest="to_number",
            default="",
            help="the number called (default: the carrier's demo number, +15005550006 or +15005550009 on Plivo)",
        )
        parser.add_argument(
            "--auth-token",
            default=None,
            help="sign with this token (default: the carrier's token from the settings, e.g. PLIVO_AUTH_TOKEN)",
        )
        parser.add_argument(
            "--barge-in",
            nargs="?",
            type=int,
            const=1200,
            default=None,
            metavar="MS",
            help="talk over the greeting this many ms after it starts playing (default 1200)",
        )
        parser.add_argument(
            "--cafile",
            default=None,
            metavar="PEM",
            help="trust this CA certificate for an https:// server with a private certificate",
        )
        parser.add_argument("--hangup-after", type=int, default=4000, help="ms after the answer before hanging up")

    def handle(self, *args, **options) -> None:
        script = CallScript(
            caller_audio=load_clip("caller_question"),
            barge_in_after_ms=options["barge_in"],
            hangup_after_ms=options["hangup_after"],
        )
        carrier = options["carrier"]
        auth_token = options["auth_token"] or carrier_token(carrier)
        if not auth_token:
            raise CommandError(f"No {carrier} auth token: set it in the settings or pass --auth-token")
        call = SimulatedCall(
            base_url=options["base_url"],
            auth_token=auth_token,
            from_number=options["from_number"],
            to_number=options["to_number"],
            on_event=self._progress,
            cafile=options["cafile"],
            carrier=carrier,
        )
        call_id = f"{call.dialect.call_id_name} {call.call_sid}"
        self.stdout.write(f"Calling {call.to_number} from {call.from_number} ({call_id})")
        result = asyncio.run(self._run(call, script))
        self._report(result)

    async def _run(self, call: SimulatedCall, script: CallScript) -> CallResult:
        printed: set[int] = set()
        running = asyncio.create_task(call.run(script))
        while not running.done():
            await asyncio.wait({running}, timeout=POLL_SECONDS)
            await self._print_new_lines(call.call_sid, printed)
        result = running.result()
        await asyncio.sleep(POLL_SECONDS)  # the server writes its last lines as the call ends
        await self._print_new_lines(call.call_sid, printed)
        return result

    @sync_to_async
    def _print_new_lines(self, call_sid: str, printed: set[int]) -> None:
        for item in TranscriptItem.objects.filter(call__call_sid=call_sid).exclude(pk__in=printed):
            printed.add(item.pk)
            self.stdout.write(transcript_line(item))

    def _progress(self, kind: str, data: dict) -> None:
        if kind == "refused":
            self.stdout.write(self.style.WARNING(f"Refused: {data.get('say') or data.get('status')}"))
        elif kind == "clear":
            self.stdout.write(self.style.WARNING(f"  (caller barged in: playback cleared at {data.get('at_ms')} ms)"))
        elif kind in {"connected", "hangup", "closed", "handshake_failed", "protocol_error"}:
            self.stdout.write(f"  ({kind})")

    def _report(self, result: CallResult) -> None:
        if result.error:
            raise CommandError(f"The call failed: {result.error} (is the server running on --base-url?)")
        if result.refused:
            return
        call = Call.objects.filter(call_sid=result.call_sid).first()
        played_ms = len(result.played) // 8
        self.stdout.write(f"Caller heard {played_ms} ms of agent audio; {len(result.clears)} barge-in clear(s).")
        if call is not None:
            self.stdout.write(f"Call {call.status}: {call.end_reason or 'open'}; {call.total_tokens} tokens.")
