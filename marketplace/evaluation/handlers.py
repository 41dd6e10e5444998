"""How the evaluation takes part in the scenario lifecycle: handlers of the events scenarios
publishes (``marketplace.scenarios.events``), subscribed by ``marketplace.wiring``."""

from __future__ import annotations

from marketplace.core import events
from marketplace.evaluation.tables import EvaluatorAssignment
from marketplace.scenarios.events import ConcernedStaffWanted


async def assigned_evaluators(event: ConcernedStaffWanted) -> set[int]:
    """The evaluators assigned to the scenario."""
    rows = await EvaluatorAssignment.select(EvaluatorAssignment.evaluator).where(
        EvaluatorAssignment.scenario == event.scenario_id
    )
    return {r["evaluator"] for r in rows}


def connect() -> None:
    events.subscribe(ConcernedStaffWanted, assigned_evaluators)
