"""Conflicts of interest: each assigned evaluator declares, for every proposal under review,
whether he is conflicted and how (his own words). He cannot score before declaring, and a
conflicted evaluator can neither see nor score that proposal.

The system flags the obvious cases itself, on the proposal's lead and accepted consortium members:

* a company the evaluator registered as an affiliation (``EvaluatorAffiliation``: former
  employer, relative's company...), and
* a company the evaluator declared a conflict with in another scenario.

A flagged proposal is declared conflicted with ``system_flag`` saying why, whatever the
evaluator answers, and stays so: nobody can clear a system flag once it is declared (removing
the affiliation afterwards does not either). A wrong affiliation is removed *before* declaring;
a wrongly flagged evaluator is replaced by the managers (unassigned, another one assigned).
Declarations can be changed until the evaluator submits his scores; declaring a conflict on a
proposal drops his draft scores on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from piccolo.columns import Column

from marketplace.companies.tables import Company
from marketplace.core import clock
from marketplace.core.audit import Actor, record
from marketplace.core.db import for_update, write_transaction
from marketplace.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from marketplace.evaluation.assignments import (
    EVALUATION_STATUSES,
    reviewed_proposals,
)
from marketplace.evaluation.policy import get_scenario, person
from marketplace.evaluation.tables import EvaluationScore, EvaluatorAffiliation, EvaluatorAssignment
from marketplace.proposals.tables import ConflictDeclaration, ProposalMember

AFFILIATION_RELATIONS = {  # the values the database accepts
    "former_employer": "原任职单位",
    "current_employer": "现任职或兼职单位",
    "shareholder": "持股或投资",
    "family": "亲属任职",
    "other": "其他关系",
}
NOT_ASSIGNED = "您不是本场景的评审专家。"
CONFLICTED = "您已就该方案声明利益冲突，需回避，不能查看或评分。"


@dataclass(frozen=True)
class ConflictAnswer:
    proposal_id: int
    conflicted: bool
    relation: str = ""


async def proposal_companies(proposal_ids: list[int]) -> dict[int, list[dict]]:
    """proposal id -> its lead and accepted consortium members: {company, name, is_lead}."""
    if not proposal_ids:
        return {}
    rows = (
        await ProposalMember.select(
            ProposalMember.proposal,
            ProposalMember.company,
            ProposalMember.company.name,
            ProposalMember.is_lead,
            ProposalMember.role,
        )
        .where(
            ProposalMember.proposal.is_in(proposal_ids)
            & ((ProposalMember.status == "accepted") | (ProposalMember.is_lead == True))
        )
        .order_by(ProposalMember.is_lead, ascending=False)
        .order_by(ProposalMember.id)
    )
    out: dict[int, list[dict]] = {p: [] for p in proposal_ids}
    for r in rows:
        out[r["proposal"]].append(
            {"company": r["company"], "name": r["company.name"], "is_lead": r["is_lead"], "role": r["role"]}
        )
    return out


async def system_flags(scenario_id: int, evaluator_id: int, proposal_ids: list[int]) -> dict[int, str]:
    """proposal id -> why the system considers the evaluator conflicted (absent: no flag)."""
    affiliations = {
        r["company"]: r
        for r in await EvaluatorAffiliation.select(
            EvaluatorAffiliation.company, EvaluatorAffiliation.relation
        ).where(EvaluatorAffiliation.user == evaluator_id)
    }
    earlier = {
        r["company"]
        for r in await ConflictDeclaration.select(ConflictDeclaration.company).where(
            (ConflictDeclaration.evaluator == evaluator_id)
            & (ConflictDeclaration.scenario != scenario_id)
            & (ConflictDeclaration.conflicted == True)
        )
    }
    flags: dict[int, str] = {}
    for proposal, companies in (await proposal_companies(proposal_ids)).items():
        reasons = []
        for c in companies:
            if c["company"] in affiliations:
                label = AFFILIATION_RELATIONS.get(affiliations[c["company"]]["relation"], "关联关系")
                reasons.append(f"您登记的关联企业（{label}）：{c['name']}")
            elif c["company"] in earlier:
                reasons.append(f"您曾在其他场景中声明与{c['name']}存在利益冲突")
        if reasons:
            flags[proposal] = "；".join(reasons)
    return flags


async def _assignment_or_refuse(scenario_id: int, evaluator_id: int | None) -> dict:
    row = (
        None
        if evaluator_id is None
        else await EvaluatorAssignment.select()
        .where(
            (EvaluatorAssignment.scenario == scenario_id) & (EvaluatorAssignment.evaluator == evaluator_id)
        )
        .first()
    )
    if row is None:
        raise NotAllowed(NOT_ASSIGNED)
    return row


async def declaration_form(scenario_id: int, evaluator_id: int | None) -> list[dict]:
    """What the evaluator declares on: each proposal under review with its companies, the system
    flag (if any) and his current declaration (if any)."""
    await get_scenario(scenario_id)
    await _assignment_or_refuse(scenario_id, evaluator_id)
    assert evaluator_id is not None  # _assignment_or_refuse refuses nobody
    proposals = await reviewed_proposals(scenario_id)
    ids = [p["proposal"] for p in proposals]
    companies = await proposal_companies(ids)
    flags = await system_flags(scenario_id, evaluator_id, ids)
    declared = {
        r["proposal"]: r
        for r in await ConflictDeclaration.select().where(
            (ConflictDeclaration.scenario == scenario_id) & (ConflictDeclaration.evaluator == evaluator_id)
        )
    }
    out = []
    for p in proposals:
        d = declared.get(p["proposal"])
        flag = (d["system_flag"] if d and d["system_flag"] else "") or flags.get(p["proposal"], "")
        out.append(
            {
                "proposal": p["proposal"],
                "number": p["proposal.number"],
                "summary": p["proposal.summary"],
                "companies": companies.get(p["proposal"], []),
                "system_flag": flag,
                "declared": d is not None,
                "conflicted": bool(flag) or bool(d and d["conflicted"]),
                "relation": d["relation"] if d else "",
            }
        )
    return out


async def declare_conflicts(scenario_id: int, answers: list[ConflictAnswer], actor: Actor) -> None:
    """Save the evaluator's declarations for every proposal under review (all at once)."""
    scenario = await get_scenario(scenario_id)
    if scenario["status"] not in EVALUATION_STATUSES:
        raise Conflict("场景不在评审阶段，不能声明利益冲突。")
    assignment = await _assignment_or_refuse(scenario_id, actor.user_id)
    if assignment["submitted_at"] is not None:
        raise Conflict("您已提交评分，利益冲突声明不能再修改。")
    form = await declaration_form(scenario_id, actor.user_id)
    by_proposal = {a.proposal_id: a for a in answers}
    errors: dict[str, str] = {}
    for item in form:
        answer = by_proposal.get(item["proposal"])
        key = f"conflicted_{item['proposal']}"
        if item["system_flag"]:
            continue  # conflicted whatever the answer; the flag says why
        if answer is None:
            errors[key] = f"请对方案 {item['number'] or item['proposal']} 作出声明。"
        elif answer.conflicted and not answer.relation.strip():
            errors[f"relation_{item['proposal']}"] = (
                f"请说明与方案 {item['number'] or item['proposal']} 的关系。"
            )
        elif len(answer.relation) > 500:
            errors[f"relation_{item['proposal']}"] = "关系说明不能超过 500 字。"
    unknown = set(by_proposal) - {i["proposal"] for i in form}
    if unknown:
        raise ValidationFailed("声明中包含不属于本场景评审的方案。", {"proposals": "方案不属于本场景。"})
    if errors:
        raise ValidationFailed("利益冲突声明不完整：" + "；".join(errors.values()), errors)
    now = clock.now()
    async with write_transaction():
        await for_update(
            EvaluatorAssignment.select(EvaluatorAssignment.id).where(
                EvaluatorAssignment.id == assignment["id"]
            )
        ).first()
        existing = {
            r["proposal"]: r
            for r in await ConflictDeclaration.select().where(
                (ConflictDeclaration.scenario == scenario_id)
                & (ConflictDeclaration.evaluator == actor.user_id)
            )
        }
        summary = {}
        for item in form:
            answer = by_proposal.get(item["proposal"])
            flag = item["system_flag"]
            conflicted = bool(flag) or bool(answer and answer.conflicted)
            relation = (answer.relation.strip()[:500] if answer else "") if conflicted else ""
            lead = next((c["company"] for c in item["companies"] if c["is_lead"]), None)
            values: dict[Column | str, Any] = {
                ConflictDeclaration.conflicted: conflicted,
                ConflictDeclaration.relation: relation,
                ConflictDeclaration.system_flag: flag,
                ConflictDeclaration.declared_at: now,
            }
            if item["proposal"] in existing:
                await ConflictDeclaration.update(values).where(
                    ConflictDeclaration.id == existing[item["proposal"]]["id"]
                )
            else:
                await ConflictDeclaration.insert(
                    ConflictDeclaration(
                        scenario=scenario_id,
                        evaluator=actor.user_id,
                        proposal=item["proposal"],
                        company=lead,
                        conflicted=conflicted,
                        relation=relation,
                        system_flag=flag,
                        declared_at=now,
                    )
                )
            if conflicted:
                await EvaluationScore.delete().where(
                    (EvaluationScore.proposal == item["proposal"])
                    & (EvaluationScore.evaluator == actor.user_id)
                )
            summary[item["proposal"]] = {"conflicted": conflicted, "system_flag": bool(flag)}
        await EvaluatorAssignment.update({EvaluatorAssignment.conflicts_declared_at: now}).where(
            EvaluatorAssignment.id == assignment["id"]
        )
        await record(actor, "evaluation.declare_conflicts", "scenario", scenario_id, after=summary)


async def conflicted_proposals(scenario_id: int, evaluator_id: int | None) -> set[int]:
    """The proposals of the scenario this user declared (or was flagged) conflicted on."""
    if evaluator_id is None:
        return set()
    return {
        r["proposal"]
        for r in await ConflictDeclaration.select(ConflictDeclaration.proposal).where(
            (ConflictDeclaration.scenario == scenario_id)
            & (ConflictDeclaration.evaluator == evaluator_id)
            & (ConflictDeclaration.conflicted == True)
        )
    }


async def require_not_conflicted(proposal_id: int, user_id: int | None) -> None:
    """Raise NotAllowed when ``user_id`` is conflicted on ``proposal_id``."""
    if user_id is not None and await ConflictDeclaration.exists().where(
        (ConflictDeclaration.proposal == proposal_id)
        & (ConflictDeclaration.evaluator == user_id)
        & (ConflictDeclaration.conflicted == True)
    ):
        raise NotAllowed(CONFLICTED)


async def list_declarations(scenario_id: int) -> list[dict]:
    """Every declaration of the scenario (for managers), conflicted ones first."""
    rows = (
        await ConflictDeclaration.select(
            ConflictDeclaration.id,
            ConflictDeclaration.evaluator,
            ConflictDeclaration.evaluator.display_name,
            ConflictDeclaration.evaluator.email,
            ConflictDeclaration.proposal,
            ConflictDeclaration.proposal.number,
            ConflictDeclaration.conflicted,
            ConflictDeclaration.relation,
            ConflictDeclaration.system_flag,
        )
        .where(ConflictDeclaration.scenario == scenario_id)
        .order_by(ConflictDeclaration.conflicted, ascending=False)
        .order_by(ConflictDeclaration.id)
    )
    return rows


# --------------------------------------------------------------------------------------------
# Affiliations: a staff member's own list of companies he is tied to


async def list_affiliations(user_id: int) -> list[dict]:
    rows = (
        await EvaluatorAffiliation.select(
            EvaluatorAffiliation.id,
            EvaluatorAffiliation.company,
            EvaluatorAffiliation.company.name,
            EvaluatorAffiliation.relation,
            EvaluatorAffiliation.note,
            EvaluatorAffiliation.created_at,
        )
        .where(EvaluatorAffiliation.user == user_id)
        .order_by(EvaluatorAffiliation.id)
    )
    for r in rows:
        r["relation_label"] = AFFILIATION_RELATIONS.get(r["relation"], r["relation"])
    return rows


async def add_affiliation(company_name: str, relation: str, note: str, actor: Actor) -> int:
    user = await person(actor.user_id)
    if user.role not in ("staff", "admin"):
        raise NotAllowed("只有工作人员可以登记关联企业。")
    errors = {}
    name = company_name.strip()
    company = await Company.select(Company.id).where(Company.name == name).first() if name else None
    if not name:
        errors["company_name"] = "请填写企业全称。"
    elif company is None:
        errors["company_name"] = f"未找到名为「{name}」的企业，请填写平台上登记的企业全称。"
    if relation not in AFFILIATION_RELATIONS:
        errors["relation"] = "请选择关系类型。"
    if len(note) > 500:
        errors["note"] = "备注不能超过 500 字。"
    if errors:
        raise ValidationFailed(next(iter(errors.values())), errors)
    assert company is not None  # not found is one of the errors above
    async with write_transaction():
        exists = await EvaluatorAffiliation.exists().where(
            (EvaluatorAffiliation.user == user.id) & (EvaluatorAffiliation.company == company["id"])
        )
        if exists:
            raise ValidationFailed(
                "该企业已在您的关联企业中。", {"company_name": "该企业已在您的关联企业中。"}
            )
        row = EvaluatorAffiliation(
            user=user.id, company=company["id"], relation=relation, note=note.strip(), created_at=clock.now()
        )
        await row.save()
        await record(
            actor,
            "evaluation.add_affiliation",
            "user",
            user.id,
            after={"company": company["id"], "relation": relation},
        )
    return row.id


async def remove_affiliation(affiliation_id: int, actor: Actor) -> None:
    """The staff member removes one of his own affiliations (declarations already flagged stay)."""
    async with write_transaction():
        row = await EvaluatorAffiliation.select().where(EvaluatorAffiliation.id == affiliation_id).first()
        if row is None or row["user"] != actor.user_id:
            raise NotFound("关联记录不存在。")
        assert actor.user_id is not None  # the row is the actor's own
        await EvaluatorAffiliation.delete().where(EvaluatorAffiliation.id == affiliation_id)
        await record(
            actor,
            "evaluation.remove_affiliation",
            "user",
            actor.user_id,
            before={"company": row["company"], "relation": row["relation"]},
        )
