"""Small campaigns from a CSV: one outbound call per row, all or nothing."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.db import transaction

from agents.models import Agent, PhoneNumber
from agents.phone import to_e164

from .models import Campaign
from .services import outbound_call_create

COLUMNS = ("number", "purpose")  # purpose is optional: the campaign's purpose otherwise
MAX_ROWS = 1000


@dataclass
class CampaignRows:
    """The file's people (number, purpose), or its bad lines (line number, why)."""

    rows: list[tuple[str, str]] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)


def campaign_rows_parse(*, data: bytes) -> CampaignRows:
    """Read a CSV with a `number` column (and optionally `purpose`); every bad line is reported."""
    parsed = CampaignRows()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        parsed.errors.append((1, "the file is not UTF-8 text"))
        return parsed
    reader = csv.DictReader(io.StringIO(text))
    if "number" not in (reader.fieldnames or []):
        parsed.errors.append((1, "the first line must name the columns, with a 'number' column"))
        return parsed
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        number = to_e164((row.get("number") or "").strip())
        if number is None:
            parsed.errors.append((line, f"{row.get('number') or 'an empty number'} is not a phone number"))
        elif number in seen:
            parsed.errors.append((line, f"{number} is already in the file"))
        else:
            seen.add(number)
            parsed.rows.append((number, (row.get("purpose") or "").strip()))
    if len(parsed.rows) > MAX_ROWS:
        parsed.errors.append((1, f"at most {MAX_ROWS} people per campaign"))
    if not parsed.rows and not parsed.errors:
        parsed.errors.append((2, "the file lists nobody"))
    return parsed


@transaction.atomic
def campaign_create(
    *, name: str, agent: Agent, phone_number: PhoneNumber, purpose: str, starts_at, rows, created_by: str = ""
) -> Campaign:
    """The campaign and one outbound call per row, due at `starts_at` (calling hours and do-not-call apply
    when each is dialled)."""
    campaign = Campaign.objects.create(
        name=name, agent=agent, phone_number=phone_number, purpose=purpose, starts_at=starts_at, created_by=created_by
    )
    for number, row_purpose in rows:
        outbound_call_create(
            agent=agent,
            to_number=number,
            phone_number=phone_number,
            purpose=row_purpose or purpose,
            due_at=starts_at,
            campaign=campaign,
            created_by=created_by,
        )
    return campaign
