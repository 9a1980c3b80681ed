"""`manage.py simulate_call`: place a call against a running server, as Twilio (or Plivo) would."""

from __future__ import annotations

import asyncio
import time

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from calls.audio import load_clip
from calls.bridge.actions import EndReason
from calls.models import Call, Role, TranscriptItem
from calls.simulator import DIALECTS, CallResult, CallScript, SimulatedCall

POLL_SECONDS = 0.25
SETTLE_SECONDS = 5.0
# How much longer the call may last for each caller turn after the first: the stand-in takes about
# 7 s for a question, its answer and the pause before the next.
TURN_BOUND_MS = 15000


def turn_count(value: str) -> int:
    """``--turns``: a whole number of caller turns, at least one."""
    turns = int(value)
    if turns < 1:
        raise ValueError(value)
    return turns


def carrier_token(carrier: str) -> str:
    """The carrier's auth token from the settings (TWILIO_AUTH_TOKEN, PLIVO_AUTH_TOKEN…)."""
    name = getattr(settings, "CARRIER_TOKEN_SETTINGS", {}).get(carrier, f"{carrier.upper()}_AUTH_TOKEN")
    return getattr(settings, name, "")


def transcript_line(item: TranscriptItem) -> str:
    """One turn as the caller experienced it: an interrupted agent turn shows only what was heard
    (the server stores that part as the text, from the marks the carrier echoed)."""
    line = f"[{item.offset_ms / 1000:6.2f}s] {item.get_role_display():>6}: {item.text}"
    if item.interrupted:
        line += f"  [cut off after {item.heard_ms} ms heard]" if item.heard_ms else "  [cut off before it was heard]"
    return line


def settled(items: list[TranscriptItem], index: int, *, over: bool, idle: bool) -> bool:
    """Whether a turn's stored text is final, so printing it now prints what the caller heard.

    An agent turn is stored when the model has generated it, before it has played; a barge-in
    or a hang-up then cuts it to the part heard. It is final once cut, once a later turn
    exists, once the caller's playback has drained (nothing left to cut), or when the call is over.
    """
    item = items[index]
    return item.role != Role.AGENT or item.interrupted or index + 1 < len(items) or over or idle


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
        parser.add_argument(
            "--hangup-after",
            type=int,
            default=None,
            metavar="MS",
            help="stay on the line this many ms after the caller's last turn, then hang up, whatever the agent "
            "does (to watch the call on the live page or hang it up there); default: hang up once the agent's "
            "answer has played",
        )
        parser.add_argument(
            "--turns",
            type=turn_count,
            default=1,
            metavar="N",
            help="ask the question N times, each once the agent's previous answer has played (default 1); "
            "--barge-in applies to the first",
        )

    def handle(self, *args, **options) -> None:
        script = self._script(options["barge_in"], options["hangup_after"], options["turns"])
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

    @staticmethod
    def _script(barge_in: int | None, hold: int | None, turns: int) -> CallScript:
        script = CallScript(caller_audio=load_clip("caller_question"), barge_in_after_ms=barge_in, turns=turns)
        script.max_call_ms += (turns - 1) * TURN_BOUND_MS
        if hold is not None:
            script.hold_after_ms = hold
            script.max_call_ms += hold  # the hold, not the bound, ends it
        return script

    async def _run(self, call: SimulatedCall, script: CallScript) -> CallResult:
        printed: set[int] = set()
        running = asyncio.create_task(call.run(script))
        while not running.done():
            await asyncio.wait({running}, timeout=POLL_SECONDS)
            await self._print_new_lines(call.call_sid, printed, over=False, idle=self._idle(call))
        result = running.result()
        if not (result.refused or result.error):
            await self._settle(call.call_sid)
        await self._print_new_lines(call.call_sid, printed, over=True, idle=True)
        return result

    @staticmethod
    def _idle(call: SimulatedCall) -> bool:
        """The caller has heard everything sent so far: no agent audio is playing or queued, and the
        last run played out (after a clear the server is still writing down what was cut)."""
        segments = call.result.segments if call.result else []
        return bool(segments) and segments[-1].end_ms is not None and not segments[-1].cleared

    @sync_to_async
    def _settle(self, call_sid: str) -> None:
        """Wait (briefly) until the server has finished the call: its last turns are written with it."""
        for _ in range(int(SETTLE_SECONDS / POLL_SECONDS)):
            if Call.objects.filter(call_sid=call_sid, ended_at__isnull=False).exists():
                return
            time.sleep(POLL_SECONDS)

    @sync_to_async
    def _print_new_lines(self, call_sid: str, printed: set[int], *, over: bool, idle: bool) -> None:
        items = list(TranscriptItem.objects.filter(call__call_sid=call_sid).order_by("order"))
        for index, item in enumerate(items):
            if item.pk not in printed and settled(items, index, over=over, idle=idle):
                printed.add(item.pk)
                self.stdout.write(transcript_line(item))

    def _progress(self, kind: str, data: dict) -> None:
        if kind == "refused":
            self.stdout.write(self.style.WARNING(f"Refused: {data.get('say') or data.get('status')}"))
        elif kind == "clear" and data.get("barge_in"):
            heard = data.get("played_ms")
            self.stdout.write(self.style.WARNING(f"  (caller barged in at {data.get('at_ms')} ms, {heard} ms heard)"))
        elif kind == "clear":
            self.stdout.write(f"  (the server stopped its audio at {data.get('at_ms')} ms)")
        elif kind == "hangup":
            self.stdout.write(f"  (the caller hung up: {data.get('reason')})")
        elif kind == "closed":
            self.stdout.write("  (the server ended the call)")
        elif kind in {"connected", "handshake_failed", "protocol_error"}:
            self.stdout.write(f"  ({kind})")

    def _report(self, result: CallResult) -> None:
        if result.error:
            raise CommandError(f"The call failed: {result.error} (is the server running on --base-url?)")
        if result.refused:
            return
        call = Call.objects.filter(call_sid=result.call_sid).first()
        played_ms = len(result.played) // 8
        self.stdout.write(f"Caller heard {played_ms} ms of agent audio; {len(result.clears)} barge-in clear(s).")
        if call is None:
            return
        if call.end_reason == EndReason.STAFF_ENDED.value:
            self.stdout.write(self.style.WARNING(f"Staff hung up the call ({call.ended_by or 'staff'})."))
        self.stdout.write(f"Call {call.status}: {call.end_reason or 'open'}; {call.total_tokens} tokens.")
