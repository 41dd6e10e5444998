"""Proposal use cases of the member side: create a draft, autosave it, submit it (a numbered
receipt and a new version each time), withdraw it, and read the company's own proposals.

Who may write: active users of the lead company, whose company is approved. Every write locks the
proposal row (``write_transaction`` + ``for_update``) and checks, inside the transaction, that the
scenario still accepts proposals: ``Conflict`` once the proposal deadline has passed or the
scenario is no longer open, so nothing changes after the deadline, whatever the route.
``NotFound`` for a proposal the actor's company does not lead (its existence is not revealed),
``NotAllowed`` for users who may not write at all, ``ValidationFailed`` with every problem at once
(field -> Chinese message) for a submission that is not complete.

Each write is audited and enqueued for the search index. A submission notifies the managers of
every consortium company and mails them and the submitter the receipt.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from piccolo.columns import Column

from marketplace.accounts.tables import User
from marketplace.companies.tables import Company
from marketplace.core import clock
from marketplace.core.audit import Actor, record
from marketplace.core.db import constraint_name, for_update, write_transaction
from marketplace.core.errors import Conflict, ConflictingInput, NotAllowed, NotFound, ValidationFailed
from marketplace.core.mail import send_mail
from marketplace.core.money import AmountError, format_wan, parse_amount
from marketplace.core.outbox import enqueue
from marketplace.core.text import clean_text, control_characters_message, has_control_characters
from marketplace.notifications.services import Message, notify
from marketplace.proposals.limits import (
    MAX_ANSWER,
    MAX_COST,
    MAX_MILESTONES,
    MAX_REASON,
    MAX_SUMMARY,
    MAX_TEXT,
    MILESTONE_LIMITS,
)
from marketplace.proposals.links import proposal_page, receipt_page
from marketplace.proposals.status import STATUS_LABELS, WRITABLE_STATUSES, can_transition
from marketplace.proposals.tables import Proposal, ProposalAttachment, ProposalMember, ProposalVersion
from marketplace.scenarios.tables import Scenario, ScenarioCapability
from marketplace.settings import get_settings

log = logging.getLogger(__name__)

TEXT_FIELDS = (
    "summary",
    "understanding",
    "approach",
    "data_needs",
    "team",
    "pilot_plan",
    "success_indicators",
)
CONTENT_FIELDS = (
    *TEXT_FIELDS,
    "capability_answers",
    "timeline",
    "cost_estimate",
    "declaration_accepted",
    "disclose_name",
)
FIELD_LABELS = {
    "summary": "方案摘要",
    "understanding": "对问题的理解",
    "approach": "技术路线与实施方法",
    "capability_answers": "能力覆盖说明",
    "data_needs": "需要部门提供的数据与资源",
    "team": "项目团队",
    "timeline": "实施计划与里程碑",
    "cost_estimate": "费用估算",
    "pilot_plan": "试点方案",
    "success_indicators": "成效指标",
    "declaration_accepted": "承诺声明",
    "disclose_name": "同意在公布的排名中显示企业名称",
    "consortium": "联合体",
}
MAX_LENGTHS = {"summary": MAX_SUMMARY}
MILESTONE_LABELS = {"title": "名称", "due": "计划日期", "deliverable": "交付成果"}
LOCKED_MESSAGE = "方案征集已截止（或场景已不在征集中），方案已锁定，不能再修改、提交或撤回。"


# --------------------------------------------------------------------------------------------
# Who acts


@dataclass(frozen=True)
class MemberActor:
    user_id: int
    company_id: int
    is_manager: bool


async def member_of(actor: Actor) -> MemberActor:
    """The acting user as an active user of an approved member company, read from the database
    (a suspension applies at once). ``NotAllowed`` otherwise."""
    if actor.user_id is None:
        raise NotAllowed("请先登录。")
    row = (
        await User.select(User.role, User.active, User.company, User.company.status, User.is_company_manager)
        .where(User.id == actor.user_id)
        .first()
    )
    if row is None or not row["active"] or row["role"] != "member" or row["company"] is None:
        raise NotAllowed("只有会员企业用户可以提交方案。")
    if row["company.status"] != "approved":
        raise NotAllowed("贵企业的会员资格尚未审核通过（或已暂停），暂时不能提交方案或参加联合体。")
    return MemberActor(actor.user_id, row["company"], row["is_company_manager"])


def accepting(scenario: dict, now: dt.datetime | None = None) -> bool:
    """Whether the scenario (a row with status and proposal_deadline) takes proposal writes now."""
    deadline = scenario.get("proposal_deadline")
    return scenario.get("status") == "open" and (deadline is None or (now or clock.now()) < deadline)


async def _scenario_for_write(scenario_id: int) -> dict:
    row = (
        await Scenario.select(
            Scenario.id,
            Scenario.title,
            Scenario.status,
            Scenario.public_status,
            Scenario.proposal_deadline,
            Scenario.budget_max,
        )
        .where(Scenario.id == scenario_id)
        .first()
    )
    if row is None or row["public_status"] is None:
        raise NotFound("场景不存在或尚未公开。")
    if not accepting(row):
        raise Conflict(LOCKED_MESSAGE)
    return row


async def lock_for_write(
    proposal_id: int, member: MemberActor, *, lead_only: bool = True
) -> tuple[dict, dict]:
    """Inside a write transaction: the locked proposal row and its scenario, checked writable.

    ``NotFound`` unless the member's company leads it (or, with ``lead_only`` False, is a member
    with an open or accepted invitation); ``Conflict`` after the deadline or in evaluation."""
    row = await for_update(
        Proposal.select(
            Proposal.id,
            Proposal.scenario,
            Proposal.company,
            Proposal.status,
            Proposal.number,
            Proposal.version,
            Proposal.content_hash,
            Proposal.submitted_at,
            Proposal.needs_confirmation,
        ).where(Proposal.id == proposal_id)
    ).first()
    if row is None:
        raise NotFound("方案不存在或您无权查看。")
    if row["company"] != member.company_id:
        joined = await ProposalMember.exists().where(
            (ProposalMember.proposal == proposal_id)
            & (ProposalMember.company == member.company_id)
            & ProposalMember.status.is_in(["invited", "accepted"])
        )
        if lead_only or not joined:
            if joined:
                raise NotAllowed("只有牵头企业可以修改、提交或撤回方案。")
            raise NotFound("方案不存在或您无权查看。")
    scenario = await _scenario_for_write(row["scenario"])
    if row["status"] not in WRITABLE_STATUSES:
        raise Conflict(f"方案当前状态为「{STATUS_LABELS[row['status']]}」，不能再修改。")
    return row, scenario


async def company_managers(company_ids) -> list[int]:
    ids = sorted(set(company_ids))
    if not ids:
        return []
    rows = await User.select(User.id).where(
        User.company.is_in(ids)
        & (User.role == "member")
        & (User.is_company_manager == True)
        & (User.active == True)
    )
    return [r["id"] for r in rows]


# --------------------------------------------------------------------------------------------
# Drafts


async def find_company_proposal(scenario_id: int, company_id: int) -> int | None:
    row = (
        await Proposal.select(Proposal.id)
        .where((Proposal.scenario == scenario_id) & (Proposal.company == company_id))
        .first()
    )
    return row["id"] if row else None


async def _joined_elsewhere(scenario_id: int, company_id: int, *, besides: int | None = None) -> bool:
    """Whether the company is an accepted (non-lead) member of another live proposal on the scenario."""
    where = (
        (ProposalMember.company == company_id)
        & (ProposalMember.status == "accepted")
        & (ProposalMember.is_lead == False)
        & (ProposalMember.proposal.scenario == scenario_id)
        & (ProposalMember.proposal.status != "withdrawn")
    )
    if besides is not None:
        where &= ProposalMember.proposal != besides
    return await ProposalMember.exists().where(where)


async def create_draft(scenario_id: int, actor: Actor) -> int:
    """A new draft on an open scenario before its deadline, led by the actor's company, with the
    lead's member row (accepted, 100 %). One proposal per company and scenario (``Conflict``, the
    database enforces it too); a company that has joined another consortium on the scenario does
    not lead a competing one (``Conflict``: it would be judged against itself)."""
    member = await member_of(actor)
    async with write_transaction():
        await for_update(Scenario.select(Scenario.id).where(Scenario.id == scenario_id)).first()
        await _scenario_for_write(scenario_id)
        if await find_company_proposal(scenario_id, member.company_id):
            raise Conflict("贵企业已有本场景的方案，请继续编辑原方案。")
        if await _joined_elsewhere(scenario_id, member.company_id):
            raise Conflict("贵企业已作为成员加入本场景的另一个联合体方案，不能再牵头提交方案。")
        now = clock.now()
        row = Proposal(
            scenario=scenario_id,
            company=member.company_id,
            status="draft",
            created_by=member.user_id,
            created_at=now,
            updated_at=now,
        )
        try:
            await row.save()
        except Exception as exc:
            if (constraint := constraint_name(exc)) and "proposal" in constraint:
                raise Conflict("贵企业已有本场景的方案，请继续编辑原方案。") from exc
            raise
        await ProposalMember.insert(
            ProposalMember(
                proposal=row.id,
                company=member.company_id,
                role="牵头单位",
                work_share=100,
                status="accepted",
                is_lead=True,
                invited_at=now,
                invited_by=member.user_id,
                answered_at=now,
                answered_by=member.user_id,
            )
        )
        await record(actor, "proposal.create", "proposal", row.id, after={"scenario": scenario_id})
        await enqueue("proposal", row.id)
    return row.id


def clean_changes(changes: dict) -> dict:
    """Type and length checks of a (partial) save; returns the values to write.

    ``ValidationFailed`` for a wrong type or an overlong text (nothing is written); missing and
    empty values are fine in a draft."""
    values, errors = sort_changes(changes)
    if errors:
        raise ValidationFailed("请修改标出的内容后再保存。", errors)
    return values


def sort_changes(changes: dict) -> tuple[dict, dict[str, str]]:
    """Split a (partial) save into the values fit to write and a Chinese message per bad field.
    The cost may be a number of yuan or the text typed in the form's 万元 field
    (``core.money.parse_amount``: "150万", "1,500,000" …)."""
    errors: dict[str, str] = {}
    values: dict = {}
    for name, value in changes.items():
        if name in TEXT_FIELDS:
            if value is None:
                value = ""
            if not isinstance(value, str):
                errors[name] = f"{FIELD_LABELS[name]}应为文字。"
                continue
            if has_control_characters(value):
                errors[name] = control_characters_message(FIELD_LABELS[name])
                continue
            value = clean_text(value)
            limit = MAX_LENGTHS.get(name, MAX_TEXT)
            if len(value) > limit:
                errors[name] = f"{FIELD_LABELS[name]}最多 {limit} 字，现在 {len(value)} 字。"
                continue
            values[name] = value
        elif name == "capability_answers":
            if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            ):
                errors[name] = "能力覆盖说明的格式不对：应为 {能力 id: 说明}。"
                continue
            answers = {}
            for key, text in value.items():
                if not key.isdigit():
                    errors[name] = "能力覆盖说明的格式不对：能力 id 应为数字。"
                    continue
                if has_control_characters(text):
                    errors[f"capability_{key}"] = control_characters_message("能力覆盖说明")
                    continue
                text = clean_text(text)
                if len(text) > MAX_ANSWER:
                    errors[f"capability_{key}"] = f"每项能力的说明最多 {MAX_ANSWER} 字。"
                elif text:
                    answers[key] = text
            values[name] = answers
        elif name == "timeline":
            rows, problem = _clean_timeline(value)
            if problem:
                errors[name] = problem
            else:
                values[name] = rows
        elif name == "cost_estimate":
            if isinstance(value, str):
                try:
                    value = parse_amount(value)
                except AmountError as exc:
                    errors[name] = f"{FIELD_LABELS[name]}：{exc}"
                    continue
            if value is None:
                values[name] = None
            elif isinstance(value, bool) or not isinstance(value, int):
                errors[name] = "费用估算应为整数（元）。"
            elif not 0 <= value <= MAX_COST:
                errors[name] = "费用估算不能为负数，也不能超过一万亿元。"
            else:
                values[name] = value
        elif name in ("declaration_accepted", "disclose_name"):
            if not isinstance(value, bool):
                errors[name] = f"{FIELD_LABELS[name]}应为是或否。"
            else:
                values[name] = value
        else:
            errors[name] = f"未知字段：{name}。"
    return values, errors


def clean_reason(reason: str | None) -> str:
    """An optional reason (withdrawal, declined invitation): at most ``MAX_REASON`` characters,
    no control characters (else ``ValidationFailed`` on ``reason``)."""
    reason = reason or ""
    if has_control_characters(reason):
        message = control_characters_message("原因")
        raise ValidationFailed(message, {"reason": message})
    reason = clean_text(reason)
    if len(reason) > MAX_REASON:
        message = f"原因最多 {MAX_REASON} 字。"
        raise ValidationFailed(message, {"reason": message})
    return reason


def _clean_timeline(value) -> tuple[list[dict], str | None]:
    if value is None:
        return [], None
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        return [], "里程碑的格式不对：应为 [{title, due, deliverable}, ...]。"
    if len(value) > MAX_MILESTONES:
        return [], f"里程碑最多 {MAX_MILESTONES} 个。"
    rows = []
    for item in value:
        row = {}
        for key, limit in MILESTONE_LIMITS.items():
            text = item.get(key, "")
            if text is None:
                text = ""
            if not isinstance(text, str):
                return [], "里程碑的标题、日期和交付成果都应为文字。"
            if has_control_characters(text):
                return [], control_characters_message(f"里程碑的{MILESTONE_LABELS[key]}")
            text = clean_text(text)
            if len(text) > limit:
                return [], f"里程碑的{MILESTONE_LABELS[key]}太长了（最多 {limit} 字）。"
            row[key] = text
        if any(row.values()):
            rows.append(row)
    return rows, None


async def save_proposal(proposal_id: int, actor: Actor, changes: dict) -> dt.datetime:
    """Write the given fields (a partial update: the API's PATCH) to the working copy; returns
    ``autosaved_at``. ``ValidationFailed`` when any field is bad: then nothing is written. No
    completeness check: that is ``submit_proposal``'s. A submitted proposal stays submitted: the
    last submitted version is what counts until the company submits again."""
    return await _save(proposal_id, actor, clean_changes(changes))


@dataclass(frozen=True)
class SaveOutcome:
    """What ``save_valid_fields`` did: when, and the fields it left unsaved with the reason."""

    saved_at: dt.datetime
    errors: dict[str, str]

    @property
    def summary(self) -> str:
        """One Chinese sentence naming the unsaved fields ("" when everything was saved)."""
        if not self.errors:
            return ""
        names = "、".join(
            dict.fromkeys(FIELD_LABELS.get(k, FIELD_LABELS["capability_answers"]) for k in self.errors)
        )
        return f"其他内容已保存；{names}有误，未保存，请修改。"


async def save_valid_fields(proposal_id: int, actor: Actor, changes: dict) -> SaveOutcome:
    """Write every field that passes its checks and leave the bad ones as they were (autosave
    and the form's save button: one mistyped field never loses the other edits). The errors
    say, per field, why it was not saved. Raises what ``save_proposal`` raises besides
    ``ValidationFailed``."""
    values, errors = sort_changes(changes)
    return SaveOutcome(await _save(proposal_id, actor, values), errors)


async def _save(proposal_id: int, actor: Actor, values: dict) -> dt.datetime:
    member = await member_of(actor)
    async with write_transaction():
        await lock_for_write(proposal_id, member)
        now = clock.now()
        update = {getattr(Proposal, k): v for k, v in values.items()}
        update.update({Proposal.updated_at: now, Proposal.autosaved_at: now})
        await Proposal.update(update).where(Proposal.id == proposal_id)
        if values:
            await record(actor, "proposal.save", "proposal", proposal_id, after={"fields": sorted(values)})
            await enqueue("proposal", proposal_id)
    return now


# --------------------------------------------------------------------------------------------
# Submission


def _valid_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


async def submission_problems(
    proposal: dict, members: list[dict], capabilities: list[dict]
) -> dict[str, str]:
    """Every reason the working copy cannot be submitted, field -> Chinese message (empty if none)."""
    errors: dict[str, str] = {}
    for name in TEXT_FIELDS:
        if not (proposal.get(name) or "").strip():
            errors[name] = f"请填写{FIELD_LABELS[name]}。"
    answers = proposal.get("capability_answers") or {}
    for cap in capabilities:
        if not (answers.get(str(cap["capability"])) or "").strip():
            errors[f"capability_{cap['capability']}"] = (
                f"请说明如何覆盖所需能力「{cap['capability.name']}」。"
            )
    timeline = proposal.get("timeline") or []
    if not timeline:
        errors["timeline"] = "请至少填写一个里程碑（名称、计划日期、交付成果）。"
    else:
        problems = []
        for i, row in enumerate(timeline, 1):
            missing = [
                label for key, label in (("title", "名称"), ("deliverable", "交付成果")) if not row.get(key)
            ]
            if not row.get("due"):
                missing.append("计划日期")
            elif not _valid_date(row["due"]):
                missing.append("日期（格式 YYYY-MM-DD）")
            if missing:
                problems.append(f"第 {i} 个里程碑缺少{'、'.join(missing)}")
        if problems:
            errors["timeline"] = "；".join(problems) + "。"
    cost = proposal.get("cost_estimate")
    if cost is None:
        errors["cost_estimate"] = "请填写费用估算（万元）。"
    elif cost < 0:
        errors["cost_estimate"] = "费用估算不能为负数。"
    if not proposal.get("declaration_accepted"):
        errors["declaration_accepted"] = "请阅读并勾选承诺声明。"
    live = [m for m in members if m["status"] != "declined"]
    pending = [m["name"] for m in live if m["status"] != "accepted"]
    consortium = []
    if pending:
        consortium.append(f"以下企业尚未接受联合体邀请：{'、'.join(pending)}（可等待其接受或移除）")
    total = sum(m["work_share"] for m in live)
    if total != 100:
        consortium.append(f"联合体各方（含牵头单位）的工作量占比合计应为 100%，现在是 {total}%")
    if consortium:
        errors["consortium"] = "；".join(consortium) + "。"
    return errors


async def load_members(proposal_id: int) -> list[dict]:
    rows = (
        await ProposalMember.select(
            ProposalMember.id,
            ProposalMember.company,
            ProposalMember.company.name,
            ProposalMember.company.size,
            ProposalMember.role,
            ProposalMember.work_share,
            ProposalMember.status,
            ProposalMember.is_lead,
            ProposalMember.invited_at,
            ProposalMember.answered_at,
            ProposalMember.decline_reason,
        )
        .where(ProposalMember.proposal == proposal_id)
        .order_by(ProposalMember.is_lead, ascending=False)
        .order_by(ProposalMember.id)
    )
    return [
        {
            "id": r["id"],
            "company_id": r["company"],
            "name": r["company.name"],
            "is_sme": r["company.size"] == "sme",
            "role": r["role"],
            "work_share": r["work_share"],
            "status": r["status"],
            "is_lead": r["is_lead"],
            "invited_at": r["invited_at"],
            "answered_at": r["answered_at"],
            "decline_reason": r["decline_reason"],
        }
        for r in rows
    ]


async def required_capabilities(scenario_id: int) -> list[dict]:
    return (
        await ScenarioCapability.select(
            ScenarioCapability.capability,
            ScenarioCapability.capability.name,
            ScenarioCapability.weight,
        )
        .where(ScenarioCapability.scenario == scenario_id)
        .order_by(ScenarioCapability.weight, ascending=False)
        .order_by(ScenarioCapability.id)
    )


async def _working_copy(proposal_id: int) -> dict:
    return (
        await Proposal.select(
            Proposal.id,
            Proposal.scenario,
            *[getattr(Proposal, f) for f in CONTENT_FIELDS],
        )
        .where(Proposal.id == proposal_id)
        .first()
        .output(load_json=True)
    )


async def canonical_content(
    proposal_id: int, proposal: dict | None = None, members: list[dict] | None = None
) -> dict:
    """What a version records and its hash covers: every content field, the consortium (company,
    role, share) and the attachments (name, type, size, sha256). No times and no version number,
    so the same content always hashes the same."""
    proposal = proposal or await _working_copy(proposal_id)
    members = members if members is not None else await load_members(proposal_id)
    attachments = (
        await ProposalAttachment.select(
            ProposalAttachment.filename,
            ProposalAttachment.content_type,
            ProposalAttachment.size,
            ProposalAttachment.sha256,
        )
        .where(ProposalAttachment.proposal == proposal_id)
        .order_by(ProposalAttachment.id)
    )
    return {
        "proposal_id": proposal_id,
        "scenario_id": proposal["scenario"],
        **{f: proposal[f] for f in CONTENT_FIELDS},
        "capability_answers": dict(sorted((proposal["capability_answers"] or {}).items())),
        "members": [
            {
                "company_id": m["company_id"],
                "name": m["name"],
                "is_lead": m["is_lead"],
                "role": m["role"],
                "work_share": m["work_share"],
                "is_sme": m["is_sme"],
            }
            for m in members
            if m["status"] == "accepted"
        ],
        "attachments": [dict(a) for a in attachments],
    }


def content_hash(content: dict) -> str:
    """sha256 of the canonical JSON (sorted keys, no spaces, UTF-8)."""
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def receipt_number(proposal_id: int, when: dt.datetime) -> str:
    return f"SYQ-{clock.to_park_time(when).year}-{proposal_id:06d}"


@dataclass(frozen=True)
class Receipt:
    proposal_id: int
    number: str
    version: int
    submitted_at: dt.datetime
    content_hash: str
    scenario_title: str
    warnings: tuple[str, ...] = ()
    unchanged: bool = False  # nothing differed from the submitted version: no new version


async def submit_proposal(proposal_id: int, actor: Actor) -> Receipt:
    """Validate everything and submit: a new ``ProposalVersion`` (n+1) with the full content and
    its hash, the receipt number (kept on re-submission), status ``submitted``. ``ConflictingInput``
    (a ``ValidationFailed``; 409 in the API) lists every missing item at once. Warns (does not refuse) when the cost is above the
    scenario's budget. Notifies and mails the receipt after the transaction commits.

    Submitting again content identical to the submitted version changes nothing: the receipt of
    that version comes back with ``unchanged`` (no new version, no mail) unless a confirmation
    was asked for (an amendment or a consortium change), which an identical submission gives."""
    member = await member_of(actor)
    async with write_transaction():
        row, scenario = await lock_for_write(proposal_id, member)
        proposal = await _working_copy(proposal_id)
        members = await load_members(proposal_id)
        errors = await submission_problems(proposal, members, await required_capabilities(row["scenario"]))
        if errors:
            raise ConflictingInput(
                f"方案还不完整，共 {len(errors)} 处需要补充或修改，请查看标出的内容。", errors
            )
        now = clock.now()
        content = await canonical_content(proposal_id, proposal, members)
        digest = content_hash(content)
        if (
            row["status"] == "submitted"
            and digest == row["content_hash"]
            and not row["needs_confirmation"]
            and row["number"]
        ):
            return Receipt(
                proposal_id,
                row["number"],
                row["version"],
                row["submitted_at"],
                digest,
                scenario["title"],
                unchanged=True,
            )
        version = (row["version"] or 0) + 1
        number = row["number"] or receipt_number(proposal_id, now)
        await ProposalVersion.insert(
            ProposalVersion(
                proposal=proposal_id, version=version, content=content, content_hash=digest, submitted_at=now
            )
        )
        await transition_proposals(
            [proposal_id],
            "submitted",
            at=now,
            number=number,
            version=version,
            content_hash=digest,
            submitted_at=now,
            withdrawn_at=None,
            needs_confirmation=False,
        )
        await record(
            actor,
            "proposal.submit",
            "proposal",
            proposal_id,
            after={"version": version, "number": number, "content_hash": digest},
        )
        companies = [m["company_id"] for m in members if m["status"] == "accepted"]
        recipients = sorted(set(await company_managers(companies)) | {member.user_id})
        link = receipt_page(proposal_id)
        await notify(
            recipients,
            Message(
                "proposal_submitted",
                f"方案已提交：{scenario['title']}",
                f"回执编号 {number}，第 {version} 版，内容摘要值 {digest}。",
                link,
            ),
            email=False,
        )
    warnings = []
    if scenario["budget_max"] is not None and proposal["cost_estimate"] > scenario["budget_max"]:
        warnings.append(
            f"费用估算 {format_wan(proposal['cost_estimate'])}高于场景预算上限 {format_wan(scenario['budget_max'])}，"
            "评审时可能因此扣分。"
        )
    receipt = Receipt(proposal_id, number, version, now, digest, scenario["title"], tuple(warnings))
    await _mail_receipt(receipt, recipients)
    return receipt


async def _mail_receipt(receipt: Receipt, user_ids: list[int]) -> None:
    emails = (
        [r["email"] for r in await User.select(User.email).where(User.id.is_in(user_ids))] if user_ids else []
    )
    when = clock.to_park_time(receipt.submitted_at).strftime("%Y-%m-%d %H:%M:%S")
    body = "\n".join(
        [
            f"方案已提交：{receipt.scenario_title}",
            "",
            f"回执编号：{receipt.number}",
            f"提交时间：{when}（北京时间）",
            f"版本：第 {receipt.version} 版",
            f"内容摘要值（SHA-256）：{receipt.content_hash}",
            "",
            "截止前可以修改后重新提交，以最后一次提交的版本为准。",
            f"查看回执：{get_settings().base_url}{receipt_page(receipt.proposal_id)}",
            "",
            "——",
            "数园区场景开放平台",
        ]
    )
    for email in emails:
        try:
            await send_mail(email, f"【数园区】方案提交回执 {receipt.number}", body)
        except Exception as exc:  # the submission stands; the receipt page shows the same
            log.warning("receipt mail to %s failed: %s", email, exc)


async def withdraw_proposal(proposal_id: int, actor: Actor, reason: str = "") -> None:
    """Withdraw a submitted proposal before the deadline; it may be submitted again before the
    deadline (same number, next version). ``Conflict`` for a draft or after the deadline."""
    member = await member_of(actor)
    reason = clean_reason(reason)
    async with write_transaction():
        row, scenario = await lock_for_write(proposal_id, member)
        if row["status"] != "submitted":
            raise Conflict("只有已提交的方案可以撤回。")
        now = clock.now()
        await transition_proposals([proposal_id], "withdrawn", at=now, withdrawn_at=now)
        await record(
            actor, "proposal.withdraw", "proposal", proposal_id, after={"status": "withdrawn"}, reason=reason
        )
        companies = [
            m["company"]
            for m in await ProposalMember.select(ProposalMember.company).where(
                (ProposalMember.proposal == proposal_id) & (ProposalMember.status == "accepted")
            )
        ]
        await notify(
            await company_managers(companies),
            Message(
                "proposal_withdrawn",
                f"方案已撤回：{scenario['title']}",
                f"回执编号 {row['number']} 的方案已撤回。截止前仍可重新提交。"
                + (f"原因：{reason}" if reason else ""),
                proposal_page(proposal_id),
            ),
        )


# --------------------------------------------------------------------------------------------
# The lifecycle: the one writer of ``Proposal.status`` (transition table in ``status.py``)


async def transition_proposals(
    proposal_ids: list[int], target: str, *, at: dt.datetime, **columns: object
) -> None:
    """Move each proposal to ``target``, with ``updated_at`` = ``at`` and the extra ``columns``
    (column name -> value) written beside the status. Runs in the caller's transaction; the rows
    are locked first. ``Conflict`` if any proposal may not make that move (nothing is written).
    Each proposal is queued for the search index."""
    if not proposal_ids:
        return
    rows = await for_update(
        Proposal.select(Proposal.id, Proposal.status).where(Proposal.id.is_in(sorted(proposal_ids)))
    )
    refused = [r["id"] for r in rows if not can_transition(r["status"], target)]
    if refused or len(rows) != len(set(proposal_ids)):
        raise Conflict(f"方案当前状态不允许变为「{STATUS_LABELS.get(target, target)}」。")
    values: dict[Column | str, Any] = {Proposal.status: target, Proposal.updated_at: at}
    values.update({getattr(Proposal, name): value for name, value in columns.items()})
    await Proposal.update(values).where(Proposal.id.is_in(sorted(proposal_ids)))
    for pid in sorted(proposal_ids):
        await enqueue("proposal", pid)


async def start_proposal_review(proposal_ids: list[int], *, at: dt.datetime) -> None:
    """Submitted proposals enter the evaluation (``under_review``), after the deadline."""
    await transition_proposals(proposal_ids, "under_review", at=at)


async def publish_proposal_outcome(proposal_id: int, selected: bool, *, at: dt.datetime) -> None:
    """The published outcome: ``selected`` or ``not_selected``, visible to the applicant."""
    await transition_proposals(
        [proposal_id], "selected" if selected else "not_selected", at=at, outcome_published=True
    )


# --------------------------------------------------------------------------------------------
# Reads for the member pages and the API


@dataclass(frozen=True)
class ProposalScenario:
    """The scenario facts a member's proposal pages show beside the proposal."""

    id: int
    title: str
    status: str
    proposal_deadline: dt.datetime | None
    budget_min: int | None
    budget_max: int | None
    sealed: bool


@dataclass(frozen=True)
class RequiredCapability:
    """A capability the scenario asks for, which the proposal answers one by one."""

    capability: int
    name: str
    weight: int


@dataclass(frozen=True)
class MemberProposal:
    """A proposal as its lead or a consortium member reads it on the member proposal pages."""

    id: int
    number: str | None
    status: str
    status_label: str
    scenario: int
    scenario_title: str
    scenario_department: int
    scenario_sealed: bool
    scenario_proposal_deadline: dt.datetime | None
    company: int
    company_name: str
    company_size: str
    summary: str
    understanding: str
    approach: str
    capability_answers: dict[str, Any]
    data_needs: str
    team: str
    timeline: list[dict[str, Any]]
    cost_estimate: int | None
    pilot_plan: str
    success_indicators: str
    declaration_accepted: bool
    needs_confirmation: bool
    disclose_name: bool
    version: int
    content_hash: str
    created_at: dt.datetime
    updated_at: dt.datetime
    submitted_at: dt.datetime | None
    withdrawn_at: dt.datetime | None
    outcome_published: bool
    autosaved_at: dt.datetime | None
    scenario_row: ProposalScenario
    members: list[dict[str, Any]]
    is_lead: bool
    accepting: bool
    editable: bool
    capabilities: list[RequiredCapability]
    versions: list[dict[str, Any]]
    attachments: list[dict[str, Any]]
    unsubmitted_changes: bool


async def get_member_proposal(proposal_id: int, user) -> MemberProposal:
    """The proposal as its lead or consortium member sees it (``NotFound`` for anyone else),
    with scenario facts, members, versions, attachments and whether the working copy has changes
    not yet submitted."""
    from marketplace.proposals.policy import get_visible_proposal

    if not getattr(user, "is_member", False):
        raise NotFound("方案不存在或您无权查看。")
    row = await get_visible_proposal(user, proposal_id)
    scenario = (
        await Scenario.select(
            Scenario.id,
            Scenario.title,
            Scenario.status,
            Scenario.proposal_deadline,
            Scenario.budget_min,
            Scenario.budget_max,
            Scenario.sealed,
        )
        .where(Scenario.id == row["scenario"])
        .first()
    )
    assert scenario is not None  # a proposal's scenario (foreign key)
    autosaved = await Proposal.select(Proposal.autosaved_at).where(Proposal.id == proposal_id).first()
    assert autosaved is not None  # get_visible_proposal has just read it
    members = await load_members(proposal_id)
    is_lead = row["company"] == user.company_id
    is_accepting = accepting(scenario)
    versions = (
        await ProposalVersion.select(
            ProposalVersion.id,
            ProposalVersion.version,
            ProposalVersion.content_hash,
            ProposalVersion.submitted_at,
        )
        .where(ProposalVersion.proposal == proposal_id)
        .order_by(ProposalVersion.version, ascending=False)
    )
    from marketplace.proposals.attachments import list_attachments

    attachments = await list_attachments(proposal_id)
    unsubmitted_changes = bool(row["version"]) and (
        content_hash(await canonical_content(proposal_id, members=members)) != row["content_hash"]
    )
    return MemberProposal(
        id=row["id"],
        number=row["number"],
        status=row["status"],
        status_label=STATUS_LABELS[row["status"]],
        scenario=row["scenario"],
        scenario_title=row["scenario.title"],
        scenario_department=row["scenario.department"],
        scenario_sealed=row["scenario.sealed"],
        scenario_proposal_deadline=row["scenario.proposal_deadline"],
        company=row["company"],
        company_name=row["company.name"],
        company_size=row["company.size"],
        summary=row["summary"],
        understanding=row["understanding"],
        approach=row["approach"],
        capability_answers=row["capability_answers"],
        data_needs=row["data_needs"],
        team=row["team"],
        timeline=row["timeline"],
        cost_estimate=row["cost_estimate"],
        pilot_plan=row["pilot_plan"],
        success_indicators=row["success_indicators"],
        declaration_accepted=row["declaration_accepted"],
        needs_confirmation=row["needs_confirmation"],
        disclose_name=row["disclose_name"],
        version=row["version"],
        content_hash=row["content_hash"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        submitted_at=row["submitted_at"],
        withdrawn_at=row["withdrawn_at"],
        outcome_published=row["outcome_published"],
        autosaved_at=autosaved["autosaved_at"],
        scenario_row=ProposalScenario(**scenario),
        members=members,
        is_lead=is_lead,
        accepting=is_accepting,
        editable=is_lead and is_accepting and row["status"] in WRITABLE_STATUSES,
        capabilities=[
            RequiredCapability(capability=c["capability"], name=c["capability.name"], weight=c["weight"])
            for c in await required_capabilities(row["scenario"])
        ],
        versions=versions,
        attachments=attachments,
        unsubmitted_changes=unsubmitted_changes,
    )


async def get_version(proposal_id: int, version: int, user) -> dict:
    from marketplace.proposals.policy import can_see_proposal

    if not await can_see_proposal(user, proposal_id):
        raise NotFound("方案不存在或您无权查看。")
    row = (
        await ProposalVersion.select()
        .where((ProposalVersion.proposal == proposal_id) & (ProposalVersion.version == version))
        .first()
        .output(load_json=True)
    )
    if row is None:
        raise NotFound("该版本不存在。")
    return row


@dataclass(frozen=True)
class CompanyProposal:
    """A proposal the company leads or has joined, as its proposal list and the member home show it."""

    id: int
    number: str | None
    status: str
    status_label: str
    version: int
    company: int
    company_name: str
    scenario: int
    scenario_title: str
    scenario_proposal_deadline: dt.datetime | None
    scenario_status: str
    submitted_at: dt.datetime | None
    updated_at: dt.datetime
    needs_confirmation: bool
    is_lead: bool
    accepting: bool


async def list_company_proposals(company_id: int) -> list[CompanyProposal]:
    """Proposals the company leads or has joined (accepted), newest first, with scenario deadline."""
    joined = ProposalMember.select(ProposalMember.proposal).where(
        (ProposalMember.company == company_id) & (ProposalMember.status == "accepted")
    )
    rows = (
        await Proposal.select(
            Proposal.id,
            Proposal.number,
            Proposal.status,
            Proposal.version,
            Proposal.company,
            Proposal.company.name,
            Proposal.scenario,
            Proposal.scenario.title,
            Proposal.scenario.proposal_deadline,
            Proposal.scenario.status,
            Proposal.submitted_at,
            Proposal.updated_at,
            Proposal.needs_confirmation,
        )
        .where((Proposal.company == company_id) | Proposal.id.is_in(joined))
        .order_by(Proposal.updated_at, ascending=False)
    )
    return [
        CompanyProposal(
            id=r["id"],
            number=r["number"],
            status=r["status"],
            status_label=STATUS_LABELS[r["status"]],
            version=r["version"],
            company=r["company"],
            company_name=r["company.name"],
            scenario=r["scenario"],
            scenario_title=r["scenario.title"],
            scenario_proposal_deadline=r["scenario.proposal_deadline"],
            scenario_status=r["scenario.status"],
            submitted_at=r["submitted_at"],
            updated_at=r["updated_at"],
            needs_confirmation=r["needs_confirmation"],
            is_lead=r["company"] == company_id,
            accepting=accepting(
                {"status": r["scenario.status"], "proposal_deadline": r["scenario.proposal_deadline"]}
            ),
        )
        for r in rows
    ]


async def company_size(company_id: int) -> str:
    row = await Company.select(Company.size).where(Company.id == company_id).first()
    return row["size"] if row else ""
