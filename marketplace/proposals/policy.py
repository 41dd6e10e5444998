"""Who may see which proposal: the one place that says it (the proposals domain's policy), as
query conditions and as the staff scope the search index applies.

Every route that shows proposals (member pages and API, staff pages, attachment downloads,
exports, search and its database fallback) filters with ``proposal_visibility_condition(user)``
or the helpers below, so the rules hold in queries, not only in templates.

The rules (``now`` is ``marketplace.core.clock.now()``):

* **Members** (approved or not) see the proposals of their own company: those it leads and those
  it was invited to join as a consortium member while the invitation is open (``invited``, so it
  can decide) or ``accepted``. A company that **declined** loses access. Any status, drafts
  included (a consortium prepares the draft together).
* **Staff** (evaluators included; their assignment and conflict rules live with evaluation) see
  the proposals of their own department's scenarios, **never drafts**. For a **sealed** scenario
  (``Scenario.sealed``) nothing at all before its ``proposal_deadline`` (a sealed scenario without
  a deadline stays sealed). For other scenarios, submitted proposals are visible before the
  deadline (read only). **Withdrawn** proposals are visible whenever the scenario's other
  proposals are, shown with their status ``withdrawn`` (so staff can account for every number
  issued); they are not judged.
* **Association admins**: like staff, for every department (sealed scenarios stay sealed until
  the deadline for them too).
* **Conflicts of interest**: a staff user or admin who declared (or was flagged with) a conflict
  on a proposal in evaluation does not see that proposal anywhere, whatever the rules above say.
* **Anonymous** callers, staff without a department and anyone else: nothing. The public never
  sees proposals; the published outcome is shown by the evaluation module.

Search (``marketplace.search``) covers the staff side: ``staff_scope(user)`` states the rule in
terms the index can apply (department, the seal, the conflicts), ``proposal_visibility_condition``
builds the database condition from the same scope, and a test checks that both find the same
proposals for every role. Members list their own proposals (drafts included, which are never
indexed) through the database only.

Callers that must not reveal whether a proposal exists (``get_visible_proposal``) raise
``NotFound`` for "absent" and "not yours" alike.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from marketplace.core import clock
from marketplace.core.errors import NotFound
from marketplace.core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page
from marketplace.proposals.tables import ConflictDeclaration, Proposal, ProposalMember
from marketplace.scenarios.tables import Scenario

MEMBER_ACCESS_STATUSES = ("invited", "accepted")  # a company that declined loses access
NOT_FOUND_MESSAGE = "方案不存在或您无权查看。"
SEALED_NOTICE = "本场景为密封征集，截止前不可查看方案。"


def _is_staff_like(user) -> bool:
    return bool(getattr(user, "is_staff", False) or getattr(user, "is_admin", False))


def _member_condition(company_id: int):
    invited_or_accepted = ProposalMember.select(ProposalMember.proposal).where(
        (ProposalMember.company == company_id) & ProposalMember.status.is_in(list(MEMBER_ACCESS_STATUSES))
    )
    return (Proposal.company == company_id) | Proposal.id.is_in(invited_or_accepted)


@dataclass(frozen=True)
class StaffScope:
    """What a staff user or admin may see of proposals, in terms that both the database and the
    search index apply: never drafts; only the scenarios of ``department_id`` (None: every
    department, for admins); a sealed scenario's proposals only from its deadline (never for a
    sealed scenario without one); never the proposals in ``excluded`` (declared conflicts)."""

    department_id: int | None
    excluded: tuple[int, ...] = ()


def unsealed_scenarios_condition(now=None):
    """Scenarios whose proposals staff may read now: not sealed, or sealed and past the deadline."""
    now = now or clock.now()
    return (Scenario.sealed == False) | (Scenario.proposal_deadline <= now)


def staff_scenarios_condition(user, now=None):
    """The scenarios whose (non-draft) proposals ``user`` may read now, or None for none."""
    if getattr(user, "is_admin", False):
        return unsealed_scenarios_condition(now)
    if getattr(user, "is_staff", False) and getattr(user, "department_id", None):
        return (Scenario.department == user.department_id) & unsealed_scenarios_condition(now)
    return None


def _conflicted_proposals(user_id: int):
    # Evaluation records the declarations; this rule reads them so that it covers every route
    # (lists, detail, downloads, exports, search and its fallback).
    return ConflictDeclaration.select(ConflictDeclaration.proposal).where(
        (ConflictDeclaration.evaluator == user_id) & (ConflictDeclaration.conflicted == True)
    )


def not_conflicted_condition(user_id: int | None):
    """A where clause on ``Proposal`` leaving out the proposals ``user_id`` is conflicted on."""
    if user_id is None:
        return Proposal.id.is_not_null()
    return Proposal.id.not_in(_conflicted_proposals(user_id))


async def conflicted_proposal_ids(user) -> list[int]:
    """The proposals a staff user or admin is conflicted on."""
    user_id = getattr(user, "id", None)
    if user_id is None or not _is_staff_like(user):
        return []
    return sorted({r["proposal"] for r in await _conflicted_proposals(user_id)})


async def staff_scope(user) -> StaffScope | None:
    """The staff-side rule for ``user``, or None when the user sees no proposal through it
    (anonymous callers, members, staff without a department)."""
    if getattr(user, "is_admin", False):
        return StaffScope(None, tuple(await conflicted_proposal_ids(user)))
    if getattr(user, "is_staff", False) and getattr(user, "department_id", None):
        return StaffScope(int(user.department_id), tuple(await conflicted_proposal_ids(user)))
    return None


def proposal_visibility_condition(user, now: dt.datetime | None = None):
    """A Piccolo where clause on ``Proposal`` limiting rows to those ``user`` may see, or None when
    the user may see no proposal at all (callers then return nothing without a query). For staff
    and admins it is ``StaffScope`` as a query (conflicts as a sub-select, read at query time)."""
    if getattr(user, "is_member", False):
        company_id = getattr(user, "company_id", None)
        return _member_condition(company_id) if company_id else None
    scenarios = staff_scenarios_condition(user, now)
    if scenarios is None:
        return None
    return (
        (Proposal.status != "draft")
        & Proposal.scenario.is_in(Scenario.select(Scenario.id).where(scenarios))
        & not_conflicted_condition(getattr(user, "id", None))
    )


def is_sealed_now(scenario: dict, now=None) -> bool:
    """True when ``scenario`` (a row with ``sealed`` and ``proposal_deadline``) hides its proposals
    from staff at this moment."""
    if not scenario.get("sealed"):
        return False
    deadline = scenario.get("proposal_deadline")
    return deadline is None or deadline > (now or clock.now())


def _reads_department(user, department_id: int | None) -> bool:
    """Admins read every department's proposals, staff their own department's."""
    if getattr(user, "is_admin", False):
        return True
    own = getattr(user, "department_id", None)
    return bool(getattr(user, "is_staff", False) and own and department_id == own)


def may_see_scenario_proposals(user, scenario: dict, now=None) -> bool:
    """Whether a staff user or admin may read ``scenario``'s proposals now (department and seal)."""
    return _reads_department(user, scenario.get("department")) and not is_sealed_now(scenario, now)


async def get_scenario_for_proposals(user, scenario_id: int, now=None) -> dict:
    """The scenario whose proposals a staff user (own department) or admin (any) is looking at,
    with ``sealed_now`` (its proposals are hidden at this moment). ``NotFound`` for a scenario of
    another department or a missing one, alike."""
    row = (
        await Scenario.select(
            Scenario.id,
            Scenario.title,
            Scenario.status,
            Scenario.department,
            Scenario.department.name,
            Scenario.sealed,
            Scenario.proposal_deadline,
        )
        .where(Scenario.id == scenario_id)
        .first()
    )
    if row is None or not _reads_department(user, row["department"]):
        raise NotFound("场景不存在。")
    row["sealed_now"] = is_sealed_now(row, now)
    return row


PROPOSAL_COLUMNS = (
    Proposal.id,
    Proposal.number,
    Proposal.status,
    Proposal.scenario,
    Proposal.scenario.title,
    Proposal.scenario.department,
    Proposal.scenario.sealed,
    Proposal.scenario.proposal_deadline,
    Proposal.company,
    Proposal.company.name,
    Proposal.company.size,
    Proposal.summary,
    Proposal.needs_confirmation,
    Proposal.version,
    Proposal.content_hash,
    Proposal.created_at,
    Proposal.updated_at,
    Proposal.submitted_at,
    Proposal.withdrawn_at,
    Proposal.outcome_published,
)


async def attach_consortium(rows: list[dict]) -> list[dict]:
    """Adds ``members`` to each proposal row: its consortium (lead first) with company name, size
    (``is_sme``), role, work share and answer. A proposal without member rows lists its lead."""
    from marketplace.companies.tables import Company

    if not rows:
        return rows
    ids = [r["id"] for r in rows]
    members = (
        await ProposalMember.select(
            ProposalMember.proposal,
            ProposalMember.company,
            ProposalMember.company.name,
            ProposalMember.company.size,
            ProposalMember.role,
            ProposalMember.work_share,
            ProposalMember.status,
            ProposalMember.is_lead,
        )
        .where(ProposalMember.proposal.is_in(ids))
        .order_by(ProposalMember.is_lead, ascending=False)
        .order_by(ProposalMember.id)
    )
    by_proposal: dict[int, list[dict]] = {}
    for m in members:
        by_proposal.setdefault(m["proposal"], []).append(
            {
                "company_id": m["company"],
                "name": m["company.name"],
                "is_sme": m["company.size"] == "sme",
                "role": m["role"],
                "work_share": m["work_share"],
                "status": m["status"],
                "is_lead": m["is_lead"],
            }
        )
    lead_ids = {r["company"] for r in rows}
    sizes = {
        c["id"]: c
        for c in await Company.select(Company.id, Company.name, Company.size).where(
            Company.id.is_in(list(lead_ids))
        )
    }
    for r in rows:
        listed = by_proposal.get(r["id"], [])
        if not any(m["company_id"] == r["company"] for m in listed):
            lead = sizes.get(r["company"], {})
            listed.insert(
                0,
                {
                    "company_id": r["company"],
                    "name": lead.get("name", ""),
                    "is_sme": lead.get("size") == "sme",
                    "role": "",
                    "work_share": None,
                    "status": "accepted",
                    "is_lead": True,
                },
            )
        r["members"] = listed
    return rows


async def list_visible_proposals(
    user,
    *,
    scenario_id: int | None = None,
    status: str | None = None,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
    now=None,
    with_consortium: bool = True,
) -> Page[dict]:
    """The proposals ``user`` may see (newest submission first, then newest created), optionally of
    one scenario and one status, one page of them. Each item is a dict of ``PROPOSAL_COLUMNS``
    (plus ``members`` unless ``with_consortium`` is false)."""
    page = max(1, min(int(page), 10_000))
    page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    where = proposal_visibility_condition(user, now)
    if where is None:
        return Page(items=[], total=0, page=page, page_size=page_size)
    if scenario_id is not None:
        where &= Proposal.scenario == scenario_id
    if status is not None:
        where &= Proposal.status == status
    total = await Proposal.count().where(where)
    rows = (
        await Proposal.select(*PROPOSAL_COLUMNS)
        .where(where)
        .order_by(Proposal.submitted_at, ascending=False)
        .order_by(Proposal.id, ascending=False)
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    if with_consortium:
        await attach_consortium(rows)
    return Page(items=rows, total=total, page=page, page_size=page_size)


async def all_visible_proposals(user, *, scenario_id: int, now=None) -> list[dict]:
    """Every proposal of one scenario that ``user`` may see, with consortium (for exports)."""
    where = proposal_visibility_condition(user, now)
    if where is None:
        return []
    rows = (
        await Proposal.select(*PROPOSAL_COLUMNS)
        .where(where & (Proposal.scenario == scenario_id))
        .order_by(Proposal.submitted_at)
        .order_by(Proposal.id)
    )
    return await attach_consortium(rows)


async def get_visible_proposal(user, proposal_id: int, now=None) -> dict:
    """The proposal row (``PROPOSAL_COLUMNS`` and all content fields, plus ``members``) if ``user``
    may see it. Raises ``NotFound`` otherwise, with the same message as for a missing id."""
    where = proposal_visibility_condition(user, now)
    if where is None:
        raise NotFound(NOT_FOUND_MESSAGE)
    row = (
        await Proposal.select(
            *PROPOSAL_COLUMNS,
            Proposal.understanding,
            Proposal.approach,
            Proposal.capability_answers,
            Proposal.data_needs,
            Proposal.team,
            Proposal.timeline,
            Proposal.cost_estimate,
            Proposal.pilot_plan,
            Proposal.success_indicators,
            Proposal.declaration_accepted,
            Proposal.disclose_name,
        )
        .where(where & (Proposal.id == proposal_id))
        .first()
        .output(load_json=True)
    )
    if row is None:
        raise NotFound(NOT_FOUND_MESSAGE)
    await attach_consortium([row])
    return row


async def can_see_proposal(user, proposal_id: int, now=None) -> bool:
    where = proposal_visibility_condition(user, now)
    if where is None:
        return False
    return await Proposal.exists().where(where & (Proposal.id == proposal_id))
