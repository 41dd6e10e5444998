"""Rows to Meilisearch documents: what each index holds, read from the database by id.

``load(kind, ids)`` re-reads the current rows and returns the documents of those that belong in
the index (scenarios: public statuses only; companies: approved members who publish their
profile; proposals: anything past draft) and the ids that must be removed. ``iter_all(kind)``
walks a whole table for a rebuild. Documents carry everything the list pages and the API show,
so a search answers without a database query.

Text fields are stripped of the private-use characters used as highlight markers (see
``highlight``), so a stored text can never fake a highlight.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

from marketplace.search.highlight import clean
from marketplace.search.vocabulary import pinyin_forms

CHUNK = 1000  # ids per query (well under SQLite's variable limit)
SEALED_FOREVER_US = 253_402_300_799_000_000  # 9999-12-31T23:59:59Z: no deadline yet, never visible


def _us(value: dt.datetime | None) -> int | None:
    """Microseconds since the epoch: sorts exactly like the database column (ties included)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    delta = value - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _ids_condition(column, ids: list[int]):
    """``column IN ids``, or for many ids the range they span (one cheap indexed range scan instead
    of a long IN list; callers ignore the extra rows a range may bring)."""
    if len(ids) > 200:
        return (column >= min(ids)) & (column <= max(ids))
    return column.is_in(ids)


def _limited(query, limit: int | None):
    return query.limit(limit) if limit else query


def _chunks(ids: list[int], size: int = CHUNK):
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


# --------------------------------------------------------------------------------------------
# Capabilities shared by scenarios and companies


async def _capability_parents() -> dict[int, int | None]:
    from marketplace.taxonomy.tables import Capability

    rows = await Capability.select(Capability.id, Capability.parent)
    return {r["id"]: r["parent"] for r in rows}


def _cap_ref(row: dict, prefix: str) -> dict:
    return {
        "id": row[prefix],
        "key": row[f"{prefix}.key"],
        "name": row[f"{prefix}.name"],
        "name_en": row[f"{prefix}.name_en"],
    }


def _capability_fields(refs: list[dict], parents: dict[int, int | None]) -> dict:
    """``capability_ids`` holds each capability and its group, so filtering by a group id finds
    everything in the group (as the database catalog does)."""
    ids: list[int] = []
    names: list[str] = []
    for ref in refs:
        for cid in (ref["id"], parents.get(ref["id"])):
            if cid is not None and cid not in ids:
                ids.append(cid)
        names.extend(n for n in (ref["name"], ref["name_en"]) if n and n not in names)
    return {"capabilities": refs, "capability_ids": ids, "capability_names": names}


def _pinyin_field(title: str, capability_fields: dict) -> dict:
    """The ``pinyin`` field: pinyin forms of the words of the title and the capability names."""
    return {"pinyin": pinyin_forms(title, [c["name"] for c in capability_fields["capabilities"]])}


# --------------------------------------------------------------------------------------------
# Scenarios


async def _scenario_rows(where, limit: int | None = None) -> list[dict]:
    from marketplace.scenarios.tables import Scenario

    query = (
        Scenario.select(
            Scenario.id,
            Scenario.key,
            Scenario.title,
            Scenario.summary,
            Scenario.description,
            Scenario.expected_outcome,
            Scenario.target_users,
            Scenario.data_offered,
            Scenario.resources_offered,
            Scenario.domain,
            Scenario.public_status,
            Scenario.tags,
            Scenario.department,
            Scenario.department.key,
            Scenario.department.name,
            Scenario.department.short_name,
            Scenario.proposal_deadline,
            Scenario.budget_min,
            Scenario.budget_max,
            Scenario.pilot_months,
            Scenario.opened_at,
        )
        .where(where)
        .order_by(Scenario.id)
    )
    return await _limited(query, limit).output(load_json=True)


async def _scenario_docs(rows: list[dict]) -> list[dict]:
    from marketplace.scenarios.status import STATUS_LABELS
    from marketplace.scenarios.tables import ScenarioCapability

    if not rows:
        return []
    ids = [r["id"] for r in rows]
    caps = (
        await ScenarioCapability.select(
            ScenarioCapability.scenario,
            ScenarioCapability.capability,
            ScenarioCapability.capability.key,
            ScenarioCapability.capability.name,
            ScenarioCapability.capability.name_en,
        )
        .where(_ids_condition(ScenarioCapability.scenario, ids))
        .order_by(ScenarioCapability.weight, ascending=False)
        .order_by(ScenarioCapability.id)
    )
    by_scenario: dict[int, list[dict]] = {}
    for c in caps:
        by_scenario.setdefault(c["scenario"], []).append(_cap_ref(c, "capability"))
    parents = await _capability_parents()
    docs = []
    for r in rows:
        department = {
            "id": r["department"],
            "key": r["department.key"],
            "name": r["department.name"],
            "short_name": r["department.short_name"],
        }
        capabilities = _capability_fields(by_scenario.get(r["id"], []), parents)
        docs.append(
            {
                "id": r["id"],
                "key": r["key"],
                "title": clean(r["title"]),
                "summary": clean(r["summary"]),
                "description": clean(r["description"]),
                "expected_outcome": clean(r["expected_outcome"]),
                "target_users": clean(r["target_users"]),
                "data_offered": clean(r["data_offered"]),
                "resources_offered": clean(r["resources_offered"]),
                "tags": [clean(t) for t in (r["tags"] or [])],
                "domain": r["domain"],
                "status": r["public_status"],
                "status_label": STATUS_LABELS[r["public_status"]],
                "department": department,
                "department_id": r["department"],
                "department_name": department["name"],
                "proposal_deadline": _iso(r["proposal_deadline"]),
                "proposal_deadline_us": _us(r["proposal_deadline"]),
                "budget_min": r["budget_min"],
                "budget_max": r["budget_max"],
                "pilot_months": r["pilot_months"],
                "opened_at": _iso(r["opened_at"]),
                "opened_at_us": _us(r["opened_at"]),
                **capabilities,
                **_pinyin_field(r["title"], capabilities),
            }
        )
    return docs


def _public_scenarios():
    from marketplace.scenarios.tables import Scenario

    return Scenario.public_status.is_not_null()


# --------------------------------------------------------------------------------------------
# Companies


def _public_companies():
    from marketplace.companies.tables import Company

    return (Company.status == "approved") & (Company.publish_profile == True)


async def _company_rows(where, limit: int | None = None) -> list[dict]:
    from marketplace.companies.tables import Company

    query = (
        Company.select(
            Company.id,
            Company.key,
            Company.name,
            Company.size,
            Company.description,
            Company.location,
            Company.tags,
        )
        .where(where)
        .order_by(Company.id)
    )
    return await _limited(query, limit).output(load_json=True)


async def _company_docs(rows: list[dict]) -> list[dict]:
    from marketplace.companies.labels import EVIDENCE_ORDER, SIZE_LABELS
    from marketplace.companies.tables import CompanyCapability, PastProject

    if not rows:
        return []
    ids = [r["id"] for r in rows]
    caps = (
        await CompanyCapability.select(
            CompanyCapability.company,
            CompanyCapability.evidence,
            CompanyCapability.capability,
            CompanyCapability.capability.key,
            CompanyCapability.capability.name,
            CompanyCapability.capability.name_en,
        )
        .where(_ids_condition(CompanyCapability.company, ids))
        .order_by(CompanyCapability.id)
    )
    by_company: dict[int, list[tuple[int, dict]]] = {}
    for c in caps:
        by_company.setdefault(c["company"], []).append(
            (EVIDENCE_ORDER.get(c["evidence"], 9), _cap_ref(c, "capability"))
        )
    # Only published projects: an unpublished one must not be findable by its title.
    projects = (
        await PastProject.select(PastProject.company, PastProject.title)
        .where(_ids_condition(PastProject.company, ids) & (PastProject.published == True))
        .order_by(PastProject.id)
    )
    titles: dict[int, list[str]] = {}
    for p in projects:
        titles.setdefault(p["company"], []).append(clean(p["title"]))
    parents = await _capability_parents()
    docs = []
    for r in rows:
        refs = [ref for _, ref in sorted(by_company.get(r["id"], []), key=lambda x: x[0])]
        capabilities = _capability_fields(refs, parents)
        docs.append(
            {
                "id": r["id"],
                "key": r["key"],
                "name": clean(r["name"]),
                "size": r["size"],
                "size_label": SIZE_LABELS.get(r["size"], r["size"]),
                "description": clean(r["description"]),
                "location": clean(r["location"]),
                "tags": [clean(t) for t in (r["tags"] or [])],
                "project_titles": titles.get(r["id"], []),
                **capabilities,
                **_pinyin_field(r["name"], capabilities),
            }
        )
    return docs


# --------------------------------------------------------------------------------------------
# Proposals (staff only: the index is never queried without the caller's rights as a filter).
# Drafts are never indexed; a proposal that returns to draft (or is deleted) is removed.


def _indexed_proposals():
    from marketplace.proposals.tables import Proposal

    return Proposal.status != "draft"


async def _proposal_rows(where, limit: int | None = None) -> list[dict]:
    from marketplace.proposals.tables import Proposal

    query = (
        Proposal.select(
            Proposal.id,
            Proposal.number,
            Proposal.status,
            Proposal.summary,
            Proposal.understanding,
            Proposal.approach,
            Proposal.team,
            Proposal.pilot_plan,
            Proposal.submitted_at,
            Proposal.scenario,
            Proposal.scenario.title,
            Proposal.scenario.department,
            Proposal.scenario.sealed,
            Proposal.scenario.proposal_deadline,
            Proposal.company,
            Proposal.company.name,
        )
        .where(where)
        .order_by(Proposal.id)
    )
    return await _limited(query, limit)


async def _proposal_docs(rows: list[dict]) -> list[dict]:
    from marketplace.proposals.tables import ProposalMember

    if not rows:
        return []
    ids = [r["id"] for r in rows]
    members = (
        await ProposalMember.select(
            ProposalMember.proposal,
            ProposalMember.company,
            ProposalMember.company.name,
        )
        .where(_ids_condition(ProposalMember.proposal, ids))
        .order_by(ProposalMember.id)
    )
    by_proposal: dict[int, list[tuple[int, str]]] = {}
    for m in members:
        by_proposal.setdefault(m["proposal"], []).append((m["company"], m["company.name"]))
    docs = []
    for r in rows:
        companies = [(r["company"], r["company.name"]), *by_proposal.get(r["id"], [])]
        company_ids: list[int] = []
        names: list[str] = []
        for cid, name in companies:
            if cid not in company_ids:
                company_ids.append(cid)
                names.append(clean(name))
        sealed_until = 0
        if r["scenario.sealed"]:  # a sealed scenario without a deadline stays sealed
            sealed_until = _us(r["scenario.proposal_deadline"]) or SEALED_FOREVER_US
        docs.append(
            {
                "id": r["id"],
                "number": r["number"],
                "status": r["status"],
                "summary": clean(r["summary"]),
                "understanding": clean(r["understanding"]),
                "approach": clean(r["approach"]),
                "team": clean(r["team"]),
                "pilot_plan": clean(r["pilot_plan"]),
                "scenario_id": r["scenario"],
                "scenario_title": clean(r["scenario.title"]),
                "department_id": r["scenario.department"],
                "company_id": r["company"],
                "company_ids": company_ids,
                "company_names": names,
                "submitted_at": _iso(r["submitted_at"]),
                "submitted_at_us": _us(r["submitted_at"]),
                # Sealed scenarios hide proposals from staff and admins until the deadline (the rule of
                # marketplace.proposals.policy): a query filters on visible_from_us <= now, as the
                # index cannot know "now". 0 = visible at once.
                "visible_from_us": sealed_until,
            }
        )
    return docs


# --------------------------------------------------------------------------------------------
# Entry points

_SPECS = {
    "scenario": (
        "marketplace.scenarios.tables",
        "Scenario",
        _public_scenarios,
        _scenario_rows,
        _scenario_docs,
    ),
    "company": ("marketplace.companies.tables", "Company", _public_companies, _company_rows, _company_docs),
    "proposal": (
        "marketplace.proposals.tables",
        "Proposal",
        _indexed_proposals,
        _proposal_rows,
        _proposal_docs,
    ),
}


def _table(kind: str):
    import importlib

    module, name, *_ = _SPECS[kind]
    return getattr(importlib.import_module(module), name)


async def load(kind: str, ids: list[int]) -> tuple[list[dict], list[int]]:
    """The current documents of ``ids`` and the ids to delete (gone, or no longer indexed)."""
    table = _table(kind)
    _, _, indexed, rows_of, docs_of = _SPECS[kind]
    docs: list[dict] = []
    for chunk in _chunks(sorted(set(ids))):
        docs.extend(await docs_of(await rows_of(table.id.is_in(chunk) & indexed())))
    present = {d["id"] for d in docs}
    return docs, sorted(set(ids) - present)


async def count(kind: str) -> int:
    table = _table(kind)
    return await table.count().where(_SPECS[kind][2]())


async def iter_all(kind: str, batch: int = 2000) -> AsyncIterator[list[dict]]:
    """Every document of ``kind``, ``batch`` rows at a time, by id (keyset pagination)."""
    table = _table(kind)
    _, _, indexed, rows_of, docs_of = _SPECS[kind]
    last = 0
    while True:
        rows = await rows_of(indexed() & (table.id > last), limit=batch)
        if not rows:
            return
        last = rows[-1]["id"]
        yield await docs_of(rows)


async def related_proposal_ids(kind: str, ids: list[int]) -> list[int]:
    """Proposals whose document shows data of these scenarios or companies (titles, names,
    sealing), so they are refreshed with them."""
    from marketplace.proposals.tables import Proposal, ProposalMember

    if kind == "scenario":
        rows = await Proposal.select(Proposal.id).where(Proposal.scenario.is_in(ids))
        return [r["id"] for r in rows]
    if kind == "company":
        own = await Proposal.select(Proposal.id).where(Proposal.company.is_in(ids))
        member = await ProposalMember.select(ProposalMember.proposal).where(ProposalMember.company.is_in(ids))
        return sorted({r["id"] for r in own} | {r["proposal"] for r in member})
    return []
