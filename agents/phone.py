"""E.164 phone numbers: parsing and a model field that stores them normalised."""

from __future__ import annotations

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError
from django.db import models

E164_MESSAGE = "Enter the number in international format, for example +15550100001."


def to_e164(raw: str, region: str | None = None) -> str | None:
    """The E.164 form of `raw`, or None when it is not a valid phone number."""
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def validate_e164(value: str) -> None:
    if to_e164(value) != value:
        raise ValidationError(E164_MESSAGE, code="invalid_phone_number")


class E164FormField(forms.CharField):
    """Accepts what staff paste ("+1 (500) 555-0006") and cleans it to E.164, or says why not."""

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
            raise ValidationError(E164_MESSAGE, code="invalid_phone_number")
        return normalised


class E164Field(models.CharField):
    """A phone number stored in E.164; input in any parseable international form is normalised."""

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
