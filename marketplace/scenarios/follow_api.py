"""Following scenarios over the JSON API (``/api/v1``): the same services and rules as the
scenario page's button (any signed-in user; public scenarios only, others answer 404)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from litestar import Controller, Request, delete, get, put
from litestar.exceptions import NotAuthorizedException
from litestar.params import PathParameter

from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.scenarios import follows
from marketplace.web.forms import actor_of
from marketplace.web.guards import requires_login
from marketplace.web.params import MAX_ID

Id = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
RAISES = [ValidationFailed, NotAuthorizedException, NotFound]


class FollowOut(msgspec.Struct):
    scenario_id: int
    following: bool


class FollowedScenarioOut(msgspec.Struct):
    id: int
    title: str
    status_label: str
    proposal_deadline: dt.datetime | None
    followed_at: dt.datetime


class ScenarioFollowApiController(Controller):
    path = "/api/v1"
    tags = ["scenarios"]

    @put(
        "/scenarios/{scenario_id:int}/follow",
        name="api:scenarios:follow",
        guards=[requires_login],
        raises=RAISES,
    )
    async def follow(self, request: Request, scenario_id: Id) -> FollowOut:
        """Follow a public scenario: you are then notified of its amendments, answers, deadline
        extensions, the approaching deadline and the result. Following twice changes nothing."""
        await follows.follow_scenario(scenario_id, request.user.id, actor_of(request))
        return FollowOut(scenario_id=scenario_id, following=True)

    @delete(
        "/scenarios/{scenario_id:int}/follow",
        name="api:scenarios:unfollow",
        guards=[requires_login],
        raises=RAISES,
        status_code=200,
    )
    async def unfollow(self, request: Request, scenario_id: Id) -> FollowOut:
        """Stop following a scenario (nothing happens if you did not follow it)."""
        await follows.unfollow_scenario(scenario_id, request.user.id, actor_of(request))
        return FollowOut(scenario_id=scenario_id, following=False)

    @get("/me/follows", name="api:me:follows", guards=[requires_login], raises=[NotAuthorizedException])
    async def followed(self, request: Request) -> list[FollowedScenarioOut]:
        """The public scenarios you follow, newest follow first."""
        items = await follows.list_followed(request.user.id)
        return msgspec.convert(items, list[FollowedScenarioOut], from_attributes=True)
