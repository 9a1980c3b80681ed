"""Where the apps above calls plug into a call, so that calls never imports them.

- Observers hear a running call's audio from the runner: the stream's start, each caller frame,
  what is sent to the caller, the end (the recording). An app registers a factory in its
  `AppConfig.ready`; the factory returns None for a call it has nothing to do with, which then
  costs nothing per frame.
- Endings are told once, when the call is over and its end committed, what it used (the cost
  ledger). They run in the call's wrap-up (calls/wrap_up.py): on a Celery worker, not in the
  process carrying the audio; without a broker, on commit in the thread that wrote the call's end.
- Page parts are HTML the call page shows in named places (`recording` above the timeline,
  `cost` in the header); list columns are callables for the calls list (`@admin.display`).
- Demo seeders add an app's part to `seed_demo`'s demo agent (SMS replies on its line) and say
  in a few words what they set up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Protocol

from calls.bridge.events import TranscriptionUsage, Usage

if TYPE_CHECKING:
    from calls.bridge import actions as act
    from calls.services import BridgeSetup
    from calls.store import CallStore


@dataclass(frozen=True)
class CallEnd:
    """What an observer learns when the call is over (after the call's own final write is queued)."""

    usage: Usage
    transcription: TranscriptionUsage
    model: str
    transcription_model: str

    def as_json(self) -> dict[str, Any]:
        """For the wrap-up task's message."""
        return asdict(self)  # the usages as dicts too

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CallEnd:
        return cls(
            Usage(**data["usage"]),
            TranscriptionUsage(**data["transcription"]),
            data["model"],
            data["transcription_model"],
        )


class CallObserver(Protocol):
    def started(self, now: float) -> None: ...
    def caller(self, payload: str, now: float) -> None: ...
    def to_caller(self, action: act.Action, now: float) -> None: ...
    def finished(self, end: CallEnd, now: float) -> None: ...


ObserverFactory = Callable[["BridgeSetup", "CallStore"], "CallObserver | None"]


@dataclass(frozen=True)
class ListColumn:
    column: Callable[[Any], str]  # decorated with @admin.display (description, ordering)
    select_related: str = ""  # a relation the column reads, joined once for the whole page


OBSERVERS: list[ObserverFactory] = []
#: Called with the call's id and what it used, in the call's wrap-up (a worker; the database is there).
ENDINGS: list[Callable[[int, CallEnd], None]] = []
DEMO_SEEDERS: list[Callable[[Any], str]] = []  # called with the demo agent, inside seed_demo's transaction
PAGE_PARTS: dict[str, Callable[[Any], str]] = {}
LIST_COLUMNS: list[ListColumn] = []


def observers_for(setup: BridgeSetup, store: CallStore) -> list[CallObserver]:
    return [observer for factory in OBSERVERS if (observer := factory(setup, store)) is not None]


def page_parts(call: Any) -> dict[str, str]:
    return {name: render(call) for name, render in PAGE_PARTS.items()}
