"""The two small interfaces a provider implements: one file per carrier, one per model vendor."""

from __future__ import annotations

from typing import Protocol

from .actions import CallerAction, ModelAction
from .events import ModelEvent, TelephonyEvent


class TelephonyWire(Protocol):
    """A carrier's media-stream format (calls/carriers/<name>/wire.py)."""

    name: str
    # The carrier ends a stream by closing its socket, with no `stop` message (Plivo): a close is
    # then the caller hanging up, not the connection dropping.
    close_is_stop: bool

    def parse(self, text: str) -> TelephonyEvent | None:
        """The event in one text frame; None for messages we don't use. Raises ProtocolError."""

    def encode(self, action: CallerAction, stream_id: str) -> str:
        """One text frame for the carrier. `PlayFarewell` is expanded by the adapter first."""


class ModelWire(Protocol):
    """A realtime model vendor's event format."""

    name: str

    def parse(self, text: str) -> ModelEvent | None:
        """The event in one server message; None for the ones the call does not act on."""

    def encode(self, action: ModelAction) -> str:
        """One client message."""
