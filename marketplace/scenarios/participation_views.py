"""Public-side pages of publishing: members ask questions on the scenario page, anyone allowed
downloads attachments, and everyone subscribes to the Atom and iCalendar feeds.

``detail_extras`` is what the scenario detail page (``views.scenario_detail``) adds for these:
the visitor's own questions, whether they may ask, the attachments, the feed links.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import ValidationException
from litestar.params import PathParameter
from litestar.response import Redirect, Template

from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.scenarios import feeds, follows, publishing, questions
from marketplace.scenarios.schemas import ScenarioDetail
from marketplace.scenarios.tables import Scenario
from marketplace.web.forms import actor_of, file_download, read_form, see_other
from marketplace.web.guards import requires_approved_member, requires_login
from marketplace.web.params import MAX_ID

Id = Annotated[int, PathParameter(ge=1, le=MAX_ID)]


def feed_links(request: Request, scenario: ScenarioDetail | None = None) -> list[dict]:
    """``<link rel="alternate">`` targets for a page: the scenario's domain and capabilities."""
    links = []
    feed = request.app.route_reverse("feeds:scenarios")
    if scenario is not None:
        links.append(
            {
                "type": "application/atom+xml",
                "title": f"{scenario.domain}领域的新场景",
                "href": f"{feed}?domain={quote(scenario.domain)}",
            }
        )
        for rc in scenario.required_capabilities:
            links.append(
                {
                    "type": "application/atom+xml",
                    "title": f"需要「{rc.capability.name}」的新场景",
                    "href": f"{feed}?capability={rc.capability.id}",
                }
            )
    return links


async def detail_extras(request: Request, scenario: ScenarioDetail) -> dict:
    user = request.user
    row = (
        await Scenario.select(Scenario.status, Scenario.question_deadline, Scenario.proposal_deadline)
        .where(Scenario.id == scenario.id)
        .first()
    )
    assert row is not None  # the scenario being shown
    asking_open = questions.can_ask_now(row)
    my_questions: list[questions.CompanyQuestion] = []
    if user.is_authenticated and user.is_member and user.company_id:
        my_questions = await questions.list_company_questions(scenario.id, user.company_id)
    return {
        "asking_open": asking_open,
        "can_ask": asking_open and user.is_approved_member,
        "my_questions": my_questions,
        "following": user.is_authenticated and await follows.is_following(scenario.id, user.id),
        "attachments": await publishing.list_attachments(scenario.id),
        "feed_links": feed_links(request, scenario),
    }


def _not_found(request: Request, exc: ValidationException) -> Response:
    from marketplace.web.errors import not_found_page

    return not_found_page()


class ScenarioParticipationController(Controller):
    path = "/scenarios"
    include_in_schema = False
    exception_handlers = {ValidationException: _not_found}

    @post("/{scenario_id:int}/questions", name="scenarios:questions:ask", guards=[requires_approved_member])
    async def ask(self, request: Request, scenario_id: Id) -> Template | Redirect:
        form = await read_form(request)
        try:
            await questions.ask_question(scenario_id, actor_of(request), form.get("question", ""))
        except (ValidationFailed, Conflict) as exc:
            from marketplace.scenarios.labels import CHANGE_KIND_LABELS, DOMAIN_SUBTITLES
            from marketplace.scenarios.services import get_public_scenario

            scenario = await get_public_scenario(scenario_id)
            return Template(
                "scenarios/detail.html",
                status_code=exc.status_code,
                context={
                    "scenario": scenario,
                    "domain_subtitle": DOMAIN_SUBTITLES.get(scenario.domain, ""),
                    "change_kinds": CHANGE_KIND_LABELS,
                    **await detail_extras(request, scenario),
                    "question_form": form,
                    "question_errors": getattr(exc, "errors", {}) or {"question": exc.message},
                    "question_message": exc.message,
                },
            )
        return see_other(
            request.app.route_reverse("scenarios:detail", scenario_id=scenario_id) + "?asked=1#my-questions"
        )

    @post("/{scenario_id:int}/follow", name="scenarios:follow", guards=[requires_login])
    async def follow(self, request: Request, scenario_id: Id) -> Redirect:
        await follows.follow_scenario(scenario_id, request.user.id, actor_of(request))
        return see_other(
            request.app.route_reverse("scenarios:detail", scenario_id=scenario_id) + "?followed=1"
        )

    @post("/{scenario_id:int}/unfollow", name="scenarios:unfollow", guards=[requires_login])
    async def unfollow(self, request: Request, scenario_id: Id) -> Redirect:
        await follows.unfollow_scenario(scenario_id, request.user.id, actor_of(request))
        return see_other(
            request.app.route_reverse("scenarios:detail", scenario_id=scenario_id) + "?followed=0"
        )

    @get("/{scenario_id:int}/attachments/{attachment_id:int}", name="scenarios:attachment")
    async def attachment(self, request: Request, scenario_id: Id, attachment_id: Id) -> Response[bytes]:
        content, filename = await publishing.open_attachment(scenario_id, attachment_id, request.user)
        return file_download(content, filename, "application/pdf", {"Cache-Control": "private, max-age=0"})


class FeedController(Controller):
    """``/feeds/scenarios.atom`` (newly opened; ``?domain=`` or ``?capability=``) and
    ``/feeds/deadlines.ics`` (deadlines of open scenarios, same filters)."""

    path = "/feeds"
    include_in_schema = False

    @get("/scenarios.atom", name="feeds:scenarios")
    async def atom(self, request: Request) -> Response:
        flt = await feeds.parse_feed_filter(request.query_params)
        return Response(
            await feeds.atom_feed(flt),
            media_type="application/atom+xml; charset=utf-8",
            headers={"Cache-Control": "public, max-age=300"},
        )

    @get("/deadlines.ics", name="feeds:deadlines")
    async def calendar(self, request: Request) -> Response:
        flt = await feeds.parse_feed_filter(request.query_params)
        return Response(
            await feeds.deadline_calendar(flt),
            media_type="text/calendar; charset=utf-8",
            headers={
                "Cache-Control": "public, max-age=300",
                "Content-Disposition": 'inline; filename="deadlines.ics"',
            },
        )
