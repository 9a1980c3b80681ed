"""Celery tasks of the tools: a thin layer over Django's mail."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils.html import strip_tags


@shared_task(autoretry_for=(OSError,), retry_backoff=5, max_retries=3, soft_time_limit=30, time_limit=60)
def send_tool_email(recipients: list[str], subject: str, html_body: str) -> int:
    """Send an email the agent composed (an HTML part and its plain-text version)."""
    return send_mail(subject, strip_tags(html_body), settings.DEFAULT_FROM_EMAIL, recipients, html_message=html_body)
