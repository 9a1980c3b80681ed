"""Where the apps above agents plug into the agent's page without agents importing them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: The `session.update` the agent's calls open with, as JSON (set by the tools app, which knows
#: the agent's tools): shown on the agent's page.
session_preview: Callable[[Any], str] | None = None
