"""Scenario use cases: the status transitions (each a named, audited action) and public reads.

Every transition runs in a write transaction, records an AuditEvent and enqueues the scenario
for the search index. Raises ``NotFound`` for an unknown id, ``Conflict`` for a transition the
status machine refuses and ``ValidationFailed`` when the scenario's weights do not add up.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import msgspec
from piccolo.custom_types import Combinable

from marketplace.core import clock
from marketplace.core.audit import Actor, record
from marketplace.core.db import constraint_name, contains_text, for_update, write_transaction
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.core.outbox import enqueue
from marketplace.core.pagination import DEFAULT_PAGE_SIZE, Page
from marketplace.scenarios import status as sm
from marketplace.scenarios.schemas import (
    CapabilityRef,
    ChangeLogEntry,
    Criterion,
    DepartmentRef,
    PublicQuestion,
    RequiredCapability,
    ScenarioDetail,
    ScenarioSummary,
)
from marketplace.scenarios.tables import (
    Question,
    Scenario,
    ScenarioAmendment,
    ScenarioCapability,
    ScenarioCriterion,
)
from marketplace.taxonomy.tables import Capability

# --------------------------------------------------------------------------------------------
# Transitions


async def apply_transition(scenario_id: int, target: str, actor: Actor, *, reason: str = "") -> str:
    """Move a scenario to ``target`` if the status machine allows it; return the new status.

    The one writer of ``Scenario.status``, and only the mechanics: who may make the move is
    checked by its callers, which are the lifecycle's public ways in. The authoring steps
    (submit for review, approve, request changes, open at the scheduled time, cancel) are the
    checked use cases of ``publishing``; closing at the deadline is ``close_expired_scenarios``
    (the periodic task); the later stages are the named functions below, called by evaluation
    once it has checked the actor."""
    if target in sm.REASON_REQUIRED and not reason.strip():
        raise ValidationFailed("请填写原因。", {"reason": "请填写原因。"})
    async with write_transaction():
        row = await for_update(
            Scenario.select(Scenario.status, Scenario.opened_at, Scenario.result_published_at).where(
                Scenario.id == scenario_id
            )
        ).first()
        if row is None:
            raise NotFound("场景不存在。")
        current = row["status"]
        action = sm.transition_action(current, target)
        if action is None:
            raise Conflict(
                f"场景当前状态为「{sm.STATUS_LABELS[current]}」，不能变更为「{sm.STATUS_LABELS[target]}」。",
                details={"from": current, "to": target},
            )
        now = clock.now()
        opened_at = row["opened_at"] or (now if target == "open" else None)
        values: dict = {
            Scenario.status: target,
            Scenario.updated_at: now,
            Scenario.public_status: sm.public_status_for(
                target,
                result_published=row["result_published_at"] is not None,
                was_opened=opened_at is not None,
            ),
        }
        if target == "open":
            values[Scenario.opened_at] = opened_at
        elif target == "closed":
            values[Scenario.closed_at] = now
        elif target == "awarded":
            values[Scenario.awarded_at] = now
        elif target == "cancelled":
            values[Scenario.cancel_reason] = reason.strip()
        try:
            await Scenario.update(values).where(Scenario.id == scenario_id)
        except Exception as exc:  # a database rule refused the new status
            if constraint_name(exc) == "scenario_weights_add_up":
                raise ValidationFailed(
                    "评审标准的权重之和必须为 100，所需能力的权重之和也必须为 100。",
                    {"criteria": "权重之和必须为 100。"},
                ) from None
            raise
        if target == "cancelled" and opened_at is not None:
            await ScenarioAmendment.insert(
                ScenarioAmendment(
                    scenario=scenario_id,
                    kind="cancellation",
                    reason=reason.strip(),
                    created_by=actor.user_id,
                    created_at=now,
                )
            )
        await record(
            actor,
            f"scenario.{action}",
            "scenario",
            scenario_id,
            before={"status": current},
            after={"status": target},
            reason=reason,
        )
        await enqueue("scenario", scenario_id)
    return target


async def start_scenario_evaluation(scenario_id: int, actor: Actor) -> str:
    return await apply_transition(scenario_id, "evaluating", actor)


async def shortlist_scenario(scenario_id: int, actor: Actor) -> str:
    return await apply_transition(scenario_id, "shortlisted", actor)


async def award_scenario(scenario_id: int, actor: Actor) -> str:
    return await apply_transition(scenario_id, "awarded", actor)


async def declare_scenario_unsuccessful(scenario_id: int, actor: Actor, reason: str) -> str:
    """No partner selected; the reason is shown once the result is published."""
    return await apply_transition(scenario_id, "unsuccessful", actor, reason=reason)


async def start_scenario_pilot(scenario_id: int, actor: Actor) -> str:
    return await apply_transition(scenario_id, "piloting", actor)


async def complete_scenario(scenario_id: int, actor: Actor) -> str:
    return await apply_transition(scenario_id, "completed", actor)


async def publish_scenario_result(scenario_id: int, actor: Actor) -> None:
    """Make the internal decision public: the public status follows the internal one again.

    The evaluation module's ``publication.publish_result`` calls it inside its own transaction,
    with the outcome, proposal statuses and notifications."""
    async with write_transaction():
        row = await for_update(
            Scenario.select(Scenario.status, Scenario.opened_at).where(Scenario.id == scenario_id)
        ).first()
        if row is None:
            raise NotFound("场景不存在。")
        if row["status"] not in ("awarded", "piloting", "completed", "unsuccessful"):
            raise Conflict("只有已作出决定（选定合作伙伴或未成交）的场景才能公布结果。")
        now = clock.now()
        await Scenario.update(
            {
                Scenario.result_published_at: now,
                Scenario.public_status: sm.public_status_for(
                    row["status"], result_published=True, was_opened=True
                ),
                Scenario.updated_at: now,
            }
        ).where(Scenario.id == scenario_id)
        await record(actor, "scenario.publish_result", "scenario", scenario_id)
        await enqueue("scenario", scenario_id)


async def close_expired_scenarios(actor: Actor) -> list[int]:
    """Close every open scenario whose proposal deadline has passed; return their ids."""
    due = await Scenario.select(Scenario.id).where(
        (Scenario.status == "open") & (Scenario.proposal_deadline <= clock.now())
    )
    closed = []
    for row in due:
        try:
            await apply_transition(row["id"], "closed", actor)
            closed.append(row["id"])
        except Conflict:
            pass  # closed meanwhile by another worker
    return closed


# --------------------------------------------------------------------------------------------
# Public reads

DEADLINE_WINDOWS = {"7d": 7, "30d": 30, "90d": 90, "passed": None}
SORTS = ("relevance", "newest", "deadline")  # relevance: search results (marketplace.search)


@dataclass(frozen=True)
class ScenarioFilters:
    """Validated filters of the public catalog (pages and API share them). ``q`` is the search
    text: Meilisearch handles it (``marketplace.search``); the database query below is the plain
    text match used when the search engine is unavailable (relevance then means newest)."""

    q: str = ""
    domain: str | None = None
    department: int | None = None
    capability: int | None = None
    status: str | None = None
    deadline: str | None = None
    sort: str = "newest"
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE


def _public_where(filters: ScenarioFilters, capability_ids: list[int] | None) -> Combinable:
    where: Combinable = Scenario.public_status.is_not_null()
    if filters.domain:
        where &= Scenario.domain == filters.domain
    if filters.department:
        where &= Scenario.department == filters.department
    if filters.status:
        where &= Scenario.public_status == filters.status
    if capability_ids is not None:
        where &= Scenario.id.is_in(
            ScenarioCapability.select(ScenarioCapability.scenario).where(
                ScenarioCapability.capability.is_in(capability_ids)
            )
        )
    if filters.deadline:
        now = clock.now()
        days = DEADLINE_WINDOWS[filters.deadline]
        if days is None:
            where &= Scenario.proposal_deadline < now
        else:
            where &= (Scenario.proposal_deadline >= now) & (
                Scenario.proposal_deadline <= now + dt.timedelta(days=days)
            )
    if (
        filters.q
        and (text := contains_text((Scenario.title, Scenario.summary, Scenario.description), filters.q))
        is not None
    ):
        where &= text
    return where


async def _capability_and_children(capability_id: int) -> list[int]:
    """A group stands for all its capabilities; a leaf for itself."""
    children = await Capability.select(Capability.id).where(Capability.parent == capability_id)
    return [capability_id] + [c["id"] for c in children]


def _department_ref(row: dict, prefix: str = "department") -> DepartmentRef:
    return DepartmentRef(
        id=row[prefix],
        key=row[f"{prefix}.key"],
        name=row[f"{prefix}.name"],
        short_name=row[f"{prefix}.short_name"],
    )


_SUMMARY_COLUMNS = (
    Scenario.id,
    Scenario.key,
    Scenario.title,
    Scenario.summary,
    Scenario.domain,
    Scenario.department,
    Scenario.department.key,
    Scenario.department.name,
    Scenario.department.short_name,
    Scenario.public_status,
    Scenario.proposal_deadline,
    Scenario.budget_min,
    Scenario.budget_max,
    Scenario.pilot_months,
    Scenario.opened_at,
)


async def _capabilities_of(scenario_ids: list[int]) -> dict[int, list[tuple[CapabilityRef, int]]]:
    if not scenario_ids:
        return {}
    rows = (
        await ScenarioCapability.select(
            ScenarioCapability.scenario,
            ScenarioCapability.weight,
            ScenarioCapability.capability,
            ScenarioCapability.capability.key,
            ScenarioCapability.capability.name,
            ScenarioCapability.capability.name_en,
        )
        .where(ScenarioCapability.scenario.is_in(scenario_ids))
        .order_by(ScenarioCapability.weight, ascending=False)
        .order_by(ScenarioCapability.id)
    )
    out: dict[int, list[tuple[CapabilityRef, int]]] = {}
    for r in rows:
        ref = CapabilityRef(
            id=r["capability"],
            key=r["capability.key"],
            name=r["capability.name"],
            name_en=r["capability.name_en"],
        )
        out.setdefault(r["scenario"], []).append((ref, r["weight"]))
    return out


def _summary(row: dict, caps: list[tuple[CapabilityRef, int]]) -> ScenarioSummary:
    return ScenarioSummary(
        id=row["id"],
        key=row["key"],
        title=row["title"],
        summary=row["summary"],
        domain=row["domain"],
        department=_department_ref(row),
        status=row["public_status"],
        status_label=sm.STATUS_LABELS[row["public_status"]],
        proposal_deadline=row["proposal_deadline"],
        budget_min=row["budget_min"],
        budget_max=row["budget_max"],
        pilot_months=row["pilot_months"],
        opened_at=row["opened_at"],
        capabilities=[c for c, _ in caps],
    )


async def list_public_scenarios(filters: ScenarioFilters) -> Page[ScenarioSummary]:
    """The public catalog: published scenarios only, filtered, sorted and paginated."""
    capability_ids = await _capability_and_children(filters.capability) if filters.capability else None
    where = _public_where(filters, capability_ids)
    total = await Scenario.count().where(where)
    query = Scenario.select(*_SUMMARY_COLUMNS).where(where)
    if filters.sort == "deadline":
        # Open scenarios by nearest deadline first; passed deadlines after them.
        query = query.order_by(Scenario.proposal_deadline).order_by(Scenario.id)
    else:
        query = query.order_by(Scenario.opened_at, ascending=False).order_by(Scenario.id, ascending=False)
    rows = await query.limit(filters.page_size).offset((filters.page - 1) * filters.page_size)
    caps = await _capabilities_of([r["id"] for r in rows])
    items = [_summary(r, caps.get(r["id"], [])) for r in rows]
    return Page(items=items, total=total, page=filters.page, page_size=filters.page_size)


async def get_public_scenario(scenario_id: int) -> ScenarioDetail:
    """Everything a company needs to decide whether to apply. ``NotFound`` if not public."""
    row = (
        await Scenario.select(
            *_SUMMARY_COLUMNS,
            Scenario.description,
            Scenario.expected_outcome,
            Scenario.target_users,
            Scenario.data_offered,
            Scenario.resources_offered,
            Scenario.sealed,
            Scenario.question_deadline,
            Scenario.tags,
            Scenario.cancel_reason,
            Scenario.department.cdo_name,
            Scenario.department.cdo_title,
        )
        .where((Scenario.id == scenario_id) & Scenario.public_status.is_not_null())
        .output(load_json=True)
        .first()
    )
    if row is None:
        raise NotFound("场景不存在或尚未公开。")
    caps = (await _capabilities_of([scenario_id])).get(scenario_id, [])
    criteria = (
        await ScenarioCriterion.select(
            ScenarioCriterion.name, ScenarioCriterion.description, ScenarioCriterion.weight
        )
        .where(ScenarioCriterion.scenario == scenario_id)
        .order_by(ScenarioCriterion.position)
        .order_by(ScenarioCriterion.id)
    )
    questions = (
        await Question.select(Question.question, Question.answer, Question.asked_at, Question.answered_at)
        .where((Question.scenario == scenario_id) & (Question.published == True))
        .order_by(Question.answered_at)
    )
    changes = (
        await ScenarioAmendment.select(
            ScenarioAmendment.kind, ScenarioAmendment.reason, ScenarioAmendment.created_at
        )
        .where(ScenarioAmendment.scenario == scenario_id)
        .order_by(ScenarioAmendment.created_at)
    )
    return ScenarioDetail(
        id=row["id"],
        key=row["key"],
        title=row["title"],
        summary=row["summary"],
        description=row["description"],
        expected_outcome=row["expected_outcome"],
        target_users=row["target_users"],
        data_offered=row["data_offered"],
        resources_offered=row["resources_offered"],
        domain=row["domain"],
        department=_department_ref(row),
        cdo_name=row["department.cdo_name"],
        cdo_title=row["department.cdo_title"],
        status=row["public_status"],
        status_label=sm.STATUS_LABELS[row["public_status"]],
        sealed=row["sealed"],
        budget_min=row["budget_min"],
        budget_max=row["budget_max"],
        pilot_months=row["pilot_months"],
        question_deadline=row["question_deadline"],
        proposal_deadline=row["proposal_deadline"],
        opened_at=row["opened_at"],
        required_capabilities=[RequiredCapability(capability=c, weight=w) for c, w in caps],
        tags=list(row["tags"] or []),
        criteria=msgspec.convert(criteria, list[Criterion]),
        questions=msgspec.convert(questions, list[PublicQuestion]),
        change_log=msgspec.convert(changes, list[ChangeLogEntry]),
        cancel_reason=row["cancel_reason"],
    )


async def count_public_scenarios_by_status() -> dict[str, int]:
    rows = await Scenario.select(Scenario.public_status).where(Scenario.public_status.is_not_null())
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["public_status"]] = counts.get(r["public_status"], 0) + 1
    return counts


async def count_public_scenarios_by_domain(status: str | None = None) -> dict[str, int]:
    """Public scenarios per programme domain (every domain present, zero when empty).

    ``status`` restricts the count to one public status (e.g. ``"open"`` for the home page's
    "now inviting proposals" figures). Read-only; raises nothing.
    """
    from piccolo.query.functions.aggregate import Count

    where: Combinable = Scenario.public_status.is_not_null()
    if status:
        where &= Scenario.public_status == status
    rows = await Scenario.select(Scenario.domain, Count(alias="n")).where(where).group_by(Scenario.domain)
    counts = dict.fromkeys(sm.DOMAINS, 0)
    for r in rows:
        counts[r["domain"]] = r["n"]
    return counts


async def count_departments_with_public_scenarios() -> int:
    """How many departments have published at least one scenario (the home page's figure).

    Read-only; raises nothing.
    """
    rows = await Scenario.select(Scenario.department).where(Scenario.public_status.is_not_null()).distinct()
    return len(rows)


# --------------------------------------------------------------------------------------------
# Staff reads


@dataclass(frozen=True)
class DepartmentScenario:
    """A scenario in any status, as its department's staff home lists it."""

    id: int
    key: str | None
    title: str
    domain: str
    status: str
    status_label: str
    public_status: str | None
    proposal_deadline: dt.datetime | None
    updated_at: dt.datetime
    department_name: str


async def list_department_scenarios(department_id: int | None) -> list[DepartmentScenario]:
    """A department's scenarios in every status, for its staff (None: all departments, admins)."""
    query = Scenario.select(
        Scenario.id,
        Scenario.key,
        Scenario.title,
        Scenario.domain,
        Scenario.status,
        Scenario.public_status,
        Scenario.proposal_deadline,
        Scenario.updated_at,
        Scenario.department.name,
    )
    if department_id is not None:
        query = query.where(Scenario.department == department_id)
    rows = await query.order_by(Scenario.updated_at, ascending=False)
    return [
        DepartmentScenario(
            id=r["id"],
            key=r["key"],
            title=r["title"],
            domain=r["domain"],
            status=r["status"],
            status_label=sm.STATUS_LABELS[r["status"]],
            public_status=r["public_status"],
            proposal_deadline=r["proposal_deadline"],
            updated_at=r["updated_at"],
            department_name=r["department.name"],
        )
        for r in rows
    ]
