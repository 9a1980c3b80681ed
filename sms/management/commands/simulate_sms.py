"""`manage.py simulate_sms`: text a running server as Twilio would, and print the reply it sends.

The message is posted signed to `/twilio/sms/`; the reply is caught by a fake Twilio REST
(`calls/simulator/twilio_rest.py`) that this command serves on `--rest-port` while it waits:
the server must have `TWILIO_API_URL` pointed there (and `TWILIO_ACCOUNT_SID` set). With
`--from-database` no fake is served: the reply is read from the database this command shares with
the server once the server's Twilio (real, or `make demo`'s `fake_twilio`) has accepted it.
"""

from __future__ import annotations

import secrets
import time

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from calls.simulator.twilio_rest import FakeTwilioRest
from calls.simulator.webhook import WEBHOOK_TIMEOUT_S, sign

#: The account `make demo` gives the server when no Twilio account is configured (scripts/demo.sh).
DEMO_ACCOUNT_SID = "AC00000000000000000000000000demo"


class Command(BaseCommand):
    help = "Send a signed text message to a running server and print the agent's reply, caught by a fake Twilio REST."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--base-url", default=settings.PUBLIC_URL or "http://127.0.0.1:8000")
        parser.add_argument("--from", dest="from_number", default="+15550100001")
        parser.add_argument("--to", dest="to_number", default="+15005550006")
        parser.add_argument("--body", default="Hi! Are you open on Saturday?")
        parser.add_argument("--rest-port", type=int, default=8767, help="where the fake Twilio REST listens")
        parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for the reply")
        parser.add_argument(
            "--from-database",
            action="store_true",
            help="serve no fake: wait for the reply in the database shared with the server (make demo)",
        )
        parser.add_argument(
            "--account-sid",
            default=settings.TWILIO_ACCOUNT_SID or DEMO_ACCOUNT_SID,
            help="the account the server sends with (default: TWILIO_ACCOUNT_SID, else make demo's)",
        )

    def handle(self, *args, **options) -> None:
        account, token = options["account_sid"], settings.TWILIO_AUTH_TOKEN
        if not token:
            raise CommandError("Set TWILIO_AUTH_TOKEN as the server has it.")
        if options["from_database"]:
            sid = self._post(options, account, token)
            self._print_stored_reply(sid, options["timeout"])
            return
        with FakeTwilioRest(account, token, port=options["rest_port"]) as twilio:
            self._post(options, account, token)
            sent = twilio.wait_for_requests(1, options["timeout"])
        if not sent:
            raise CommandError(
                f"No reply reached the fake Twilio REST on port {options['rest_port']} "
                f"within {options['timeout']:g} s: "
                "is the server's TWILIO_API_URL pointed there, SMS replies on for the number, the sender allowed? "
                "See the message in the admin (Text messages)."
            )
        reply = sent[0]
        self.stdout.write(f"reply from {reply.from_} to {reply.to} (Twilio REST, {reply.sid}):\n  {reply.body}")

    def _print_stored_reply(self, message_sid: str, timeout: float) -> None:
        from sms.models import MessageStatus, SmsMessage

        accepted = [MessageStatus.QUEUED, MessageStatus.SENT, MessageStatus.DELIVERED]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reply = SmsMessage.objects.filter(reply_to__message_sid=message_sid, status__in=accepted).first()
            if reply is not None:
                sender, recipient = reply.thread.our_number, reply.thread.contact
                self.stdout.write(
                    f"reply from {sender} to {recipient} (Twilio REST, {reply.message_sid}):\n  {reply.body}"
                )
                return
            time.sleep(0.2)  # another process writes it: nothing to await here
        raise CommandError(f"No reply was sent within {timeout:g} s; see the message in the admin (Text messages).")

    def _post(self, options: dict, account: str, token: str) -> str:
        url = f"{options['base_url'].rstrip('/')}/twilio/sms/"
        form = {
            "MessageSid": "SM" + secrets.token_hex(16),
            "AccountSid": account,
            "From": options["from_number"],
            "To": options["to_number"],
            "Body": options["body"],
            "NumMedia": "0",
        }
        headers = {"X-Twilio-Signature": sign(token, url, form)}
        response = requests.post(url, data=form, headers=headers, timeout=WEBHOOK_TIMEOUT_S)
        if response.status_code != 200:
            raise CommandError(f"{url} answered HTTP {response.status_code}: {response.text[:200]}")
        self.stdout.write(f"text from {options['from_number']} to {options['to_number']}: {options['body']!r}")
        self.stdout.write(f"the server answered at once: {response.text.strip()}")
        return form["MessageSid"]
