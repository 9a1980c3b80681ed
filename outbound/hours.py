"""Calling hours in the callee's time zone: is now a decent time to ring this number, and if not, when?

The number's zones come from phonenumbers' timezone data (a country or an area code; several
for a number of a large country whose area is unknown). A call must be within the hours in
every zone the number may be in: better late in one than at night in another.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as number_zones

UNKNOWN_ZONE = "Etc/Unknown"


def callee_zones(number: str, fallback: str = "UTC") -> list[ZoneInfo]:
    """The time zones `number` (E.164) may ring in; `fallback` when the data says nothing."""
    try:
        names = number_zones.time_zones_for_number(phonenumbers.parse(number))
    except phonenumbers.NumberParseException:
        names = ()
    zones = []
    for name in names:
        try:
            zones.append(ZoneInfo(name))
        except (ZoneInfoNotFoundError, ValueError):  # "Etc/Unknown", or a zone this system lacks
            continue
    return zones or [ZoneInfo(fallback)]


def _open_at(local: dt.time, start: dt.time, end: dt.time) -> bool:
    if start == end:
        return True  # no hours set: any time
    if start < end:
        return start <= local < end
    return local >= start or local < end  # a window across midnight


def _next_start(now: dt.datetime, zone: ZoneInfo, start: dt.time) -> dt.datetime:
    local = now.astimezone(zone)
    day = local.date() if local.time() < start else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, start, tzinfo=zone).astimezone(dt.UTC)


def next_call_time(
    number: str, start: dt.time, end: dt.time, now: dt.datetime, *, fallback_zone: str = "UTC"
) -> dt.datetime:
    """`now` if `number` may be called now, else the earliest time after it within the hours in all its zones."""
    zones = callee_zones(number, fallback_zone)
    candidate = now
    for _ in range(len(zones) * 2 + 1):  # each pass moves to a later window start; zones are few
        closed = [zone for zone in zones if not _open_at(candidate.astimezone(zone).time(), start, end)]
        if not closed:
            return candidate
        candidate = max(_next_start(candidate, zone, start) for zone in closed)
    return candidate  # windows that never overlap in all zones: the latest start found
