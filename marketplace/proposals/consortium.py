"""Consortium use cases: the lead company invites other approved member companies with a role
and a work share, the invited company's managers accept or decline, and the lead removes members
or changes roles and shares while the scenario takes proposals.

Same rules as ``services``: the proposal row is locked and the deadline checked inside the
transaction (``Conflict`` after it); ``NotFound`` hides proposals of other companies; changing the
consortium of a submitted proposal marks it ``needs_confirmation`` (it must be submitted again,
the last submitted version is what counts). Invitations and answers notify (and mail) the other
side's company managers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from piccolo.columns import ForeignKey
from piccolo.custom_types import Combinable

from marketplace.companies.tables import Company
from marketplace.core import clock
from marketplace.core.audit import Actor, record
from marketplace.core.db import contains_text, for_update, write_transaction
from marketplace.core.errors import (
    Conflict,
    ConflictingInput,
    NotAllowed,
    NotFound,
    UnknownReference,
    ValidationFailed,
)
from marketplace.core.outbox import enqueue
from marketplace.core.text import control_characters_message, has_control_characters
from marketplace.notifications.services import Message, notify
from marketplace.proposals.limits import MAX_MEMBERS, MAX_ROLE
from marketplace.proposals.links import consortium_invitation_page, proposal_page
from marketplace.proposals.services import (
    _joined_elsewhere,
    clean_reason,
    company_managers,
    find_company_proposal,
    lock_for_write,
    member_of,
)
from marketplace.proposals.tables import Proposal, ProposalMember
from marketplace.scenarios.links import scenario_page


def _clean_role_share(role: str, share) -> tuple[str, int]:
    errors = {}
    role = role or ""
    if has_control_characters(role):
        errors["role"] = control_characters_message("分工")
    elif not (role := role.strip()):
        errors["role"] = "请填写该企业在联合体中的分工（如：算法研发、数据治理）。"
    elif len(role) > MAX_ROLE:
        errors["role"] = f"分工最多 {MAX_ROLE} 字。"
    value = None
    try:
        value = int(str(share).strip()) if not isinstance(share, bool) else None
    except (TypeError, ValueError):
        value = None
    if value is None or not 0 <= value <= 100:
        errors["work_share"] = "工作量占比应为 0 到 100 的整数（百分比）。"
    if errors:
        raise ValidationFailed("请修改标出的内容。", errors)
    assert value is not None  # a missing share is one of the errors above
    return role, value


async def _flag_if_submitted(proposal: dict, now) -> None:
    if proposal["status"] in ("submitted", "withdrawn"):
        await Proposal.update({Proposal.needs_confirmation: True, Proposal.updated_at: now}).where(
            Proposal.id == proposal["id"]
        )
    else:
        await Proposal.update({Proposal.updated_at: now}).where(Proposal.id == proposal["id"])


async def _rebalance_lead_share(proposal_id: int) -> None:
    """When the consortium changes (a member invited, declining or removed), the lead's share
    becomes what the others leave of 100 (never below 0): inviting a member with 30 % leaves the
    lead 70 % instead of showing 130 %, and a member who declines gives its share back. The
    lead may still set its own share afterwards (``update_member``)."""
    rows = await ProposalMember.select(
        ProposalMember.id, ProposalMember.is_lead, ProposalMember.work_share
    ).where((ProposalMember.proposal == proposal_id) & (ProposalMember.status != "declined"))
    lead = next((r for r in rows if r["is_lead"]), None)
    if lead is None:
        return
    remainder = max(0, 100 - sum(r["work_share"] or 0 for r in rows if not r["is_lead"]))
    if lead["work_share"] != remainder:
        await ProposalMember.update({ProposalMember.work_share: remainder}).where(
            ProposalMember.id == lead["id"]
        )


async def invite_member(proposal_id: int, actor: Actor, company_id: int, role: str, work_share) -> int:
    """The lead invites an approved member company; returns the member row's id. A company that
    declined before may be invited again. ``ValidationFailed`` (field ``company``) for an unknown,
    unapproved or already invited company, or the lead itself: ``UnknownReference`` and
    ``ConflictingInput`` respectively, 404 and 409 in the API."""
    member = await member_of(actor)
    role, share = _clean_role_share(role, work_share)
    async with write_transaction():
        proposal, scenario = await lock_for_write(proposal_id, member)
        company = (
            await Company.select(Company.id, Company.name, Company.status)
            .where(Company.id == company_id)
            .first()
        )
        if company is None or company["status"] != "approved":
            raise UnknownReference(
                "只能邀请已批准的会员企业。", {"company": "只能邀请已批准的会员企业加入联合体。"}
            )
        if company_id == member.company_id:
            raise ConflictingInput("牵头企业已在联合体中。", {"company": "不能邀请本企业。"})
        existing = (
            await ProposalMember.select(ProposalMember.id, ProposalMember.status)
            .where((ProposalMember.proposal == proposal_id) & (ProposalMember.company == company_id))
            .first()
        )
        if existing and existing["status"] != "declined":
            raise ConflictingInput(
                "该企业已在联合体中。", {"company": f"「{company['name']}」已被邀请或已加入。"}
            )
        if await ProposalMember.count().where(ProposalMember.proposal == proposal_id) >= MAX_MEMBERS:
            raise ConflictingInput("联合体成员已达上限。", {"company": f"联合体最多 {MAX_MEMBERS} 家企业。"})
        now = clock.now()
        if existing:
            await ProposalMember.update(
                {
                    ProposalMember.status: "invited",
                    ProposalMember.role: role,
                    ProposalMember.work_share: share,
                    ProposalMember.invited_at: now,
                    ProposalMember.invited_by: member.user_id,
                    ProposalMember.answered_at: None,
                    ProposalMember.answered_by: None,
                    ProposalMember.decline_reason: "",
                }
            ).where(ProposalMember.id == existing["id"])
            member_id = existing["id"]
        else:
            row = ProposalMember(
                proposal=proposal_id,
                company=company_id,
                role=role,
                work_share=share,
                status="invited",
                is_lead=False,
                invited_at=now,
                invited_by=member.user_id,
            )
            await row.save()
            member_id = row.id
        await _rebalance_lead_share(proposal_id)
        await _flag_if_submitted(proposal, now)
        await record(
            actor,
            "proposal.invite",
            "proposal",
            proposal_id,
            after={"company": company_id, "role": role, "work_share": share},
        )
        await enqueue("proposal", proposal_id)
        lead = await Company.select(Company.name).where(Company.id == member.company_id).first()
        assert lead is not None  # the inviting member's company (foreign key)
        await notify(
            await company_managers([company_id]),
            Message(
                "consortium_invitation",
                f"联合体邀请：{scenario['title']}",
                f"「{lead['name']}」邀请贵企业加入联合体，分工：{role}，工作量占比 {share}%。请在截止前接受或拒绝。",
                consortium_invitation_page(proposal_id),
            ),
        )
    return member_id


async def answer_invitation(proposal_id: int, actor: Actor, accept: bool, reason: str = "") -> None:
    """A manager of the invited company accepts or declines (with an optional reason). Only the
    invited company's managers may answer (``NotAllowed`` for its other users, ``NotFound`` for
    anyone else). Accepting is refused (``Conflict``) when the company already leads a proposal or
    has joined another consortium on the same scenario."""
    member = await member_of(actor)
    reason = clean_reason(reason)
    async with write_transaction():
        proposal, scenario = await lock_for_write(proposal_id, member, lead_only=False)
        row = await for_update(
            ProposalMember.select(ProposalMember.id, ProposalMember.status).where(
                (ProposalMember.proposal == proposal_id) & (ProposalMember.company == member.company_id)
            )
        ).first()
        if row is None or proposal["company"] == member.company_id:
            raise NotFound("邀请不存在。")
        if not member.is_manager:
            raise NotAllowed("只有企业管理员可以答复联合体邀请。")
        if row["status"] != "invited":
            raise Conflict("该邀请已答复过。")
        if accept:
            own = await find_company_proposal(proposal["scenario"], member.company_id)
            own_status = None
            if own:
                own_row = await Proposal.select(Proposal.status).where(Proposal.id == own).first()
                assert own_row is not None  # find_company_proposal has just found it
                own_status = own_row["status"]
            if own and own_status != "withdrawn":
                raise Conflict(
                    "贵企业已牵头本场景的另一份方案，不能再加入其他联合体；如需加入，请先撤回或放弃自己的方案。"
                )
            if await _joined_elsewhere(proposal["scenario"], member.company_id, besides=proposal_id):
                raise Conflict("贵企业已加入本场景的另一个联合体，不能同时加入两个联合体。")
        now = clock.now()
        await ProposalMember.update(
            {
                ProposalMember.status: "accepted" if accept else "declined",
                ProposalMember.answered_at: now,
                ProposalMember.answered_by: member.user_id,
                ProposalMember.decline_reason: "" if accept else reason,
            }
        ).where(ProposalMember.id == row["id"])
        if not accept:
            await _rebalance_lead_share(proposal_id)
        await _flag_if_submitted(proposal, now)
        await record(
            actor,
            "proposal.accept_invitation" if accept else "proposal.decline_invitation",
            "proposal",
            proposal_id,
            after={"company": member.company_id},
            reason=reason,
        )
        await enqueue("proposal", proposal_id)
        company = await Company.select(Company.name).where(Company.id == member.company_id).first()
        assert company is not None  # the answering member's company (foreign key)
        verb = "接受" if accept else "拒绝"
        await notify(
            await company_managers([proposal["company"]]),
            Message(
                "consortium_answer",
                f"「{company['name']}」{verb}了联合体邀请：{scenario['title']}",
                f"拒绝原因：{reason}" if (reason and not accept) else "",
                proposal_page(proposal_id) + "#consortium",
            ),
        )


async def update_member(proposal_id: int, actor: Actor, company_id: int, role: str, work_share) -> None:
    """The lead changes a member's (or its own) role and work share."""
    member = await member_of(actor)
    role, share = _clean_role_share(role, work_share)
    async with write_transaction():
        proposal, _ = await lock_for_write(proposal_id, member)
        row = (
            await ProposalMember.select(ProposalMember.id, ProposalMember.role, ProposalMember.work_share)
            .where((ProposalMember.proposal == proposal_id) & (ProposalMember.company == company_id))
            .first()
        )
        if row is None:
            raise NotFound("该企业不在联合体中。")
        if (row["role"], row["work_share"]) == (role, share):
            return
        now = clock.now()
        await ProposalMember.update({ProposalMember.role: role, ProposalMember.work_share: share}).where(
            ProposalMember.id == row["id"]
        )
        await _flag_if_submitted(proposal, now)
        await record(
            actor,
            "proposal.change_member",
            "proposal",
            proposal_id,
            before={"company": company_id, "role": row["role"], "work_share": row["work_share"]},
            after={"company": company_id, "role": role, "work_share": share},
        )
        await enqueue("proposal", proposal_id)


async def remove_member(proposal_id: int, actor: Actor, company_id: int) -> None:
    """The lead removes a member (not itself); the removed company's managers are told."""
    member = await member_of(actor)
    async with write_transaction():
        proposal, scenario = await lock_for_write(proposal_id, member)
        row = (
            await ProposalMember.select(ProposalMember.id, ProposalMember.is_lead, ProposalMember.status)
            .where((ProposalMember.proposal == proposal_id) & (ProposalMember.company == company_id))
            .first()
        )
        if row is None:
            raise NotFound("该企业不在联合体中。")
        if row["is_lead"]:
            raise Conflict("牵头企业不能移出联合体。")
        await ProposalMember.delete().where(ProposalMember.id == row["id"])
        await _rebalance_lead_share(proposal_id)
        now = clock.now()
        await _flag_if_submitted(proposal, now)
        await record(actor, "proposal.remove_member", "proposal", proposal_id, before={"company": company_id})
        await enqueue("proposal", proposal_id)
        if row["status"] != "declined":
            await notify(
                await company_managers([company_id]),
                Message(
                    "consortium_change",
                    f"已移出联合体：{scenario['title']}",
                    "牵头企业已将贵企业移出该联合体方案。",
                    scenario_page(scenario["id"]),
                ),
            )


async def search_invitable_companies(proposal_id: int, text: str, limit: int = 10) -> list[dict]:
    """Approved companies whose name contains ``text``, not yet invited or accepted."""
    text = (text or "").strip()[:60]
    if not text:
        return []
    taken = [
        r["company"]
        for r in await ProposalMember.select(ProposalMember.company).where(
            (ProposalMember.proposal == proposal_id) & (ProposalMember.status != "declined")
        )
    ]
    where: Combinable = Company.status == "approved"
    if (name_matches := contains_text([Company.name], text)) is not None:  # None: no words to match
        where &= name_matches
    if taken:
        where &= Company.id.not_in(taken)
    rows = (
        await Company.select(Company.id, Company.name, Company.size)
        .where(where)
        .order_by(Company.name)
        .limit(limit)
    )
    return [{"id": r["id"], "name": r["name"], "is_sme": r["size"] == "sme"} for r in rows]


@dataclass(frozen=True)
class ConsortiumInvitation:
    """An invitation to join a consortium, as the invited company's proposal list shows it."""

    proposal: int
    role: str
    work_share: int
    status: str
    invited_at: dt.datetime
    lead_name: str
    scenario: int
    scenario_title: str
    scenario_proposal_deadline: dt.datetime | None


async def list_invitations(company_id: int, *, pending_only: bool = True) -> list[ConsortiumInvitation]:
    """Invitations to the company (open ones by default), with the scenario and the lead."""
    where = (ProposalMember.company == company_id) & (ProposalMember.is_lead == False)
    if pending_only:
        where &= ProposalMember.status == "invited"
    lead, scenario = ProposalMember.proposal.company, ProposalMember.proposal.scenario
    # joined foreign keys (Piccolo types them Column | Any)
    assert isinstance(lead, ForeignKey) and isinstance(scenario, ForeignKey)
    rows = (
        await ProposalMember.select(
            ProposalMember.proposal,
            ProposalMember.role,
            ProposalMember.work_share,
            ProposalMember.status,
            ProposalMember.invited_at,
            lead.name,
            scenario,
            scenario.title,
            scenario.proposal_deadline,
        )
        .where(where)
        .order_by(ProposalMember.invited_at, ascending=False)
    )
    return [
        ConsortiumInvitation(
            proposal=r["proposal"],
            role=r["role"],
            work_share=r["work_share"],
            status=r["status"],
            invited_at=r["invited_at"],
            lead_name=r["proposal.company.name"],
            scenario=r["proposal.scenario"],
            scenario_title=r["proposal.scenario.title"],
            scenario_proposal_deadline=r["proposal.scenario.proposal_deadline"],
        )
        for r in rows
    ]
