"""`manage.py seed_demo`: the demo agent, number and caller; idempotent."""

from __future__ import annotations

import datetime
import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from agents.models import AccessPolicy, Agent, Caller, CallerGroup, FirstSpeaker, PhoneNumber
from calls import extensions
from tools.models import ToolSetting

DEMO_TOOLS = ("end_call", "take_message", "update_mic_distance")
DEMO_NUMBER = "+15005550006"  # at Twilio
DEMO_PLIVO_NUMBER = "+15005550009"  # at Plivo: the same agent and policy
DEMO_CALLER = "+15550100001"
DEMO_INSTRUCTIONS = (
    "You are the friendly receptionist of Acme Plumbing. Answer briefly, in one or two short "
    "sentences, as on the phone. Opening hours: Monday to Saturday, 9am to 6pm."
)

DEMO_FIELDS = [
    ("reason", "text", "Why the caller called, in a few words."),
    ("callback_number", "text", "A number the caller asked to be called back on, if any."),
    ("follow_up_needed", "boolean", "Whether staff must get back to the caller."),
]


ANY_TIME = datetime.time(0, 0)


class Command(BaseCommand):
    help = "Create the demo agent, phone number, allowlisted caller and (if configured) a staff login."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        agent, _ = Agent.objects.get_or_create(
            name="Demo receptionist",
            defaults={
                "instructions": DEMO_INSTRUCTIONS,
                "greeting": "Hello! Thanks for calling. How can I help you today?",
                "first_speaker": FirstSpeaker.AGENT,
                "notify_emails": "staff@example.com",
                "record_calls": True,  # no recording notice: the demo caller is us
            },
        )
        self._extraction_fields(agent)
        for number, carrier, label in (
            (DEMO_NUMBER, "twilio", "Demo line"),
            (DEMO_PLIVO_NUMBER, "plivo", "Demo line (Plivo)"),
        ):
            PhoneNumber.objects.update_or_create(
                number=number,
                defaults={"label": label, "carrier": carrier, "agent": agent, "access_policy": AccessPolicy.ALLOWLIST},
            )
        # The demo's outbound calls reach simulated callees, who take calls at any hour (start = end).
        PhoneNumber.objects.filter(number=DEMO_NUMBER).update(calling_hours_start=ANY_TIME, calling_hours_end=ANY_TIME)
        group, _ = CallerGroup.objects.get_or_create(name="primary", defaults={"description": "Main contacts"})
        Caller.objects.get_or_create(
            number=DEMO_CALLER, defaults={"name": "Jordan Demo", "group": group, "email": "jordan@example.com"}
        )
        for tool in DEMO_TOOLS:
            ToolSetting.objects.get_or_create(agent=agent, tool=tool)
        extras = [seed(agent) for seed in extensions.DEMO_SEEDERS]  # e.g. SMS replies (the sms app)
        self.stdout.write(
            f"Demo agent {agent.name!r} answers {DEMO_NUMBER} (Twilio) and {DEMO_PLIVO_NUMBER} (Plivo); "
            f"allowlisted caller {DEMO_CALLER}" + "".join(f"; {extra}" for extra in extras) + "."
        )
        self._superuser()

    def _extraction_fields(self, agent: Agent) -> None:
        """What the demo pulls out of each call after it ends (see "After the call" in the README)."""
        from calls.models import ExtractionField

        for order, (name, kind, description) in enumerate(DEMO_FIELDS):
            ExtractionField.objects.get_or_create(
                agent=agent, name=name, defaults={"kind": kind, "description": description, "order": order}
            )

    def _superuser(self) -> None:
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME")
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        if not (username and password):
            return
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": os.environ.get("DJANGO_SUPERUSER_EMAIL", "")}
        )
        if created or not user.check_password(password):
            user.set_password(password)
        user.is_staff = user.is_superuser = True
        user.save()
        self.stdout.write(f"Staff login: {username} ({'created' if created else 'updated'}).")
