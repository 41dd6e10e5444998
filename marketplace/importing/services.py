"""``import_catalog``: upsert a whole import file, record by record, in batches.

Records go in batches of ``BATCH`` per write transaction, each record inside its own savepoint:
a bad record (refused by a check here or by a database rule) is rolled back alone and reported,
and the others of its batch still land. The taxonomy (capability words) and the departments are
read once per section and looked up in memory; the stored scenarios of a batch, with their
required capabilities and criteria, are read in three queries per batch. A record is compared
with what is stored and written only when something differs, which is what makes re-running the
same file a no-op (and fast: an unchanged batch costs those three reads). Every write records an
AuditEvent and, for indexed rows, an outbox entry.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from marketplace.companies.credit_code import is_valid_credit_code
from marketplace.companies.tables import Company, CompanyCapability, PastProject
from marketplace.core import clock
from marketplace.core.audit import Actor, record
from marketplace.core.db import Savepoint, constraint_name, savepoint, write_transaction
from marketplace.core.outbox import enqueue
from marketplace.departments.tables import Department
from marketplace.importing.schemas import CapabilityIn, CompanyIn, DepartmentIn, ScenarioIn
from marketplace.scenarios.status import public_status_for
from marketplace.scenarios.tables import Scenario, ScenarioCapability, ScenarioCriterion
from marketplace.taxonomy.services import CapabilityIndex, load_capability_index
from marketplace.taxonomy.tables import Capability

SECTIONS = ("departments", "capabilities", "companies", "scenarios")
BATCH = 500  # records per write transaction (each in its own savepoint)
SECTION_LABELS = {"departments": "部门", "capabilities": "能力", "companies": "企业", "scenarios": "场景"}

DEFAULT_CRITERIA = [
    ("技术方案与创新性", 35, "方案是否针对问题、技术路线是否可行并有创新。"),
    ("场景理解与可行性", 20, "对业务痛点、数据条件和约束的理解是否准确。"),
    ("团队与案例", 20, "团队能力与同类项目经验。"),
    ("实施计划与试点安排", 15, "里程碑、试点范围与成效指标是否清晰。"),
    ("成本合理性", 10, "报价与投入是否合理。"),
]
OPENED_STATUSES = {"open", "closed", "evaluating", "shortlisted", "awarded", "piloting", "completed"}
PUBLISHED_RESULT_STATUSES = {"awarded", "piloting", "completed"}


class ImportRecordError(Exception):
    """A record that cannot land; ``reason`` is shown to the operator."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class RecordFailure:
    section: str
    key: str
    reason: str


@dataclass
class ImportReport:
    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SECTIONS, 0))
    updated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SECTIONS, 0))
    unchanged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SECTIONS, 0))
    failures: list[RecordFailure] = field(default_factory=list)
    unmapped_words: dict[str, list[str]] = field(default_factory=dict)  # key -> tags kept

    def count(self, section: str, outcome: str) -> None:
        getattr(self, outcome)[section] += 1

    @property
    def ok(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failures": [f.__dict__ for f in self.failures],
            "unmapped_words": self.unmapped_words,
        }


def parse_deadline(value: str | None, field_name: str) -> dt.datetime | None:
    """ISO date (meaning 17:00 park time) or ISO datetime (naive = park time) -> aware UTC."""
    if value is None or value == "":
        return None
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            local = dt.datetime.combine(day, dt.time(17, 0), tzinfo=clock.PARK_TZ)
        else:
            local = dt.datetime.fromisoformat(value)
            if local.tzinfo is None:
                local = local.replace(tzinfo=clock.PARK_TZ)
    except ValueError:
        raise ImportRecordError(
            f"{field_name} 不是有效的日期：{value!r}（应为 2026-12-31 或 ISO 时间）"
        ) from None
    return local.astimezone(dt.UTC)


def _record_key(raw: Any) -> str:
    if isinstance(raw, dict) and isinstance(raw.get("key"), str) and raw["key"]:
        return raw["key"]
    return "(无 key)"


def _convert(raw: Any, struct: type) -> Any:
    try:
        return msgspec.convert(raw, struct)
    except msgspec.ValidationError as exc:
        raise ImportRecordError(f"格式错误：{exc}") from None


def _json_equal(a: Any, b: Any) -> bool:
    if isinstance(a, str):
        a = json.loads(a)
    if isinstance(b, str):
        b = json.loads(b)
    return a == b


def _diff(existing: dict, desired: dict) -> dict:
    """The desired values that differ from the stored row (JSON and datetimes compared by value)."""
    changed: dict[str, Any] = {}
    for name, value in desired.items():
        old = existing.get(name)
        if isinstance(value, (list, dict)):
            if not _json_equal(old, value):
                changed[name] = value
        elif isinstance(value, dt.datetime) and isinstance(old, dt.datetime):
            if old.astimezone(dt.UTC) != value.astimezone(dt.UTC):
                changed[name] = value
        elif old != value:
            changed[name] = value
    return changed


def _jsonable(values: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in values.items()}


_UNKNOWN: Any = object()


async def _upsert(
    table, key: str, desired: dict, actor: Actor, entity: str, existing: Any = _UNKNOWN
) -> tuple[int, str, dict]:
    """Insert or update the row with ``key``; returns (id, outcome, changed fields).
    ``existing``: the stored row (or None), when the caller already read it."""
    if existing is _UNKNOWN:
        existing = await table.select().where(table.key == key).first()
    if existing is None:
        row = table(key=key, **desired)
        await row.save()
        await record(actor, f"{entity}.import", entity, row.id, after=_jsonable(desired))
        return row.id, "created", desired
    changed = _diff(existing, desired)
    if changed:
        await table.update({getattr(table, k): v for k, v in changed.items()}).where(
            table.id == existing["id"]
        )
        await record(
            actor,
            f"{entity}.import",
            entity,
            existing["id"],
            before=_jsonable({k: existing.get(k) for k in changed}),
            after=_jsonable(changed),
        )
        return existing["id"], "updated", changed
    return existing["id"], "unchanged", {}


# --------------------------------------------------------------------------------------------


async def _import_department(raw: Any, actor: Actor) -> str:
    dep = _convert(raw, DepartmentIn)
    clash = (
        await Department.select(Department.key)
        .where((Department.name == dep.name) & (Department.key != dep.key))
        .first()
    )
    if clash:
        raise ImportRecordError(f"部门名称「{dep.name}」已被 key={clash['key']} 使用")
    desired = {f: getattr(dep, f) for f in ("name", "short_name", "description", "cdo_name", "cdo_title")}
    _, outcome, _ = await _upsert(Department, dep.key, desired, actor, "department")
    return outcome


async def _import_capability_group(raw: Any, actor: Actor, position: int) -> str:
    group = _convert(raw, CapabilityIn)
    outcomes = []
    group_id, outcome, _ = await _upsert(
        Capability,
        group.key,
        {
            "name": group.name,
            "name_en": group.name_en,
            "synonyms": group.synonyms,
            "description": group.description,
            "parent": None,
            "position": position,
        },
        actor,
        "capability",
    )
    outcomes.append(outcome)
    for i, child in enumerate(group.children):
        if child.children:
            raise ImportRecordError(f"能力「{child.name}」下不能再有子项：分类只有两级")
        _, outcome, _ = await _upsert(
            Capability,
            child.key,
            {
                "name": child.name,
                "name_en": child.name_en,
                "synonyms": child.synonyms,
                "description": child.description,
                "parent": group_id,
                "position": i,
            },
            actor,
            "capability",
        )
        outcomes.append(outcome)
    if "created" in outcomes:
        return "created"
    return "updated" if "updated" in outcomes else "unchanged"


async def _import_company(raw: Any, actor: Actor, index: CapabilityIndex, report: ImportReport) -> str:
    company = _convert(raw, CompanyIn)
    credit_code = company.credit_code.strip().upper() if company.credit_code else None
    if credit_code and not is_valid_credit_code(credit_code):
        raise ImportRecordError(f"统一社会信用代码「{company.credit_code}」校验位不正确")
    cap_ids, tags = index.map_words(company.capabilities)
    project_caps = {index.lookup(p.capability) for p in company.past_projects if p.capability}
    desired = {
        "name": company.name,
        "description": company.description,
        "size": company.size,
        "status": company.status,
        "credit_code": credit_code,
        "location": company.location,
        "founded_year": company.founded_year,
        "team_size": company.team_size,
        "website": company.website,
        "tags": tags,
    }
    existing = await Company.select(Company.id, Company.approved_at).where(Company.key == company.key).first()
    if company.status == "approved" and (existing is None or existing["approved_at"] is None):
        desired["approved_at"] = clock.now()
    company_id, outcome, _ = await _upsert(Company, company.key, desired, actor, "company")
    # Capabilities: add the mapped ones, keep an admin's "verified", drop those no longer listed.
    stored = {
        r["capability"]: r
        for r in await CompanyCapability.select().where(CompanyCapability.company == company_id)
    }
    children_changed = False
    for cap_id in cap_ids:
        evidence = "past_project" if cap_id in project_caps else "self_declared"
        if cap_id not in stored:
            await CompanyCapability.insert(
                CompanyCapability(company=company_id, capability=cap_id, evidence=evidence)
            )
            children_changed = True
        elif stored[cap_id]["evidence"] != "verified" and stored[cap_id]["evidence"] != evidence:
            await CompanyCapability.update({CompanyCapability.evidence: evidence}).where(
                CompanyCapability.id == stored[cap_id]["id"]
            )
            children_changed = True
    gone = [r["id"] for c, r in stored.items() if c not in cap_ids]
    if gone:
        await CompanyCapability.delete().where(CompanyCapability.id.is_in(gone))
        children_changed = True
    desired_projects = [
        {
            "title": p.title,
            "client": p.client,
            "year": p.year,
            "delivered": p.delivered,
            "capability": index.lookup(p.capability) if p.capability else None,
            "reference_contact": p.reference_contact,
        }
        for p in company.past_projects
    ]
    stored_projects = (
        await PastProject.select(
            PastProject.title,
            PastProject.client,
            PastProject.year,
            PastProject.delivered,
            PastProject.capability,
            PastProject.reference_contact,
        )
        .where(PastProject.company == company_id)
        .order_by(PastProject.id)
    )
    if stored_projects != desired_projects:
        await PastProject.delete().where(PastProject.company == company_id)
        for p in desired_projects:
            await PastProject.insert(PastProject(company=company_id, **p))
        children_changed = True
    if tags:
        report.unmapped_words[company.key] = tags
    if outcome == "unchanged" and children_changed:
        outcome = "updated"
        await record(actor, "company.import", "company", company_id, after={"capabilities": cap_ids})
    if outcome != "unchanged":
        await enqueue("company", company_id)
    return outcome


def _equal_weights(n: int) -> list[int]:
    """n integer weights adding up to 100, as equal as possible (earlier ones get the remainder)."""
    if n == 0:
        return []
    base, extra = divmod(100, n)
    return [base + (1 if i < extra else 0) for i in range(n)]


@dataclass
class ScenarioBatch:
    """What is stored for the scenarios of one batch, read in three queries, and the
    departments by key and by name (read once per import)."""

    departments: dict[str, int]
    rows: dict[str, dict] = field(default_factory=dict)  # key -> stored scenario row
    capabilities: dict[int, dict[int, int]] = field(default_factory=dict)  # id -> {capability: weight}
    criteria: dict[int, list[tuple]] = field(default_factory=dict)  # id -> [(name, weight, description)]


async def _department_lookup() -> dict[str, int]:
    rows = await Department.select(Department.id, Department.key, Department.name)
    lookup = {r["name"]: r["id"] for r in rows}
    lookup.update({r["key"]: r["id"] for r in rows})  # a key wins over a name
    return lookup


async def _read_scenario_batch(keys: list[str], departments: dict[str, int]) -> ScenarioBatch:
    batch = ScenarioBatch(departments=departments)
    batch.rows = (
        {r["key"]: r for r in await Scenario.select().where(Scenario.key.is_in(keys))} if keys else {}
    )
    ids = [r["id"] for r in batch.rows.values()]
    if ids:
        for r in await ScenarioCapability.select(
            ScenarioCapability.scenario, ScenarioCapability.capability, ScenarioCapability.weight
        ).where(ScenarioCapability.scenario.is_in(ids)):
            batch.capabilities.setdefault(r["scenario"], {})[r["capability"]] = r["weight"]
        for r in (
            await ScenarioCriterion.select(
                ScenarioCriterion.scenario,
                ScenarioCriterion.name,
                ScenarioCriterion.weight,
                ScenarioCriterion.description,
            )
            .where(ScenarioCriterion.scenario.is_in(ids))
            .order_by(ScenarioCriterion.position)
        ):
            batch.criteria.setdefault(r["scenario"], []).append((r["name"], r["weight"], r["description"]))
    return batch


async def _import_scenario(
    raw: Any,
    actor: Actor,
    index: CapabilityIndex,
    report: ImportReport,
    stored: ScenarioBatch,
    before_writing: Callable[[], Awaitable[None]],
) -> str:
    """Checks and compares first; ``before_writing`` is awaited just before the first write (the
    caller's savepoint), so an unchanged or refused record costs no statement at all."""
    sc = _convert(raw, ScenarioIn)
    department_id = stored.departments.get(sc.department)
    if department_id is None:
        raise ImportRecordError(f"部门「{sc.department}」不存在")
    deadline = parse_deadline(sc.deadline, "deadline")
    question_deadline = parse_deadline(sc.question_deadline, "question_deadline")
    if deadline and question_deadline and question_deadline > deadline:
        raise ImportRecordError("question_deadline 不能晚于 deadline")
    if sc.budget_min is not None and sc.budget_max is not None and sc.budget_min > sc.budget_max:
        raise ImportRecordError("budget_min 不能大于 budget_max")
    criteria = [(c.name, c.weight, c.description) for c in sc.criteria] if sc.criteria else DEFAULT_CRITERIA
    if sum(w for _, w, _ in criteria) != 100:
        raise ImportRecordError("criteria 的权重之和必须为 100")
    if len({n for n, _, _ in criteria}) != len(criteria):
        raise ImportRecordError("criteria 的名称不能重复")
    if sc.status == "cancelled" and not sc.cancel_reason.strip():
        raise ImportRecordError("已取消的场景需要 cancel_reason")
    cap_ids, tags = index.map_words(sc.required_capabilities)
    weights = dict(zip(cap_ids, _equal_weights(len(cap_ids)), strict=False))

    existing = stored.rows.get(sc.key)
    now = clock.now()
    # An imported cancelled scenario is a public record (it carries its public reason).
    was_opened = sc.status in OPENED_STATUSES or sc.status == "cancelled"
    published = sc.status in PUBLISHED_RESULT_STATUSES
    desired: dict[str, Any] = {
        "title": sc.title,
        "summary": sc.summary,
        "description": sc.description,
        "expected_outcome": sc.expected_outcome,
        "target_users": sc.target_users,
        "data_offered": sc.data_offered,
        "resources_offered": sc.resources_offered,
        "domain": sc.domain,
        "department": department_id,
        "budget_min": sc.budget_min,
        "budget_max": sc.budget_max,
        "pilot_months": sc.pilot_months,
        "question_deadline": question_deadline,
        "proposal_deadline": deadline,
        "sealed": sc.sealed,
        "tags": tags,
        "cancel_reason": sc.cancel_reason,
        "public_status": public_status_for(sc.status, result_published=published, was_opened=was_opened),
    }
    prior = existing or {}
    opened_at = parse_deadline(sc.opened_at, "opened_at")
    if was_opened and opened_at:
        desired["opened_at"] = opened_at
    elif was_opened and not prior.get("opened_at"):
        desired["opened_at"] = now
    if sc.status not in ("draft", "in_review", "changes_requested", "open", "cancelled") and not prior.get(
        "closed_at"
    ):
        desired["closed_at"] = now
    if published and not prior.get("awarded_at"):
        desired["awarded_at"] = now
    if published and not prior.get("result_published_at"):
        desired["result_published_at"] = now

    current_status = prior.get("status", "draft")
    if (
        existing is not None
        and current_status == sc.status
        and not _diff(existing, desired)
        and stored.capabilities.get(existing["id"], {}) == weights
        and stored.criteria.get(existing["id"], []) == [tuple(c) for c in criteria]
    ):  # exactly the case in which the writes below would change nothing
        if tags:
            report.unmapped_words[sc.key] = tags
        return "unchanged"
    await before_writing()
    # The status goes last, after the weighted children, because the database only lets a
    # scenario leave the draft states when its weights add up.
    scenario_id, outcome, _ = await _upsert(
        Scenario, sc.key, {**desired, "status": prior.get("status", "draft")}, actor, "scenario", existing
    )
    children_changed = False
    if stored.capabilities.get(scenario_id, {}) != weights:
        if existing is not None:
            await ScenarioCapability.delete().where(ScenarioCapability.scenario == scenario_id)
        if weights:
            await ScenarioCapability.insert(
                *(
                    ScenarioCapability(scenario=scenario_id, capability=c, weight=w)
                    for c, w in weights.items()
                )
            )
        children_changed = True
    if stored.criteria.get(scenario_id, []) != [tuple(c) for c in criteria]:
        if existing is not None:
            await ScenarioCriterion.delete().where(ScenarioCriterion.scenario == scenario_id)
        await ScenarioCriterion.insert(
            *(
                ScenarioCriterion(
                    scenario=scenario_id, name=name, weight=weight, description=description, position=pos
                )
                for pos, (name, weight, description) in enumerate(criteria)
            )
        )
        children_changed = True
    status_changed = current_status != sc.status
    if status_changed:
        await record(
            actor,
            "scenario.import_status",
            "scenario",
            scenario_id,
            before={"status": current_status},
            after={"status": sc.status},
        )
        children_changed = True
    if tags:
        report.unmapped_words[sc.key] = tags
    if outcome == "unchanged" and children_changed:
        outcome = "updated"
    if outcome != "unchanged":
        # One statement for the status (last, after the weighted children) and the time stamp.
        final: dict[Any, Any] = {Scenario.updated_at: now}
        if status_changed:
            final[Scenario.status] = sc.status
        await Scenario.update(final).where(Scenario.id == scenario_id)
        await enqueue("scenario", scenario_id)
    return outcome


Progress = Callable[[str, int, int], None]  # (section, records done, records in the section)


async def import_catalog(data: Any, actor: Actor, progress: Progress | None = None) -> ImportReport:
    """Upsert every record of an import file; never raises for a bad record (see the report).
    ``progress`` is called after each batch (a progress bar in the CLI)."""
    report = ImportReport()
    if not isinstance(data, dict):
        report.failures.append(RecordFailure("file", "-", "文件顶层必须是 JSON 对象"))
        return report
    unknown = set(data) - set(SECTIONS) - {"judgments"}
    for name in sorted(unknown):
        report.failures.append(RecordFailure("file", name, f"未知的部分「{name}」，已忽略"))
    for section in SECTIONS:
        records = data.get(section, [])
        if not isinstance(records, list):
            report.failures.append(RecordFailure(section, "-", f"「{section}」必须是数组"))
            continue
        index = await load_capability_index() if section in ("companies", "scenarios") else None
        departments = await _department_lookup() if section == "scenarios" else {}
        items: list[tuple[int, str, Any]] = []
        seen: set[str] = set()
        for position, raw in enumerate(records):
            key = _record_key(raw)
            if key in seen:
                report.failures.append(RecordFailure(section, key, "同一文件中 key 重复"))
                continue
            seen.add(key)
            items.append((position, key, raw))
        for start in range(0, len(items), BATCH):
            batch = items[start : start + BATCH]
            stored = (
                await _read_scenario_batch([k for _, k, _ in batch], departments)
                if section == "scenarios"
                else None
            )
            async with write_transaction() as transaction:
                for position, key, raw in batch:
                    savepoints: list[Savepoint] = []  # the record's own, once it writes

                    async def before_writing() -> None:
                        savepoints.append(await savepoint(transaction))  # noqa: B023 (awaited at once)

                    try:
                        if section == "scenarios":
                            assert index is not None and stored is not None
                            outcome = await _import_scenario(
                                raw, actor, index, report, stored, before_writing
                            )
                        else:
                            await before_writing()
                            if section == "departments":
                                outcome = await _import_department(raw, actor)
                            elif section == "capabilities":
                                outcome = await _import_capability_group(raw, actor, position)
                            else:
                                assert index is not None  # loaded above for companies and scenarios
                                outcome = await _import_company(raw, actor, index, report)
                    except ImportRecordError as exc:
                        for undo in savepoints:
                            await undo.rollback_to()
                        report.failures.append(RecordFailure(section, key, exc.reason))
                        continue
                    except Exception as exc:  # a database rule refused the record
                        rule = constraint_name(exc)
                        if rule is None:
                            raise
                        for undo in savepoints:
                            await undo.rollback_to()
                        report.failures.append(RecordFailure(section, key, f"违反数据库约束 {rule}"))
                        continue
                    for done in savepoints:
                        await done.release()
                    report.count(section, outcome)
            if progress is not None:
                progress(section, start + len(batch), len(items))
    return report
