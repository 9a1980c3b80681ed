"""The cost ledger's observer of a running call (calls.extensions): at the end, its usage is stored and priced."""

from __future__ import annotations

from calls.extensions import CallEnd, QuietObserver
from calls.services import BridgeSetup
from calls.store import CallStore

from .services import call_cost_record


class CostObserver(QuietObserver):
    def __init__(self, setup: BridgeSetup, store: CallStore) -> None:
        self.call_id, self.store = setup.call_id, store

    def finished(self, end: CallEnd, now: float) -> None:
        self.store.put(
            call_cost_record,
            call_id=self.call_id,
            usage=end.usage,
            transcription=end.transcription,
            model=end.model,
            transcription_model=end.transcription_model,
        )
