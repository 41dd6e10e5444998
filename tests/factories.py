"""Small factories: each sets only what a test is about; everything else gets a sane default."""

from __future__ import annotations

import itertools

from marketplace.companies.tables import Company
from marketplace.departments.tables import Department
from marketplace.scenarios.tables import Scenario, ScenarioCapability, ScenarioCriterion
from marketplace.taxonomy.tables import Capability

_seq = itertools.count(1)


async def make_department(**values) -> int:
    n = next(_seq)
    row = Department(key=values.pop("key", f"dept-{n}"), name=values.pop("name", f"测试部门{n}"), **values)
    await row.save()
    return row.id


async def make_capability(parent: int | None = None, **values) -> int:
    n = next(_seq)
    row = Capability(
        key=values.pop("key", f"cap-{n}"), name=values.pop("name", f"能力{n}"), parent=parent, **values
    )
    await row.save()
    return row.id


async def make_company(**values) -> int:
    n = next(_seq)
    row = Company(
        name=values.pop("name", f"测试企业{n}有限公司"), status=values.pop("status", "approved"), **values
    )
    await row.save()
    return row.id


async def make_scenario(
    status: str = "draft",
    *,
    criteria=((("方案", 60), ("成本", 40))),
    capabilities: list[tuple[int, int]] | None = None,
    **values,
) -> int:
    """A scenario in ``status`` with valid weights (criteria 60/40 unless given).

    It is inserted as a draft and then moved, as the database only lets a scenario leave the
    draft states once its weights add up.
    """
    department = values.pop("department", None) or await make_department()
    row = Scenario(
        title=values.pop("title", "测试场景"),
        domain=values.pop("domain", "一网通办"),
        department=department,
        status="draft",
        **values,
    )
    await row.save()
    for pos, (name, weight) in enumerate(criteria):
        await ScenarioCriterion.insert(
            ScenarioCriterion(scenario=row.id, name=name, weight=weight, position=pos)
        )
    for cap, weight in capabilities or []:
        await ScenarioCapability.insert(ScenarioCapability(scenario=row.id, capability=cap, weight=weight))
    if status != "draft":
        await Scenario.update({Scenario.status: status}).where(Scenario.id == row.id)
    return row.id


async def make_proposal(
    scenario: int | None = None,
    company: int | None = None,
    *,
    status: str = "draft",
    members: list[tuple[int, int, str]] | None = None,
    lead_share: int | None = None,
    **values,
) -> int:
    """A proposal of ``company`` (the lead; a new approved company if None) on ``scenario`` (a new
    open scenario if None), in ``status``, with its lead member row (accepted).

    ``members``: other consortium members as (company id, work share, member status); the lead's
    share is ``lead_share`` or whatever makes the shares add up to 100. A submitted-like status
    gets a receipt number, version 1 and ``submitted_at`` unless given.
    """
    import datetime as dt

    from marketplace.core import clock
    from marketplace.proposals.tables import Proposal, ProposalMember

    if scenario is None:
        soon = clock.now() + dt.timedelta(days=20)
        scenario = await make_scenario(
            "open", proposal_deadline=soon, public_status="open", opened_at=clock.now()
        )
    if company is None:
        company = await make_company()
    members = members or []
    n = next(_seq)
    if status not in ("draft",):
        values.setdefault("number", f"SYQ-TEST-{n:06d}")
        values.setdefault("version", 1)
        values.setdefault("submitted_at", clock.now())
    row = Proposal(
        scenario=scenario,
        company=company,
        status=status,
        summary=values.pop("summary", f"测试方案{n}"),
        **values,
    )
    await row.save()
    share = lead_share if lead_share is not None else max(0, 100 - sum(s for _, s, _ in members))
    await ProposalMember.insert(
        ProposalMember(
            proposal=row.id,
            company=company,
            role="牵头单位",
            work_share=share,
            status="accepted",
            is_lead=True,
        )
    )
    for other, work_share, member_status in members:
        await ProposalMember.insert(
            ProposalMember(
                proposal=row.id, company=other, role="成员单位", work_share=work_share, status=member_status
            )
        )
    return row.id
