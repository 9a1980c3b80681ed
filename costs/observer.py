"""The cost ledger's part of a call's end (calls.extensions.ENDINGS): its usage is stored and priced."""

from __future__ import annotations

from calls.extensions import CallEnd
from calls.services import BridgeSetup
from calls.store import CallStore

from .services import call_cost_record


def record_call_cost(setup: BridgeSetup, store: CallStore, end: CallEnd) -> None:
    store.put(
        call_cost_record,
        call_id=setup.call_id,
        usage=end.usage,
        transcription=end.transcription,
        model=end.model,
        transcription_model=end.transcription_model,
    )
