"""Local stand-in for the OpenAI Realtime API (GA protocol); no Django imports.

See :mod:`calls.standin.server`. Run it with ``python manage.py realtime_standin``
or, in tests, ``async with RealtimeStandin() as standin: ...``.
"""

from __future__ import annotations

from calls.standin.server import RealtimeStandin, StandinOptions, StandinSession

__all__ = ["RealtimeStandin", "StandinOptions", "StandinSession"]
