"""Matching use cases: load the domains' tables into plain data, score, cache, explain.

- ``match_companies(scenario_id)``: the members best placed to deliver a scenario, with why.
- ``recommend_scenarios(company_id)``: the open scenarios that best fit a member, with why.
- ``suggest_consortium(scenario_id)``: the smallest teams covering every required capability.
- ``resolve_scenario(ref)`` / ``resolve_company(ref)``: an import key or a numeric id -> id.

They raise ``NotFound`` for an unknown id and import nothing from Litestar, so the staff page,
the member home and the JSON API are thin wrappers that add only the caller's rights.

Only approved companies are ranked; only open scenarios are recommended (any scenario can be
matched, so staff can look before publishing). The scored matrices are cached per process and
rebuilt when a cheap fingerprint of the data changes (row counts, largest ids, latest
``updated_at`` of the tables read, and the latest audit event, which every write records).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import numpy as np

from marketplace.companies.labels import SIZE_LABELS
from marketplace.companies.tables import Company, CompanyCapability, PastProject
from marketplace.core.errors import NotFound
from marketplace.matching.consortium import Candidate, ConsortiumPlan, minimum_teams
from marketplace.matching.explain import Explanation, explain
from marketplace.matching.fit import RECOMMEND_AT, band_of, fit_of
from marketplace.matching.labels import BAND_LABELS
from marketplace.matching.model import (
    Award,
    CapabilityNode,
    CompanyData,
    Project,
    ScenarioData,
    Taxonomy,
)
from marketplace.matching.scoring import COVERED_AT, MatchConfig, MatchEngine
from marketplace.proposals.tables import Proposal, ProposalMember
from marketplace.scenarios.tables import Scenario, ScenarioCapability
from marketplace.taxonomy.tables import Capability

RANKED_COMPANY_STATUSES = ("approved",)
RECOMMENDED_SCENARIO_STATUSES = ("open",)
TRACK_RECORD_STATUSES = ("awarded", "piloting", "completed")
SPARE_CANDIDATES = 10  # ranked beyond the limit, to fill in for pairs with no nameable reason


# -- loading --------------------------------------------------------------------------------


@dataclass
class MatchingData:
    taxonomy: Taxonomy
    companies: list[CompanyData]
    scenarios: list[ScenarioData]
    company_status: dict[int, str]


async def load_matching_data() -> MatchingData:
    """Every capability, company and scenario as plain data (awards from selected proposals)."""
    caps = await Capability.select(
        Capability.id,
        Capability.name,
        Capability.name_en,
        Capability.synonyms,
        Capability.parent,
    ).output(load_json=True)
    taxonomy = Taxonomy.of(
        CapabilityNode(
            r["id"], r["name"], r["parent"], tuple(w for w in [r["name_en"], *(r["synonyms"] or [])] if w)
        )
        for r in caps
    )

    scenario_rows = (
        await Scenario.select(
            Scenario.id,
            Scenario.key,
            Scenario.title,
            Scenario.domain,
            Scenario.summary,
            Scenario.description,
            Scenario.expected_outcome,
            Scenario.tags,
            Scenario.status,
        )
        .order_by(Scenario.id)
        .output(load_json=True)
    )
    requirements: dict[int, dict[int, int]] = {}
    for r in await ScenarioCapability.select(
        ScenarioCapability.scenario, ScenarioCapability.capability, ScenarioCapability.weight
    ):
        requirements.setdefault(r["scenario"], {})[r["capability"]] = r["weight"]
    scenarios = [
        ScenarioData(
            id=r["id"],
            key=r["key"],
            title=r["title"],
            domain=r["domain"],
            summary=r["summary"],
            description=r["description"],
            expected_outcome=r["expected_outcome"],
            requirements=requirements.get(r["id"], {}),
            tags=tuple(r["tags"] or ()),
            status=r["status"],
        )
        for r in scenario_rows
    ]
    by_scenario = {s.id: s for s in scenarios}

    company_caps: dict[int, dict[int, str]] = {}
    for r in await CompanyCapability.select(
        CompanyCapability.company, CompanyCapability.capability, CompanyCapability.evidence
    ):
        company_caps.setdefault(r["company"], {})[r["capability"]] = r["evidence"]
    projects: dict[int, list[Project]] = {}
    for r in await PastProject.select(
        PastProject.company,
        PastProject.title,
        PastProject.delivered,
        PastProject.capability,
        PastProject.year,
        PastProject.client,
    ).order_by(PastProject.id):
        projects.setdefault(r["company"], []).append(
            Project(r["title"], r["delivered"], r["capability"], r["year"], r["client"])
        )

    awards: dict[int, list[Award]] = {}
    # Only published awards count: an internal decision must not surface in match explanations.
    won = await Proposal.select(Proposal.id, Proposal.scenario, Proposal.company).where(
        (Proposal.status == "selected") & (Proposal.outcome_published == True)
    )
    won_by_id = {}
    for r in won:
        sc = by_scenario.get(r["scenario"])
        if sc is None or sc.status not in TRACK_RECORD_STATUSES:
            continue
        won_by_id[r["id"]] = sc
        awards.setdefault(r["company"], []).append(
            Award(sc.id, sc.title, sc.domain, tuple(sc.requirements), sc.status, "lead")
        )
    if won_by_id:
        for r in await ProposalMember.select(ProposalMember.proposal, ProposalMember.company).where(
            ProposalMember.proposal.is_in(list(won_by_id))
            & (ProposalMember.status == "accepted")
            & (ProposalMember.is_lead == False)
        ):
            sc = won_by_id[r["proposal"]]
            awards.setdefault(r["company"], []).append(
                Award(sc.id, sc.title, sc.domain, tuple(sc.requirements), sc.status, "member")
            )

    company_rows = (
        await Company.select(
            Company.id,
            Company.key,
            Company.name,
            Company.size,
            Company.description,
            Company.tags,
            Company.status,
        )
        .order_by(Company.id)
        .output(load_json=True)
    )
    companies = [
        CompanyData(
            id=r["id"],
            key=r["key"],
            name=r["name"],
            size=r["size"],
            description=r["description"],
            capabilities=company_caps.get(r["id"], {}),
            tags=tuple(r["tags"] or ()),
            projects=tuple(projects.get(r["id"], ())),
            awards=tuple(awards.get(r["id"], ())),
        )
        for r in company_rows
    ]
    return MatchingData(taxonomy, companies, scenarios, {r["id"]: r["status"] for r in company_rows})


_FINGERPRINT_SQL = """
SELECT
  (SELECT COUNT(*) FROM company) AS companies,
  (SELECT MAX(id) FROM company) AS company_max,
  (SELECT MAX(updated_at) FROM company) AS company_updated,
  (SELECT COUNT(*) FROM company WHERE status = 'approved') AS approved,
  (SELECT COUNT(*) FROM scenario) AS scenarios,
  (SELECT MAX(id) FROM scenario) AS scenario_max,
  (SELECT MAX(updated_at) FROM scenario) AS scenario_updated,
  (SELECT COUNT(*) FROM scenario WHERE status = 'open') AS open_scenarios,
  (SELECT COUNT(*) FROM company_capability) AS company_caps,
  (SELECT MAX(id) FROM company_capability) AS company_cap_max,
  (SELECT COUNT(*) FROM company_capability WHERE evidence = 'verified') AS verified,
  (SELECT COUNT(*) FROM company_capability WHERE evidence = 'past_project') AS past_project,
  (SELECT COUNT(*) FROM past_project) AS projects,
  (SELECT MAX(id) FROM past_project) AS project_max,
  (SELECT COUNT(*) FROM scenario_capability) AS scenario_caps,
  (SELECT MAX(id) FROM scenario_capability) AS scenario_cap_max,
  (SELECT SUM(weight) FROM scenario_capability) AS weights,
  (SELECT COUNT(*) FROM capability) AS capabilities,
  (SELECT MAX(id) FROM capability) AS capability_max,
  (SELECT SUM(LENGTH(CAST(synonyms AS TEXT))) FROM capability) AS synonyms,
  (SELECT COUNT(*) FROM proposal WHERE status = 'selected' AND outcome_published) AS selected,
  (SELECT MAX(updated_at) FROM proposal) AS proposal_updated,
  (SELECT COUNT(*) FROM proposal_member WHERE status = 'accepted') AS members,
  (SELECT MAX(id) FROM audit_event) AS audit_max
"""


async def data_fingerprint() -> tuple:
    """A cheap summary that changes whenever anything matching reads changes."""
    rows = await Company.raw(_FINGERPRINT_SQL)
    row = rows[0] if rows else {}
    return tuple((k, str(v)) for k, v in sorted(row.items()))


# -- the cached engine ----------------------------------------------------------------------


@dataclass
class Snapshot:
    """One scored state of the data: the engine plus lookups and masks."""

    engine: MatchEngine
    fingerprint: tuple
    ranked_companies: np.ndarray  # bool mask over the engine's companies (all approved)
    open_scenarios: np.ndarray  # bool mask
    built_in: float  # seconds
    key_to_company: dict[str, int] = field(default_factory=dict)
    key_to_scenario: dict[str, int] = field(default_factory=dict)
    company_status: dict[int, str] = field(default_factory=dict)  # every company, ranked or not


_cache: dict[MatchConfig, Snapshot] = {}
_lock = asyncio.Lock()


def build_snapshot(data: MatchingData, fingerprint: tuple, config: MatchConfig | None = None) -> Snapshot:
    """Score the data. Only approved companies enter the engine: they are the only ones ranked,
    and text relevance is relative to the best of them."""
    started = time.perf_counter()
    companies = [c for c in data.companies if data.company_status.get(c.id) in RANKED_COMPANY_STATUSES]
    engine = MatchEngine(data.taxonomy, companies, data.scenarios, config)
    ranked = np.ones(len(companies), dtype=bool)
    open_ = np.array([s.status in RECOMMENDED_SCENARIO_STATUSES for s in data.scenarios], dtype=bool)
    return Snapshot(
        engine,
        fingerprint,
        ranked,
        open_,
        time.perf_counter() - started,
        {c.key: c.id for c in companies if c.key},
        {s.key: s.id for s in data.scenarios if s.key},
        dict(data.company_status),
    )


async def get_snapshot(config: MatchConfig | None = None) -> Snapshot:
    """The scored data, rebuilt only when the fingerprint changed since the last build."""
    config = config or MatchConfig()
    fingerprint = await data_fingerprint()
    cached = _cache.get(config)
    if cached is not None and cached.fingerprint == fingerprint:
        return cached
    async with _lock:
        cached = _cache.get(config)
        if cached is not None and cached.fingerprint == fingerprint:
            return cached
        data = await load_matching_data()
        snapshot = await asyncio.to_thread(build_snapshot, data, fingerprint, config)
        _cache[config] = snapshot
        return snapshot


def clear_cache() -> None:
    _cache.clear()


# -- use cases ------------------------------------------------------------------------------


@dataclass
class CompanyMatch:
    company_id: int
    company_key: str | None
    company_name: str
    size: str
    score: int  # the calibrated fit, 0..99 (``fit.fit_of``)
    explanation: Explanation

    @property
    def band(self) -> str | None:
        return band_of(self.score)

    @property
    def band_label(self) -> str:
        return BAND_LABELS.get(self.band or "", "")

    def to_dict(self) -> dict:
        return {
            "company_id": self.company_id,
            "company_key": self.company_key,
            "company_name": self.company_name,
            "size": self.size,
            "size_label": SIZE_LABELS.get(self.size, ""),
            "score": self.score,
            "band": self.band,
            "band_label": self.band_label,
            "signals": {
                "coverage": self.explanation.coverage,
                "text": self.explanation.text,
                "track": self.explanation.track,
            },
            "explanation": self.explanation.summary(),
            "details": self.explanation.to_dict(),
        }


@dataclass
class ScenarioMatch:
    scenario_id: int
    scenario_key: str | None
    title: str
    domain: str
    score: int  # the calibrated fit, 0..99
    explanation: Explanation

    @property
    def band(self) -> str | None:
        return band_of(self.score)

    @property
    def band_label(self) -> str:
        return BAND_LABELS.get(self.band or "", "")

    def to_dict(self) -> dict:
        return {
            "scenario_id": self.scenario_id,
            "scenario_key": self.scenario_key,
            "title": self.title,
            "domain": self.domain,
            "score": self.score,
            "band": self.band,
            "band_label": self.band_label,
            "signals": {
                "coverage": self.explanation.coverage,
                "text": self.explanation.text,
                "track": self.explanation.track,
            },
            "explanation": self.explanation.summary(),
            "details": self.explanation.to_dict(),
        }


async def resolve_scenario(ref: str | int) -> int:
    """A scenario's id from its import key or its numeric id; raises ``NotFound``."""
    text = str(ref).strip()
    row = await Scenario.select(Scenario.id).where(Scenario.key == text).first()
    if row is None and text.isdigit() and int(text) < 2**63:
        row = await Scenario.select(Scenario.id).where(Scenario.id == int(text)).first()
    if row is None:
        raise NotFound(f"找不到场景「{text}」（可用导入 key 或编号）")
    return row["id"]


async def resolve_company(ref: str | int) -> int:
    """A company's id from its import key or its numeric id; raises ``NotFound``."""
    text = str(ref).strip()
    row = await Company.select(Company.id).where(Company.key == text).first()
    if row is None and text.isdigit() and int(text) < 2**63:
        row = await Company.select(Company.id).where(Company.id == int(text)).first()
    if row is None:
        raise NotFound(f"找不到企业「{text}」（可用导入 key 或编号）")
    return row["id"]


def _score(value: float) -> int:
    return fit_of(value)


def rank_for_scenario(
    snapshot: Snapshot, scenario_id: int, limit: int | None = 20, *, min_fit: float = RECOMMEND_AT
) -> list[CompanyMatch]:
    """Pure part of ``match_companies``: rank the snapshot's approved companies; those whose
    fit is below ``min_fit`` are left out (0 keeps everyone, for operators' tools)."""
    engine = snapshot.engine
    s = engine.scenario_pos[scenario_id]
    wanted = None if limit is None else limit + SPARE_CANDIDATES
    order, sig = engine.rank_companies(s, company_mask=snapshot.ranked_companies, limit=wanted)
    out: list[CompanyMatch] = []
    for i in order:
        fit = _score(sig.total[i])
        if fit < min_fit or (limit is not None and len(out) >= limit):
            break  # best first: everything after is below too
        company = engine.companies[i]
        why = explain(engine, s, int(i), (float(sig.coverage[i]), float(sig.text[i]), float(sig.track[i])))
        if min_fit > 0 and not why.has_reason:
            continue  # a score with nothing to say for it is not a recommendation
        out.append(CompanyMatch(company.id, company.key, company.name, company.size, fit, why))
    return out


async def match_companies(
    scenario_id: int, *, limit: int = 20, config: MatchConfig | None = None, min_fit: float = RECOMMEND_AT
) -> list[CompanyMatch]:
    """Approved companies best placed to deliver the scenario, best first, each explained;
    only those whose fit reaches ``min_fit`` (the recommendation threshold unless an operator's
    tool asks for everyone), so an empty list means "no sufficient match".

    Raises ``NotFound`` when the scenario does not exist."""
    snapshot = await get_snapshot(config)
    if scenario_id not in snapshot.engine.scenario_pos:
        raise NotFound("场景不存在")
    return rank_for_scenario(snapshot, scenario_id, limit, min_fit=min_fit)


async def recommend_scenarios(
    company_id: int, *, limit: int = 10, config: MatchConfig | None = None
) -> list[ScenarioMatch]:
    """Open scenarios that best fit the company, best first, each explained; empty for a
    company that is not an approved member.

    Scores are the same calibrated fits as ``match_companies``; scenarios below the
    recommendation threshold are never returned, so an empty list means "no sufficient match".
    Raises ``NotFound`` when the company does not exist."""
    snapshot = await get_snapshot(config)
    engine = snapshot.engine
    c = engine.company_pos.get(company_id)
    if c is None:
        if company_id in snapshot.company_status:
            return []  # not an approved member (pending or suspended): nothing is recommended
        raise NotFound("企业不存在")
    rows = np.flatnonzero(snapshot.open_scenarios)
    if len(rows) == 0 or limit <= 0:
        return []
    sig = engine.block_signals(rows)
    coverage, text, track = sig.coverage, sig.text, sig.track
    totals = sig.total[:, c]
    order = np.argsort(-totals, kind="stable")[: limit + SPARE_CANDIDATES]
    out: list[ScenarioMatch] = []
    for j in order:
        fit = _score(totals[j])
        if fit < RECOMMEND_AT or len(out) >= limit:
            break
        s = int(rows[j])
        sc = engine.scenarios[s]
        why = explain(engine, s, c, (float(coverage[j, c]), float(text[j, c]), float(track[j, c])))
        if not why.has_reason:
            continue  # a score with nothing to say for it is not a recommendation
        out.append(ScenarioMatch(sc.id, sc.key, sc.title, sc.domain, fit, why))
    return out


@dataclass
class TeamMember:
    company_id: int
    company_key: str | None
    company_name: str
    size: str
    lead: bool
    covers: list[str]  # capability names
    score: float


@dataclass
class ConsortiumSuggestion:
    scenario_id: int
    needed: bool  # False when one member already covers everything
    min_size: int | None
    teams: list[list[TeamMember]]
    uncoverable: list[str]
    single_cover: list[int]  # company ids that cover every requirement alone (best first)

    def summary(self) -> str:
        if self.min_size is None:
            return "没有会员企业覆盖本场景所需的任何能力。"
        lines = []
        if not self.needed:
            lines.append("已有会员企业可单独覆盖全部所需能力；以下为可选的组队方案。")
        for n, team in enumerate(self.teams, 1):
            parts = [
                f"{m.company_name}（{SIZE_LABELS.get(m.size, m.size)}{'，牵头' if m.lead else ''}）负责"
                f"{'、'.join(m.covers)}"
                for m in team
            ]
            lines.append(f"方案{n}：" + "；".join(parts))
        if self.uncoverable:
            lines.append("暂无会员覆盖：" + "、".join(self.uncoverable))
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "scenario_id": self.scenario_id,
            "needed": self.needed,
            "min_size": self.min_size,
            "teams": [[m.__dict__ for m in team] for team in self.teams],
            "uncoverable": self.uncoverable,
            "single_cover": self.single_cover,
            "summary": self.summary(),
        }


def consortium_for(
    snapshot: Snapshot, scenario_id: int, *, alternatives: int = 3, pool: int = 40
) -> ConsortiumSuggestion:
    """Pure part of ``suggest_consortium``. The pool is the ``pool`` best-scoring approved
    companies that cover at least one requirement, plus the 5 strongest on each requirement;
    the cover is exact (minimum) over that pool."""
    engine = snapshot.engine
    s = engine.scenario_pos[scenario_id]
    scenario = engine.scenarios[s]
    needs = [c for c in scenario.requirements if c in engine.cap_pos]
    sig = engine.scenario_signals(s)
    ranked = snapshot.ranked_companies
    cols = [engine.cap_pos[c] for c in needs]
    credit = engine.credit_t[cols].T if cols else np.zeros((len(engine.companies), 0), np.float32)
    covered = credit >= COVERED_AT
    useful = ranked & covered.any(axis=1) if cols else np.zeros(len(engine.companies), bool)
    chosen = set(np.flatnonzero(useful)[np.argsort(-sig.total[useful], kind="stable")][:pool].tolist())
    for j in range(len(cols)):
        strong = np.flatnonzero(useful & covered[:, j])
        strong = strong[np.argsort(-credit[strong, j], kind="stable")][:5]
        chosen.update(strong.tolist())
    candidates = [
        Candidate(
            int(i),
            frozenset(n for n, ok in zip(needs, covered[i], strict=False) if ok),
            engine.companies[i].size,
            float(sig.total[i]),
        )
        for i in sorted(chosen)
    ]
    plan: ConsortiumPlan = minimum_teams(needs, candidates, alternatives=alternatives)
    single = (
        [
            engine.companies[i].id
            for i in np.flatnonzero(useful & covered.all(axis=1))[
                np.argsort(-sig.total[useful & covered.all(axis=1)], kind="stable")
            ]
        ]
        if cols
        else []
    )
    name = engine.taxonomy.name
    teams = []
    for team in plan.teams:
        teams.append(
            [
                TeamMember(
                    engine.companies[m.company].id,
                    engine.companies[m.company].key,
                    engine.companies[m.company].name,
                    m.size,
                    idx == 0,
                    [name(c) for c in needs if c in m.covers],
                    _score(m.score),
                )
                for idx, m in enumerate(team.members)
            ]
        )
    return ConsortiumSuggestion(
        scenario_id,
        needed=not single,
        min_size=plan.min_size,
        teams=teams,
        uncoverable=[name(c) for c in plan.uncoverable],
        single_cover=single,
    )


async def suggest_consortium(
    scenario_id: int, *, alternatives: int = 3, config: MatchConfig | None = None
) -> ConsortiumSuggestion:
    """The smallest teams of approved members covering the scenario's required capabilities,
    a large firm leading SMEs first, with up to ``alternatives`` other teams of the same size.
    Raises ``NotFound`` when the scenario does not exist."""
    snapshot = await get_snapshot(config)
    if scenario_id not in snapshot.engine.scenario_pos:
        raise NotFound("场景不存在")
    return consortium_for(snapshot, scenario_id, alternatives=alternatives)
