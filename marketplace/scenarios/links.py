"""Paths of the scenario pages that services store in notifications and feeds (no request
there). Each mirrors a named route; see ``marketplace.web.links``."""

from __future__ import annotations

from marketplace.web.links import mirrors


@mirrors("scenarios:list")
def scenario_list() -> str:
    return "/scenarios"


@mirrors("scenarios:detail")
def scenario_page(scenario_id: int) -> str:
    return f"/scenarios/{scenario_id}"


@mirrors("staff:scenarios:detail")
def staff_scenario_page(scenario_id: int) -> str:
    return f"/staff/scenarios/{scenario_id}"


@mirrors("feeds:scenarios")
def scenario_feed() -> str:
    return "/feeds/scenarios.atom"


@mirrors("scenarios:invitation:register")
def invited_registration_page(token: str) -> str:
    return f"/register/invited/{token}"
