"""The cost ledger's part of a call's end (calls.extensions.ENDINGS): its usage is stored and priced."""

from __future__ import annotations

from calls.extensions import CallEnd

from .services import agent_budget_check, call_cost_record


def record_call_cost(call_id: int, end: CallEnd) -> None:
    """In the call's wrap-up (a worker), once its end is committed; then its agent's monthly budget."""
    cost = call_cost_record(
        call_id=call_id,
        usage=end.usage,
        transcription=end.transcription,
        model=end.model,
        transcription_model=end.transcription_model,
    )
    if cost.call.agent_id is not None:
        agent_budget_check(agent_id=cost.call.agent_id)
