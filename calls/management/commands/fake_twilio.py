"""`manage.py fake_twilio`: the local fake Twilio REST API, serving until stopped (the demo's
outbound calls, text replies and hang-ups).

Point the server's `TWILIO_API_URL` at the URL it prints first, with the same `TWILIO_ACCOUNT_SID`
and `TWILIO_AUTH_TOKEN`. Calls placed through it are answered by simulated callees: +15550100001
by a person (who asks a question, hears the answer and hangs up), +15550100077 by an answering
machine (its greeting, then the beep: `machine_end_beep`); any other number is not answered.
Text messages sent through it are accepted (queued), as Twilio would.
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from calls.audio import load_clip
from calls.simulator import CallScript
from calls.simulator.twilio_outbound import Callee
from calls.simulator.twilio_rest import FakeTwilioRest

PERSON, MACHINE = "+15550100001", "+15550100077"


class Command(BaseCommand):
    help = "Serve the local fake Twilio REST API (outbound calls answered by simulated callees) until stopped."

    def handle(self, *args, **options) -> None:
        if not (settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN):
            raise CommandError("set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN: the fake checks and signs with them")
        question = load_clip("caller_question")
        with FakeTwilioRest(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN) as fake:
            fake.outbound.default = Callee(status="no-answer")
            fake.outbound.callees[PERSON] = Callee(script=CallScript(caller_audio=question, hangup_after_ms=6000))
            greeting = CallScript(caller_audio=question, speak_after_ms=200, max_call_ms=30000)
            fake.outbound.callees[MACHINE] = Callee("machine_end_beep", "utterance_end", greeting)
            self.stdout.write(f"Fake Twilio REST on {fake.url}", ending="\n")
            self.stdout.flush()
            threading.Event().wait()  # until the process is stopped
