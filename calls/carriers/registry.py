"""The carriers voiceagent answers for, by name: `settings.CARRIERS` maps each to its class.

A carrier is a package under `calls/carriers/` implementing `base.Carrier`; adding one is that
package plus one line in `CARRIERS`. Phone numbers and calls store the name.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from .base import Carrier


@cache
def carriers() -> dict[str, Carrier]:
    return {name: import_string(path)() for name, (_label, path, _token) in settings.CARRIERS.items()}


def carrier(name: str) -> Carrier:
    """The carrier called `name`; KeyError for one that is not configured."""
    return carriers()[name]
