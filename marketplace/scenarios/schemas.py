"""msgspec shapes of scenarios at the edge (pages and API alike)."""

from __future__ import annotations

import datetime as dt

import msgspec

from marketplace.departments.schemas import DepartmentRef
from marketplace.taxonomy.schemas import CapabilityRef


class RequiredCapability(msgspec.Struct):
    capability: CapabilityRef
    weight: int


class Criterion(msgspec.Struct):
    name: str
    description: str
    weight: int


class PublicQuestion(msgspec.Struct):
    """A published clarification; the asking company is never named."""

    question: str
    answer: str
    asked_at: dt.datetime
    answered_at: dt.datetime | None


class ChangeLogEntry(msgspec.Struct):
    kind: str
    reason: str
    created_at: dt.datetime


class ResultCompany(msgspec.Struct):
    """A company of the selected partner's consortium (the lead first), as published."""

    id: int
    name: str
    is_sme: bool
    is_lead: bool
    role: str
    work_share: int  # percent
    profile_public: bool  # the company publishes its profile (/companies/{id})


class RankedApplicant(msgspec.Struct):
    """A shortlisted proposal in the published ranking: named only where the company agreed
    (or it is the selected partner, named anyway), else 申报方 A, B, …"""

    rank: int | None  # None: not scored
    label: str  # the company's name, or 申报方 X
    named: bool
    selected: bool


class PublishedResult(msgspec.Struct):
    """The published outcome of a scenario: the selected partner, or no partner with the reason,
    and (as Prozorro publishes them) how many proposals were received and found eligible, the
    ranking of the shortlisted ones, the award amount (the selected proposal's price) and the
    objection (质疑) window with how many objections were lodged and answered. Present only after
    staff publish the result; scores, evaluators and unshortlisted proposals never are part of
    it (the ranking gives places, not points)."""

    result: str  # awarded | unsuccessful
    result_label: str
    published_at: dt.datetime
    reason: str  # why no partner was selected (unsuccessful only)
    partner: ResultCompany | None  # the lead company of the selected proposal
    consortium: list[ResultCompany]
    received: int = 0
    eligible: int = 0
    ranking: list[RankedApplicant] = []
    award_amount: int | None = None  # yuan
    objection_days: int = 0
    objection_deadline: dt.datetime | None = None
    objections_open: bool = False  # may applicants still object
    objections_lodged: int = 0
    objections_answered: int = 0


class ScenarioSummary(msgspec.Struct):
    id: int
    key: str | None
    title: str
    summary: str
    domain: str
    department: DepartmentRef
    status: str  # the public status
    status_label: str
    proposal_deadline: dt.datetime | None
    budget_min: int | None
    budget_max: int | None
    pilot_months: int | None
    opened_at: dt.datetime | None
    capabilities: list[CapabilityRef]


class ScenarioDetail(msgspec.Struct):
    id: int
    key: str | None
    title: str
    summary: str
    description: str
    expected_outcome: str
    target_users: str
    data_offered: str
    resources_offered: str
    domain: str
    department: DepartmentRef
    cdo_name: str
    cdo_title: str
    status: str
    status_label: str
    sealed: bool
    budget_min: int | None
    budget_max: int | None
    pilot_months: int | None
    question_deadline: dt.datetime | None
    proposal_deadline: dt.datetime | None
    opened_at: dt.datetime | None
    required_capabilities: list[RequiredCapability]
    tags: list[str]
    criteria: list[Criterion]
    questions: list[PublicQuestion]
    change_log: list[ChangeLogEntry]
    cancel_reason: str
    # After the result is published; filled in by ``pages.reads`` from evaluation, which owns it.
    result: PublishedResult | None = None
