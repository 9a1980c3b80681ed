"""Signals other apps listen to, so that calls never imports them (outbound/ follows its calls here)."""

from __future__ import annotations

from django.dispatch import Signal

#: A call's record changed for good: the bridge finalised it, or the carrier's final status came.
#: Sent after commit with `call_id`.
call_settled = Signal()
