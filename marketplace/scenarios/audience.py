"""Who hears about a scenario: the user ids that a notification about it goes to.

Read-only queries over the accounts and companies tables, plus the companies with proposals as
the proposals domain reports them (an event, since proposals sit above scenarios); only active
users of approved companies (members) or of the scenario's department (staff).
"""

from __future__ import annotations

from marketplace.accounts.tables import User
from marketplace.companies.tables import Company, CompanyCapability
from marketplace.core import events
from marketplace.scenarios.events import ConcernedStaffWanted, ParticipantsWanted
from marketplace.scenarios.tables import Question, Scenario, ScenarioCapability, ScenarioFollow


async def member_users_of(company_ids: set[int]) -> list[int]:
    if not company_ids:
        return []
    approved = await Company.select(Company.id).where(
        Company.id.is_in(sorted(company_ids)) & (Company.status == "approved")
    )
    ids = [r["id"] for r in approved]
    if not ids:
        return []
    rows = await User.select(User.id).where(
        User.company.is_in(ids) & (User.role == "member") & (User.active == True)
    )
    return [r["id"] for r in rows]


async def department_staff(department_id: int, *, cdo_only: bool = False) -> list[int]:
    where = (User.department == department_id) & (User.role == "staff") & (User.active == True)
    if cdo_only:
        where &= User.is_cdo == True
    return [r["id"] for r in await User.select(User.id).where(where)]


async def concerned_staff(scenario_id: int, department_id: int) -> list[int]:
    """Who hears about a new question on the scenario: its department's active staff who run
    scenarios (an evaluator who is not also CDO only evaluates what is assigned to them), and
    the users assigned to this scenario as the later stages report them
    (``ConcernedStaffWanted``: the evaluation's evaluators). Never anyone of another department
    by department, and never admins as such."""
    rows = await User.select(User.id, User.is_cdo, User.is_evaluator).where(
        (User.department == department_id) & (User.role == "staff") & (User.active == True)
    )
    users = {r["id"] for r in rows if r["is_cdo"] or not r["is_evaluator"]}
    assigned: set[int] = set()
    for found in await events.publish(ConcernedStaffWanted(scenario_id)):
        assigned |= found
    if assigned:
        active = await User.select(User.id).where(User.id.is_in(sorted(assigned)) & (User.active == True))
        users |= {r["id"] for r in active}
    return sorted(users)


async def companies_matching(scenario_id: int) -> set[int]:
    """Approved companies declaring at least one of the scenario's required capabilities."""
    caps = [
        r["capability"]
        for r in await ScenarioCapability.select(ScenarioCapability.capability).where(
            ScenarioCapability.scenario == scenario_id
        )
    ]
    if not caps:
        return set()
    rows = await CompanyCapability.select(CompanyCapability.company).where(
        CompanyCapability.capability.is_in(caps) & (CompanyCapability.company.status == "approved")
    )
    return {r["company"] for r in rows}


async def companies_with_proposals(scenario_id: int) -> set[int]:
    """Companies with a draft or submitted proposal on the scenario, consortium members included,
    as the proposals domain reports them (``ParticipantsWanted``)."""
    companies: set[int] = set()
    for found in await events.publish(ParticipantsWanted(scenario_id)):
        companies |= found
    return companies


async def companies_that_asked(scenario_id: int) -> set[int]:
    rows = await Question.select(Question.company).where(
        (Question.scenario == scenario_id) & Question.company.is_not_null()
    )
    return {r["company"] for r in rows}


async def matching_members(scenario_id: int) -> list[int]:
    return await member_users_of(await companies_matching(scenario_id))


async def proposal_holders(scenario_id: int) -> list[int]:
    return await member_users_of(await companies_with_proposals(scenario_id))


async def interested_members(scenario_id: int) -> list[int]:
    """Members who would want a deadline reminder: proposal holders, companies that asked a
    question, and companies whose capabilities match the scenario."""
    companies = (
        (await companies_with_proposals(scenario_id))
        | (await companies_that_asked(scenario_id))
        | (await companies_matching(scenario_id))
    )
    return await member_users_of(companies)


async def scenario_department(scenario_id: int) -> int | None:
    row = await Scenario.select(Scenario.department).where(Scenario.id == scenario_id).first()
    return row["department"] if row else None


async def followers(scenario_id: int) -> list[int]:
    """Active users who follow the scenario (``follows.py``), whatever their role."""
    rows = await ScenarioFollow.select(ScenarioFollow.user).where(
        (ScenarioFollow.scenario == scenario_id) & (ScenarioFollow.user.active == True)
    )
    return [r["user"] for r in rows]


async def with_followers(scenario_id: int, users: list[int]) -> list[int]:
    """``users`` and the scenario's followers (each once)."""
    return sorted(set(users) | set(await followers(scenario_id)))
