"""E.164 phone numbers: one parser for every way a number comes in, and a model field that stores them normalised.

Staff type numbers the way they read them ("(555) 010-0001", "555-010-0001", "+1 555 010 0001"),
carriers send E.164 or bare digits with the country code (Plivo), spreadsheets hold either. All of
them go through `to_e164`, so search, forms, the CSV import, the webhooks and MCP agree on what a
number is. A number without a country code is read in `PHONE_DEFAULT_REGION`.
"""

from __future__ import annotations

import functools
import re

import phonenumbers
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

E164_MESSAGE = "Enter a phone number: with its country code (+15550100001), or as dialled within %(region)s."
# What a typed number may hold: digits and the punctuation people put between them. Anything else
# ("call 555 0100", a name, a word from a transcript) is not a number, although phonenumbers would
# pick the digits out of it.
NUMBER_CHARACTERS = re.compile(r"^\+?[\d\s().\-/]+$")


def to_e164(raw: str, region: str | None = None) -> str | None:
    """The E.164 form of `raw`, or None when it is not a phone number.

    A number without `+` is read in `region` (default `PHONE_DEFAULT_REGION`); failing that, as
    digits that start with the country code (how Plivo sends them, how some spreadsheets hold them).
    A number that is only dialable locally (seven digits in the US) has no E.164 form: None.
    """
    raw = raw.strip()
    if not NUMBER_CHARACTERS.match(raw):
        return None
    region = region or settings.PHONE_DEFAULT_REGION
    return _parsed(raw, region) or (None if raw.startswith("+") else _parsed("+" + raw, None))


@functools.lru_cache(maxsize=4096)  # a webhook's lookups prepare each number twice; the metadata never changes
def _parsed(raw: str, region: str | None) -> str | None:
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_possible_number_with_reason(parsed) != phonenumbers.ValidationResult.IS_POSSIBLE:
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _not_a_number() -> ValidationError:
    return ValidationError(E164_MESSAGE, code="invalid_phone_number", params={"region": settings.PHONE_DEFAULT_REGION})


def validate_e164(value: str) -> None:
    if to_e164(value) != value:
        raise _not_a_number()


class E164FormField(forms.CharField):
    """Accepts what staff type ("+1 (500) 555-0006", "(500) 555-0006") and cleans it to E.164, or says why not."""

    def __init__(self, *args, **kwargs):
        kwargs["max_length"] = 40  # room for spaces, dashes and brackets before normalising
        kwargs.setdefault("widget", forms.TextInput(attrs={"placeholder": "+15550100001", "autocomplete": "off"}))
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return value
        normalised = to_e164(value)
        if normalised is None:
            raise _not_a_number()
        return normalised


class E164Field(models.CharField):
    """A phone number stored in E.164; input in any form `to_e164` reads is normalised."""

    default_validators = [validate_e164]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 16)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value:
            return to_e164(value) or value
        return value

    def formfield(self, **kwargs):
        kwargs.setdefault("form_class", E164FormField)
        return super().formfield(**kwargs)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value:
            return to_e164(value) or value
        return value
