"""Where a call is in its life."""

from __future__ import annotations

import enum


class Phase(enum.Enum):
    WAITING = "waiting"  # media socket open, no `start` yet
    LIVE = "live"
    FAREWELL = "farewell"  # a goodbye or apology clip is playing; the model is ignored
    ENDED = "ended"
