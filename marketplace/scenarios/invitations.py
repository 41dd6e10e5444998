"""Inviting a member company to apply to an open scenario (staff acting on a recommendation)."""

from __future__ import annotations

from marketplace.accounts.tables import User
from marketplace.companies.tables import Company
from marketplace.core.audit import Actor, record
from marketplace.core.db import write_transaction
from marketplace.core.errors import Conflict, NotAllowed, NotFound
from marketplace.notifications.services import Message, notify
from marketplace.scenarios.links import scenario_page
from marketplace.scenarios.tables import Scenario


async def invite_company_to_apply(
    scenario_id: int, company_id: int, actor: Actor, *, actor_department_id: int | None, actor_is_admin: bool
) -> int:
    """Notify every user of an approved company that staff invite it to apply; returns how many
    users were notified (0 when the company was already invited: invitations are sent once).

    Raises NotFound (no such scenario or company), NotAllowed (not the scenario's department
    staff or an admin) and Conflict (the scenario is not open, the company is not approved).
    """
    scenario = (
        await Scenario.select(Scenario.title, Scenario.department, Scenario.status)
        .where(Scenario.id == scenario_id)
        .first()
    )
    if scenario is None:
        raise NotFound("场景不存在。")
    if not actor_is_admin and actor_department_id != scenario["department"]:
        raise NotAllowed("只有发布该场景的部门工作人员可以邀请企业。")
    if scenario["status"] != "open":
        raise Conflict("只有征集中的场景才能邀请企业申报。")
    company = await Company.select(Company.name, Company.status).where(Company.id == company_id).first()
    if company is None:
        raise NotFound("企业不存在。")
    if company["status"] != "approved":
        raise Conflict("只能邀请已审核通过的会员企业。")
    users = [r["id"] for r in await User.select(User.id).where(User.company == company_id)]
    async with write_transaction():
        notified = await notify(
            users,
            Message(
                kind="invitation_to_apply",
                title=f"邀请申报：{scenario['title']}",
                body=f"{company['name']}：部门认为贵企业的能力与场景「{scenario['title']}」相符，欢迎提交方案。",
                link=scenario_page(scenario_id),
            ),
            dedupe_key=f"invite:s{scenario_id}:c{company_id}",
        )
        if notified:
            await record(
                actor,
                "scenario.invite_company",
                "scenario",
                scenario_id,
                after={"company": company_id, "users": len(notified)},
            )
    return len(notified)
