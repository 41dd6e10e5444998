"""Figures for the staff dashboard and the public statistics page.

The arithmetic is pure (``median``, ``count_by``, ``sme_participation``, ``chart``) and tested with
small tables; the two loaders read only what their audience may know:

- ``staff_dashboard(department_id)``: a department's scenarios in every status (None: all
  departments, for admins). Proposals of a sealed scenario are not counted before its deadline.
- ``public_statistics()``: published scenarios only; proposal counts only for scenarios whose
  deadline has passed; awards, partners and SME shares only from published results; completed
  pilots only on published results. Nothing internal (scores, shortlists, unpublished decisions).
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass
from typing import Any

from piccolo.columns import ForeignKey

from marketplace.core import clock
from marketplace.evaluation.tables import Pilot, ScenarioOutcome
from marketplace.proposals.status import RECEIVED_STATUSES
from marketplace.proposals.tables import Proposal, ProposalMember
from marketplace.scenarios.status import DOMAINS, PUBLIC_STATUSES, STATUS_LABELS, STATUSES
from marketplace.scenarios.tables import Scenario

RECEIVED = RECEIVED_STATUSES
AWARDED_PUBLIC = ("awarded", "piloting", "completed")


# --------------------------------------------------------------------------------------------
# Pure helpers


def median(values: list[float]) -> float | None:
    """The median, or None for no values."""
    return statistics.median(values) if values else None


def days_between(start: dt.datetime | None, end: dt.datetime | None) -> int | None:
    """Whole days from ``start`` to ``end`` (None if either is missing)."""
    if start is None or end is None:
        return None
    return (end - start).days


def count_by(rows: list[dict], key: str, order: tuple[str, ...], labels: dict | None = None) -> list[dict]:
    """Counts of ``row[key]`` in ``order`` (values outside it are ignored), every value listed."""
    counts = dict.fromkeys(order, 0)
    for r in rows:
        if r[key] in counts:
            counts[r[key]] += 1
    return [{"key": k, "label": (labels or {}).get(k, k), "count": n} for k, n in counts.items()]


def share(part: int, whole: int) -> float | None:
    """``part / whole`` as a percentage with one decimal, None when ``whole`` is 0."""
    return round(100 * part / whole, 1) if whole else None


def sme_participation(proposals: list[dict]) -> dict:
    """SME participation in ``proposals`` ({"lead_size", "members": [{"company", "size"}]}, the
    members being the accepted non-lead ones): how many have an SME lead or SME member, the share,
    and the SMEs brought along by large leads (distinct companies, and the proposals doing it)."""
    with_sme = 0
    brought: set[int] = set()
    large_with_sme = 0
    for p in proposals:
        member_smes = {m["company"] for m in p["members"] if m["size"] == "sme"}
        if p["lead_size"] == "sme" or member_smes:
            with_sme += 1
        if p["lead_size"] == "large" and member_smes:
            large_with_sme += 1
            brought |= member_smes
    return {
        "total": len(proposals),
        "with_sme": with_sme,
        "share": share(with_sme, len(proposals)),
        "smes_brought_by_large": len(brought),
        "large_leads_with_sme": large_with_sme,
    }


def chart(
    kind: str, labels: list[str], datasets: list[tuple[str, list]], *, horizontal: bool = False
) -> dict:
    """The JSON a chart's data block carries; static/js/charts.js draws it with Chart.js."""
    return {
        "type": kind,
        "labels": labels,
        "horizontal": horizontal,
        "datasets": [{"label": label, "data": data} for label, data in datasets],
    }


# --------------------------------------------------------------------------------------------
# Reads


async def _proposals_of(where) -> list[dict]:
    """Received proposals matching ``where`` with their lead's size and accepted members."""
    rows = await Proposal.select(Proposal.id, Proposal.scenario, Proposal.company.size).where(
        where & Proposal.status.is_in(list(RECEIVED)) & Proposal.submitted_at.is_not_null()
    )
    ids = [r["id"] for r in rows]
    members = (
        await ProposalMember.select(
            ProposalMember.proposal,
            ProposalMember.company,
            ProposalMember.company.size,
        ).where(
            ProposalMember.proposal.is_in(ids)
            & (ProposalMember.status == "accepted")
            & (ProposalMember.is_lead == False)
        )
        if ids
        else []
    )
    by_proposal: dict[int, list[dict]] = {}
    for m in members:
        by_proposal.setdefault(m["proposal"], []).append({"company": m["company"], "size": m["company.size"]})
    return [
        {
            "id": r["id"],
            "scenario": r["scenario"],
            "lead_size": r["company.size"],
            "members": by_proposal.get(r["id"], []),
        }
        for r in rows
    ]


def _unsealed(now: dt.datetime):
    """Scenarios whose proposals may be counted: not sealed, or sealed with the deadline passed."""
    return (Scenario.sealed == False) | (Scenario.proposal_deadline <= now)


@dataclass(frozen=True)
class ReceivedCount:
    """How many proposals a scenario has received (None while sealed), on the staff dashboard."""

    id: int
    title: str
    status_label: str
    count: int | None


@dataclass(frozen=True)
class AwardDuration:
    """Days from a scenario's opening to its award, on the staff dashboard."""

    id: int
    title: str
    days: int | None
    opened_at: dt.datetime
    awarded_at: dt.datetime


@dataclass(frozen=True)
class StaffDashboard:
    """A department's figures (or every department's) on the staff dashboard."""

    total_scenarios: int
    by_status: list[dict]
    by_domain: list[dict]
    received: list[ReceivedCount]
    award_days: list[AwardDuration]
    median_award_days: float | None
    sme: dict
    charts: dict[str, dict[str, Any]]


async def staff_dashboard(department_id: int | None) -> StaffDashboard:
    """The department's figures (``None``: every department, for admins)."""
    now = clock.now()
    query = Scenario.select(
        Scenario.id,
        Scenario.title,
        Scenario.status,
        Scenario.domain,
        Scenario.sealed,
        Scenario.proposal_deadline,
        Scenario.opened_at,
        Scenario.awarded_at,
    )
    if department_id is not None:
        query = query.where(Scenario.department == department_id)
    scenarios = await query.order_by(Scenario.opened_at).order_by(Scenario.id)
    scope = [s["id"] for s in scenarios]
    proposals = []
    if scope:
        countable = Scenario.select(Scenario.id).where(Scenario.id.is_in(scope) & _unsealed(now))
        proposals = await _proposals_of(Proposal.scenario.is_in(countable))
    per_scenario: dict[int, int] = {}
    for p in proposals:
        per_scenario[p["scenario"]] = per_scenario.get(p["scenario"], 0) + 1

    received_rows = []
    for s in scenarios:
        if s["opened_at"] is None or s["status"] in ("draft", "in_review", "changes_requested"):
            continue
        sealed_now = s["sealed"] and (s["proposal_deadline"] is None or s["proposal_deadline"] > now)
        received_rows.append(
            ReceivedCount(
                id=s["id"],
                title=s["title"],
                status_label=STATUS_LABELS[s["status"]],
                count=None if sealed_now else per_scenario.get(s["id"], 0),
            )
        )
    award_rows = [
        AwardDuration(
            id=s["id"],
            title=s["title"],
            days=days_between(s["opened_at"], s["awarded_at"]),
            opened_at=s["opened_at"],
            awarded_at=s["awarded_at"],
        )
        for s in scenarios
        if s["awarded_at"] and s["opened_at"]
    ]
    by_status = [r for r in count_by(scenarios, "status", STATUSES, STATUS_LABELS) if r["count"]]
    by_domain = count_by(scenarios, "domain", DOMAINS)
    sme = sme_participation(proposals)
    counted = [r for r in received_rows if r.count is not None]
    return StaffDashboard(
        total_scenarios=len(scenarios),
        by_status=by_status,
        by_domain=by_domain,
        received=received_rows,
        award_days=award_rows,
        median_award_days=median([r.days for r in award_rows if r.days is not None]),
        sme=sme,
        charts={
            "status": chart(
                "bar", [r["label"] for r in by_status], [("场景数", [r["count"] for r in by_status])]
            ),
            "domain": chart(
                "doughnut", [r["label"] for r in by_domain], [("场景数", [r["count"] for r in by_domain])]
            ),
            "received": chart(
                "bar",
                [r.title for r in counted],
                [("方案数", [r.count for r in counted])],
                horizontal=True,
            ),
            "award_days": chart(
                "bar",
                [r.title for r in award_rows],
                [("天数", [r.days for r in award_rows])],
                horizontal=True,
            ),
            "sme": chart(
                "doughnut",
                ["有中小企业参与", "无中小企业参与"],
                [("方案数", [sme["with_sme"], sme["total"] - sme["with_sme"]])],
            ),
        },
    )


@dataclass(frozen=True)
class AwardPartner:
    """A company of a published winning proposal (lead first), as the public statistics list it."""

    id: int
    name: str
    size: str
    is_lead: bool


@dataclass(frozen=True)
class PublicAward:
    """A published award on the public statistics page: the scenario and its partners."""

    scenario_id: int
    title: str
    domain: str
    status_label: str
    published_at: dt.datetime
    partners: list[AwardPartner]
    with_sme: bool


@dataclass(frozen=True)
class CompletedPilot:
    """A completed pilot on a published result, as the public statistics list it."""

    scenario: int
    scenario_title: str
    completed_at: dt.datetime | None
    lead_name: str


@dataclass(frozen=True)
class PublicStatistics:
    """The programme's open figures on the public statistics page (tables and chart data)."""

    published_scenarios: int
    by_domain: list[dict]
    by_status: list[dict]
    closed_scenarios: int
    received_total: int
    received_by_domain: list[dict]
    awards: list[PublicAward]
    sme_awards: int
    sme_award_share: float | None
    completed_pilots: list[CompletedPilot]
    charts: dict[str, dict[str, Any]]


async def _partners(proposal_ids: list[int]) -> dict[int, list[AwardPartner]]:
    if not proposal_ids:
        return {}
    rows = (
        await ProposalMember.select(
            ProposalMember.proposal,
            ProposalMember.company,
            ProposalMember.company.name,
            ProposalMember.company.size,
            ProposalMember.is_lead,
        )
        .where(ProposalMember.proposal.is_in(proposal_ids) & (ProposalMember.status == "accepted"))
        .order_by(ProposalMember.is_lead, ascending=False)
        .order_by(ProposalMember.id)
    )
    out: dict[int, list[AwardPartner]] = {}
    for r in rows:
        out.setdefault(r["proposal"], []).append(
            AwardPartner(
                id=r["company"], name=r["company.name"], size=r["company.size"], is_lead=r["is_lead"]
            )
        )
    return out


async def public_statistics() -> PublicStatistics:
    """The programme's open figures (see the module docstring for what is left out)."""
    now = clock.now()
    public = await Scenario.select(Scenario.id, Scenario.domain, Scenario.public_status).where(
        Scenario.public_status.is_not_null()
    )
    by_domain = count_by(public, "domain", DOMAINS)
    by_status = [r for r in count_by(public, "public_status", PUBLIC_STATUSES, STATUS_LABELS) if r["count"]]

    past_deadline = Scenario.select(Scenario.id).where(
        Scenario.public_status.is_not_null()
        & (Scenario.public_status != "open")
        & (Scenario.proposal_deadline <= now)
    )
    closed = await Scenario.select(Scenario.id, Scenario.domain).where(Scenario.id.is_in(past_deadline))
    received = await _proposals_of(Proposal.scenario.is_in(past_deadline))
    domain_of = {s["id"]: s["domain"] for s in closed}
    received_by_domain = dict.fromkeys(DOMAINS, 0)
    for p in received:
        received_by_domain[domain_of[p["scenario"]]] += 1

    outcomes = (
        await ScenarioOutcome.select(
            ScenarioOutcome.scenario,
            ScenarioOutcome.scenario.title,
            ScenarioOutcome.scenario.domain,
            ScenarioOutcome.scenario.public_status,
            ScenarioOutcome.selected_proposal,
            ScenarioOutcome.published_at,
        )
        .where(
            (ScenarioOutcome.result == "awarded")
            & ScenarioOutcome.published_at.is_not_null()
            & ScenarioOutcome.selected_proposal.is_not_null()
            & ScenarioOutcome.scenario.public_status.is_in(list(AWARDED_PUBLIC))
            & ScenarioOutcome.scenario.result_published_at.is_not_null()
        )
        .order_by(ScenarioOutcome.published_at, ascending=False)
    )
    partners = await _partners([o["selected_proposal"] for o in outcomes])
    awards = []
    for o in outcomes:
        team = partners.get(o["selected_proposal"], [])
        awards.append(
            PublicAward(
                scenario_id=o["scenario"],
                title=o["scenario.title"],
                domain=o["scenario.domain"],
                status_label=STATUS_LABELS[o["scenario.public_status"]],
                published_at=o["published_at"],
                partners=team,
                with_sme=any(p.size == "sme" for p in team),
            )
        )
    sme_awards = sum(1 for a in awards if a.with_sme)

    lead = Pilot.proposal.company
    assert isinstance(lead, ForeignKey)  # joined foreign key (Piccolo types it Column | Any)
    pilots = (
        await Pilot.select(
            Pilot.scenario,
            Pilot.scenario.title,
            Pilot.completed_at,
            lead.name,
        )
        .where(
            (Pilot.status == "completed")
            & Pilot.scenario.result_published_at.is_not_null()
            & Pilot.scenario.public_status.is_not_null()
        )
        .order_by(Pilot.completed_at, ascending=False)
    )

    return PublicStatistics(
        published_scenarios=len(public),
        by_domain=by_domain,
        by_status=by_status,
        closed_scenarios=len(closed),
        received_total=len(received),
        received_by_domain=[{"label": d, "count": received_by_domain[d]} for d in DOMAINS],
        awards=awards,
        sme_awards=sme_awards,
        sme_award_share=share(sme_awards, len(awards)),
        completed_pilots=[
            CompletedPilot(
                scenario=p["scenario"],
                scenario_title=p["scenario.title"],
                completed_at=p["completed_at"],
                lead_name=p["proposal.company.name"],
            )
            for p in pilots
        ],
        charts={
            "domain": chart("doughnut", list(DOMAINS), [("场景数", [r["count"] for r in by_domain])]),
            "status": chart(
                "bar", [r["label"] for r in by_status], [("场景数", [r["count"] for r in by_status])]
            ),
            "received": chart("bar", list(DOMAINS), [("方案数", [received_by_domain[d] for d in DOMAINS])]),
            "sme": chart(
                "doughnut",
                ["有中小企业参与", "无中小企业参与"],
                [("已公布的选定结果", [sme_awards, len(awards) - sme_awards])],
            ),
        },
    )
