"""The notification email of a finished call: rendered once from templates/emails/, sent per recipient."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from calls.models import Call, CallStatus, StepStatus

from .content import admin_link, transcript_turns


@dataclass(frozen=True)
class CallEmail:
    subject: str
    text: str
    html: str


def extracted_rows(call: Call) -> list[tuple[str, str]]:
    """(label, answer) for each of the agent's fields, in the staff's order: "Follow up needed", "yes"."""
    if call.agent is None or not call.extracted:
        return []
    rows = []
    for field in call.agent.extraction_fields.all():
        if field.name in call.extracted:
            rows.append((field.name.replace("_", " ").capitalize(), _display(call.extracted[field.name])))
    return rows


def _display(value: Any) -> str:
    if value is None:
        return "not mentioned"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def call_email_render(call: Call) -> CallEmail:
    who = call.caller.name if call.caller and call.caller.name else call.from_number
    failed = " (call failed)" if call.status == CallStatus.FAILED else ""
    subject = f"Call from {who} to {call.agent.name if call.agent else call.to_number}{failed}"
    context = {
        "call": call,
        "who": who,
        "summary": call.summary if call.summary_status == StepStatus.DONE else "",
        "extracted": extracted_rows(call),
        "turns": transcript_turns(call_id=call.pk),
        "link": admin_link(call),
    }
    return CallEmail(
        # A header cannot hold a line break (Django refuses the message); names come from staff.
        subject=" ".join(subject.split())[:200],
        text=render_to_string("emails/call_summary.txt", context),
        html=render_to_string("emails/call_summary.html", context),
    )


def call_email_send(*, email: CallEmail, recipient: str) -> None:
    """One message per recipient: each delivery is tracked alone and nobody sees the other addresses."""
    message = EmailMultiAlternatives(email.subject, email.text, settings.DEFAULT_FROM_EMAIL, [recipient])
    message.attach_alternative(email.html, "text/html")
    message.send()
