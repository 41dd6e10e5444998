"""Gathering the public facts of scenarios and serving their OCDS releases.

Only public reads feed the builder: ``scenarios.services.get_public_scenario`` (public
scenarios only), ``evaluation.publication.published_result`` (``None`` until staff publish the
result), ``evaluation.pilots.get_public_pilot`` (after publication; updates stay internal) and
the public change log. Drafts, reviews, proposals, scores, shortlists, conflicts and contact
details are never read here.

Paging: releases are ordered by their date, then scenario and sequence; the ``since`` cursor is
an opaque token naming that place and a page returns the releases after it, so a follower that
keeps ``next_since`` sees every later release once.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from marketplace.core import clock
from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.evaluation.pilots import get_public_pilot
from marketplace.evaluation.publication import published_result
from marketplace.opendata.ocds import (
    Amendment,
    Milestone,
    PilotFacts,
    ScenarioFacts,
    Supplier,
    build_releases,
    compile_record,
    release_package,
)
from marketplace.scenarios.services import get_public_scenario
from marketplace.scenarios.tables import Scenario, ScenarioAmendment
from marketplace.settings import get_settings

PUBLISHER = "数园区 场景开放平台"
MAX_RELEASES_PAGE = 500
DEFAULT_RELEASES_PAGE = 100


def _parse_dt(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _deadlines_before(changes: dict) -> dict[str, dt.datetime | None]:
    before: dict[str, dt.datetime | None] = {}
    for name in ("proposal_deadline", "question_deadline"):
        if isinstance(changes.get(name), dict):  # a deadline extension: {name: {before, after}}
            before[name] = _parse_dt(changes[name].get("before"))
        elif name in (changes.get("before") or {}):  # an amendment: {before: {name: value}}
            before[name] = _parse_dt(changes["before"][name])
    return before


async def scenario_facts(scenario_id: int) -> ScenarioFacts:
    """The public facts of one public scenario. ``NotFound`` if it is not public."""
    detail = await get_public_scenario(scenario_id)
    row = (
        await Scenario.select(Scenario.closed_at, Scenario.created_at, Scenario.opens_at)
        .where(Scenario.id == scenario_id)
        .first()
    )
    assert row is not None  # get_public_scenario found it
    amendments = await (
        ScenarioAmendment.select(
            ScenarioAmendment.id,
            ScenarioAmendment.kind,
            ScenarioAmendment.reason,
            ScenarioAmendment.created_at,
            ScenarioAmendment.changes,
        )
        .where(ScenarioAmendment.scenario == scenario_id)
        .order_by(ScenarioAmendment.created_at)
        .order_by(ScenarioAmendment.id)
        .output(load_json=True)
    )
    result = await published_result(scenario_id)
    pilot = await get_public_pilot(scenario_id) if result is not None else None
    opened = detail.opened_at or row["opens_at"] or row["created_at"]
    return ScenarioFacts(
        id=detail.id,
        title=detail.title,
        summary=detail.summary,
        description=detail.description,
        public_status=detail.status,
        department_id=detail.department.id,
        department_name=detail.department.name,
        opened_at=opened,
        closed_at=row["closed_at"] if detail.status != "open" else None,
        proposal_deadline=detail.proposal_deadline,
        question_deadline=detail.question_deadline,
        budget_min=detail.budget_min,
        budget_max=detail.budget_max,
        capabilities=[(c.capability.key, c.capability.name, c.weight) for c in detail.required_capabilities],
        criteria=[(c.name, c.description, c.weight) for c in detail.criteria],
        amendments=[
            Amendment(
                id=a["id"],
                kind=a["kind"],
                reason=a["reason"],
                date=a["created_at"],
                fields=list((a["changes"] or {}).get("labels") or []),
                deadlines_before=_deadlines_before(a["changes"] or {}),
            )
            for a in amendments
        ],
        result=result.result if result else None,
        result_published_at=result.published_at if result else None,
        suppliers=[
            Supplier(c.id, c.name, c.is_sme, c.is_lead) for c in (result.consortium if result else [])
        ],
        pilot=PilotFacts(
            status=pilot.status,
            started_at=pilot.started_at,
            completed_at=pilot.completed_at,
            milestones=[Milestone(m.title, m.due_date, m.status, m.completed_at) for m in pilot.milestones],
        )
        if pilot is not None and pilot.started_at is not None
        else None,
    )


def ocid_prefix() -> str:
    return get_settings().ocds_ocid_prefix


async def _public_scenario_ids() -> list[int]:
    rows = (
        await Scenario.select(Scenario.id).where(Scenario.public_status.is_not_null()).order_by(Scenario.id)
    )
    return [r["id"] for r in rows]


CURSOR_PATTERN = r"^[0-9]{1,18}-[0-9]{1,10}-[0-9]{1,4}$"
_CURSOR = re.compile(CURSOR_PATTERN)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

Position = tuple[int, int, int]


async def _feed() -> list[tuple[Position, dict]]:
    """Every release of every public scenario with its place in the feed: its date in
    microseconds since 1970, the scenario id, its number among the scenario's releases."""
    prefix = ocid_prefix()
    feed = []
    for scenario_id in await _public_scenario_ids():
        for n, release in enumerate(build_releases(await scenario_facts(scenario_id), prefix)):
            micros = (dt.datetime.fromisoformat(release["date"]) - _EPOCH) // dt.timedelta(microseconds=1)
            feed.append(((micros, scenario_id, n), release))
    return sorted(feed, key=lambda item: item[0])


async def all_releases() -> list[dict]:
    """Every release of every public scenario, in feed order (date, scenario, sequence)."""
    return [release for _, release in await _feed()]


def encode_cursor(position: Position) -> str:
    return "-".join(map(str, position))


def decode_cursor(token: str) -> Position:
    """``ValidationFailed`` for a token that is not of the cursor's form."""
    if not _CURSOR.fullmatch(token):
        raise ValidationFailed("since 参数无效：请使用上一页返回的 next_since。", {"since": "游标无效。"})
    micros, scenario, n = token.split("-")
    return int(micros), int(scenario), int(n)


@dataclass(frozen=True)
class ReleasePage:
    releases: list[dict]
    next_since: str | None  # the cursor after the last release of this page (None: no release)
    has_more: bool


async def list_releases(since: str | None, limit: int) -> ReleasePage:
    """The releases after the ``since`` cursor (from the start without it), at most ``limit``.
    ``next_since`` is the cursor to send next; with no new release it stays ``since``."""
    feed = await _feed()
    if since:
        after = decode_cursor(since)
        feed = [item for item in feed if item[0] > after]
    page = feed[:limit]
    next_since = encode_cursor(page[-1][0]) if page else since
    return ReleasePage(releases=[r for _, r in page], next_since=next_since, has_more=len(feed) > limit)


async def get_record(ocid: str) -> dict:
    """The record of one contracting process: its releases and the compiled release.
    ``NotFound`` for an ocid that is not one of a public scenario."""
    prefix = ocid_prefix()
    number = ocid.removeprefix(prefix) if ocid.startswith(prefix) else ""
    if not number.isdigit() or not 1 <= int(number) <= 2**31 - 1:
        raise NotFound("没有这个 ocid 的公开场景。")
    try:
        facts = await scenario_facts(int(number))
    except NotFound:
        raise NotFound("没有这个 ocid 的公开场景。") from None
    return compile_record(build_releases(facts, prefix))


async def export_package(base_url: str) -> dict:
    """Every release in one release package, as ``marketplace export-ocds`` writes it."""
    return release_package(
        await all_releases(),
        uri=f"{base_url}/api/v1/ocds/package.json",
        published=clock.now(),
        publisher=PUBLISHER,
    )
