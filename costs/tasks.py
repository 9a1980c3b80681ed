"""The ledger's Celery task: a thin call of the service, safe to run again (one alert row each).

A call's own budget check runs in its wrap-up (costs/observer.py); this task is for messages
queued by earlier versions, and for running a check by hand.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(name="costs.check_budget", soft_time_limit=60, time_limit=90)
def check_budget(agent_id: int) -> list[int]:
    from .services import agent_budget_check

    return agent_budget_check(agent_id=agent_id)
