"""Sending one email of a call to one recipient, at most once: the claimed `EmailDelivery` row.

Used by the post-call notification and by the tools that email (calls/tool_emails.py). Each
recipient gets a message of their own, so nobody sees another recipient's address.
"""

from __future__ import annotations

import logging

from django.db.models import F
from django.utils import timezone

from calls.models import DeliveryStatus, EmailDelivery

from .emails import CallEmail, call_email_send
from .redact import safe_reason

logger = logging.getLogger(__name__)


def email_deliver(
    *, call_id: int, recipient: str, email: CallEmail, resend: bool, tool_call_id: str = ""
) -> bool | None:
    """Send to one recipient if this run claims the delivery: True sent, False failed, None not ours."""
    if not _claim(call_id=call_id, tool_call_id=tool_call_id, recipient=recipient, resend=resend):
        return None
    deliveries = EmailDelivery.objects.filter(call_id=call_id, tool_call_id=tool_call_id, recipient=recipient)
    try:
        call_email_send(email=email, recipient=recipient)
    except Exception as exc:  # SMTP errors have many types; each is one failed delivery
        deliveries.update(status=DeliveryStatus.FAILED, error=safe_reason(exc))
        logger.warning("email of call %s to %s failed: %s", call_id, recipient, safe_reason(exc))
        return False
    deliveries.update(status=DeliveryStatus.SENT, error="", sent_at=timezone.now())
    return True


def _claim(*, call_id: int, tool_call_id: str, recipient: str, resend: bool) -> bool:
    """Atomically take a delivery: a new one, a failed one, or (resend) any. The unique (call, tool
    call, recipient) row is the lock, so two runs of the same task never both send."""
    delivery, created = EmailDelivery.objects.get_or_create(
        call_id=call_id,
        tool_call_id=tool_call_id,
        recipient=recipient,
        defaults={"status": DeliveryStatus.SENDING, "attempts": 1},
    )
    if created:
        return True
    # Without resend a "sending" row is left alone: it may be another run's, mid-send (at most once).
    allowed = list(DeliveryStatus) if resend else [DeliveryStatus.FAILED]
    taken = EmailDelivery.objects.filter(pk=delivery.pk, status__in=allowed)
    return taken.update(status=DeliveryStatus.SENDING, attempts=F("attempts") + 1) == 1
