"""`to_e164`, the one reader of phone numbers: what people type, what carriers send, in several regions."""

from __future__ import annotations

import pytest

from agents.phone import to_e164
from calls.carriers.plivo.carrier import plivo_number


@pytest.mark.parametrize(
    "raw",
    [
        "+15550100001",
        "+1 555 010 0001",
        "+1 (555) 010-0001",
        "(555) 010-0001",
        "555-010-0001",
        "555.010.0001",
        "555 010 0001",
        "5550100001",
        "15550100001",  # with the country code, no +
        "1-555-010-0001",
        "  (555) 010-0001 ",
    ],
)
def test_us_spellings_of_one_number(raw, settings):
    settings.PHONE_DEFAULT_REGION = "US"
    assert to_e164(raw) == "+15550100001"


@pytest.mark.parametrize(
    ("region", "raw", "e164"),
    [
        ("GB", "020 7946 0958", "+442079460958"),
        ("GB", "07700 900123", "+447700900123"),
        ("DE", "030 123456", "+4930123456"),
        ("DE", "(030) 1234-5678", "+493012345678"),
        ("FR", "01 23 45 67 89", "+33123456789"),
        ("AU", "(02) 9876 5432", "+61298765432"),
        ("US", "+44 20 7946 0958", "+442079460958"),  # a country code wins over the region
        ("GB", "+1 (555) 010-0001", "+15550100001"),
        ("US", "442079460958", "+442079460958"),  # not a US number: digits starting with the country code
    ],
)
def test_national_numbers_are_read_in_the_default_region(region, raw, e164, settings):
    settings.PHONE_DEFAULT_REGION = region
    assert to_e164(raw) == e164


def test_an_explicit_region_wins_over_the_setting(settings):
    settings.PHONE_DEFAULT_REGION = "US"
    assert to_e164("020 7946 0958", "GB") == "+442079460958"
    assert to_e164("020 7946 0958") is None  # in the US it is not a number


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "Jordan",
        "call 555 010 0001",  # words around digits: a search for text, not a number
        "1-800-FLOWERS",  # letters: phonenumbers would spell them out; we don't guess
        "555-0100",  # local only: no E.164 form
        "0001",
        "+",
        "+999 123",
        "client:alice",  # what a carrier sends for a non-phone caller
        "anonymous",
    ],
)
def test_what_is_not_a_phone_number_is_none(raw):
    assert to_e164(raw) is None


def test_plivo_digits_and_twilio_e164_read_the_same(settings):
    settings.PHONE_DEFAULT_REGION = "GB"
    assert to_e164(plivo_number("15550100001")) == to_e164("+15550100001") == "+15550100001"
    assert to_e164("15550100001") == "+15550100001"  # bare digits, not a GB number: the country code
