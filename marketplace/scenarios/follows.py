"""Following a scenario: any signed-in user may follow a public scenario and is then told (in-app
notification, mailed like every notification) about its amendments, answers to questions,
deadline extensions, the approaching deadline and the result; members see what they follow on
their home. The notifying services add the followers to their audience
(``audience.with_followers``).

Raises ``NotFound`` for a scenario that is not public (its id reveals nothing). Each follow and
unfollow is audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from marketplace.core import clock
from marketplace.core.audit import Actor, record
from marketplace.core.db import constraint_name, write_transaction
from marketplace.core.errors import NotFound
from marketplace.scenarios.policy import may_follow
from marketplace.scenarios.status import STATUS_LABELS
from marketplace.scenarios.tables import Scenario, ScenarioFollow


async def _public_scenario(scenario_id: int) -> dict:
    row = await Scenario.select(Scenario.id, Scenario.public_status).where(Scenario.id == scenario_id).first()
    if row is None or not may_follow(row):
        raise NotFound("场景不存在。")
    return row


async def follow_scenario(scenario_id: int, user_id: int, actor: Actor) -> bool:
    """Follow; True when the user was not following yet (following twice changes nothing)."""
    await _public_scenario(scenario_id)
    try:
        async with write_transaction():
            if await is_following(scenario_id, user_id):
                return False
            await ScenarioFollow.insert(
                ScenarioFollow(scenario=scenario_id, user=user_id, created_at=clock.now())
            )
            await record(actor, "scenario.follow", "scenario", scenario_id)
    except Exception as exc:
        if not constraint_name(exc):
            raise
        return False  # the same user's second click, at the same moment: already following
    return True


async def unfollow_scenario(scenario_id: int, user_id: int, actor: Actor) -> bool:
    """Stop following; True when the user was following."""
    async with write_transaction():
        where = (ScenarioFollow.scenario == scenario_id) & (ScenarioFollow.user == user_id)
        if not await ScenarioFollow.exists().where(where):
            return False
        await ScenarioFollow.delete().where(where)
        await record(actor, "scenario.unfollow", "scenario", scenario_id)
    return True


async def is_following(scenario_id: int, user_id: int) -> bool:
    return await ScenarioFollow.exists().where(
        (ScenarioFollow.scenario == scenario_id) & (ScenarioFollow.user == user_id)
    )


@dataclass(frozen=True)
class FollowedScenario:
    """A scenario the user follows, as their home lists it (public facts only)."""

    id: int
    title: str
    status_label: str
    proposal_deadline: dt.datetime | None
    followed_at: dt.datetime


async def list_followed(user_id: int) -> list[FollowedScenario]:
    """The public scenarios the user follows, newest follow first."""
    rows = (
        await ScenarioFollow.select(
            ScenarioFollow.scenario.id.as_alias("id"),
            ScenarioFollow.scenario.title.as_alias("title"),
            ScenarioFollow.scenario.public_status.as_alias("public_status"),
            ScenarioFollow.scenario.proposal_deadline.as_alias("proposal_deadline"),
            ScenarioFollow.created_at,
        )
        .where((ScenarioFollow.user == user_id) & ScenarioFollow.scenario.public_status.is_not_null())
        .order_by(ScenarioFollow.created_at, ascending=False)
    )
    return [
        FollowedScenario(
            id=r["id"],
            title=r["title"],
            status_label=STATUS_LABELS.get(r["public_status"], r["public_status"]),
            proposal_deadline=r["proposal_deadline"],
            followed_at=r["created_at"],
        )
        for r in rows
    ]
