"""The sms app's part of `seed_demo` (registered in calls.extensions.DEMO_SEEDERS)."""

from __future__ import annotations

from agents.models import Agent

from .models import SmsNumberSetting, SmsPersona

DEMO_SMS_NUMBER = "+15005550006"  # seed_demo's Twilio line (CONTRACT.md: SMS replies on it)


def seed_demo_sms(agent: Agent) -> str:
    """Text message replies on the Twilio demo number, for allowlisted senders (its policy)."""
    SmsPersona.objects.get_or_create(agent=agent)
    SmsNumberSetting.objects.update_or_create(
        phone_number=agent.numbers.get(number=DEMO_SMS_NUMBER), defaults={"replies_enabled": True}
    )
    return f"SMS replies on {DEMO_SMS_NUMBER}"
