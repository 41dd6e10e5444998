"""Reads that join domains for the public pages and their API twins."""

from __future__ import annotations

import msgspec

from marketplace.evaluation.publication import published_result
from marketplace.scenarios.schemas import ScenarioDetail
from marketplace.scenarios.services import get_public_scenario


async def get_public_scenario_with_result(scenario_id: int) -> ScenarioDetail:
    """A published scenario with its published outcome (partner or "未成交"), which stays
    ``None`` until staff publish the result, so nothing internal shows before that. Raises
    ``NotFound`` for an unknown or unpublished scenario."""
    detail = await get_public_scenario(scenario_id)
    return msgspec.structs.replace(detail, result=await published_result(scenario_id))
