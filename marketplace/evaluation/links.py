"""Paths of the evaluation pages that services store in notifications (no request there). Each
mirrors a named route; see ``marketplace.web.links``."""

from __future__ import annotations

from marketplace.web.links import mirrors


@mirrors("member:pilots:detail")
def pilot_page(pilot_id: int) -> str:
    return f"/member/pilots/{pilot_id}"


@mirrors("member:clarifications:detail")
def clarification_page(review_id: int) -> str:
    return f"/member/clarifications/{review_id}"


@mirrors("member:results:detail")
def result_page(proposal_id: int) -> str:
    return f"/member/results/{proposal_id}"


@mirrors("staff:evaluation:conflicts")
def conflicts_page(scenario_id: int) -> str:
    return f"/staff/scenarios/{scenario_id}/evaluation/conflicts"


@mirrors("staff:decision")
def decision_page(scenario_id: int) -> str:
    return f"/staff/scenarios/{scenario_id}/decision"
