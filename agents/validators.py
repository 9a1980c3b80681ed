"""Validators for staff-entered lists (kept apart from models.py so other apps can reuse them)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

_SEPARATORS = re.compile(r"[,;\s]+")


def parse_email_list(value: str) -> list[str]:
    """The addresses in a comma-separated list, lower-cased, without duplicates, in order."""
    seen: dict[str, None] = {}
    for part in _SEPARATORS.split(value or ""):
        if part:
            seen.setdefault(part.lower(), None)
    return list(seen)


def validate_email_list(value: str) -> None:
    """Every entry must be an address: a typo would silently lose every notification to it."""
    bad = []
    for address in parse_email_list(value):
        try:
            validate_email(address)
        except ValidationError:
            bad.append(address)
    if bad:
        raise ValidationError(
            "Not an email address: %(bad)s", params={"bad": ", ".join(bad)}, code="invalid_email_list"
        )
