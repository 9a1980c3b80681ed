"""`manage.py place_call --agent NAME --to +E164 [--from +E164] [--purpose TEXT]`: call someone now."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from agents.models import Agent, PhoneNumber
from calls.models import Call
from outbound.services import OutboundError, outbound_call_create, outbound_call_place


class Command(BaseCommand):
    help = (
        "Start an outbound call through the carrier of the --from number (default: the agent's first number), "
        "as the admin's form does; returns once the carrier has accepted it, printing our id and the carrier's."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--agent", required=True, help="The agent's name.")
        parser.add_argument("--to", required=True, help="Whom to call, E.164 (+15550100001).")
        parser.add_argument("--from", dest="from_number", default="", help="One of our numbers, E.164.")
        parser.add_argument("--purpose", default="", help="Why the agent calls; given to it for this call only.")
        parser.add_argument(
            "--wait",
            type=float,
            default=0,
            metavar="SECONDS",
            help="Then wait up to this long for the call to end, and print who answered and what was said.",
        )

    def handle(self, *args, agent: str, to: str, from_number: str, purpose: str, wait: float, **options) -> None:
        found = Agent.objects.filter(name=agent).first()
        if found is None:
            raise CommandError(f"no agent called {agent!r}")
        number = None
        if from_number:
            number = PhoneNumber.objects.filter(number=from_number).first()
            if number is None:
                raise CommandError(f"{from_number} is not one of our phone numbers")
        try:
            outbound = outbound_call_create(
                agent=found, to_number=to, phone_number=number, purpose=purpose, created_by="place_call"
            )
            placed = outbound_call_place(outbound_id=outbound.pk)
        except OutboundError as exc:
            raise CommandError(str(exc)) from None
        if placed is None or placed.attempt is None or placed.attempt.call_id is None:
            message = placed.message if placed else "the call was not due"
            raise CommandError(f"outbound call {outbound.pk} not placed: {message}")
        self.stdout.write(f"Outbound call {outbound.pk}, attempt {placed.attempt.number}: {placed.message}")
        self.stdout.write(f"call id: {placed.attempt.call_id}")
        self.stdout.write(f"carrier call id: {placed.attempt.carrier_call_id}")
        if wait > 0:
            self._report(placed.attempt.call_id, wait)

    def _report(self, call_id: int, wait: float) -> None:
        """A command line's wait: poll the call's row until it has ended (the server writes it)."""
        deadline = time.monotonic() + wait
        call = Call.objects.get(pk=call_id)
        while call.ended_at is None and time.monotonic() < deadline:
            time.sleep(0.2)
            call.refresh_from_db()
        if call.ended_at is None:
            raise CommandError(f"call {call_id} had not ended after {wait:g} s")
        for turn in call.transcript.order_by("order"):
            self.stdout.write(f"  {turn.get_role_display():>6}: {turn.text}")
        outcome = call.get_outcome_display() or "unknown"
        self.stdout.write(f"Answered by: {outcome}; ended: {call.get_end_reason_display() or call.status}.")
