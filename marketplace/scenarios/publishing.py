"""Publishing use cases: staff write drafts, submit them for review; the department's CDO
approves (open now or at a scheduled time) or sends them back with a comment; open scenarios
are amended with a reason, get their deadline extended, or are cancelled.

Every function checks who acts (``NotAllowed`` when the actor may not, ``NotFound`` for an
unknown id or one of another department: its existence is not revealed), runs in one write
transaction, records an audit event, enqueues the scenario for the search index and writes the
notifications it causes (mailed later by the periodic task). The status changes themselves go
through ``services.apply_transition`` and its status machine, never around it: ``Conflict`` when the
scenario's status does not allow the action, ``ValidationFailed`` (with per-field errors) when
the content breaks a rule.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from marketplace.core import clock, events, files
from marketplace.core.audit import Actor, record
from marketplace.core.db import for_update, write_transaction
from marketplace.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from marketplace.core.outbox import enqueue
from marketplace.notifications.services import Message, notify
from marketplace.scenarios import audience
from marketplace.scenarios import status as sm
from marketplace.scenarios.events import ScenarioAmended
from marketplace.scenarios.forms import (
    FIELD_LABELS,
    SCALAR_FIELDS,
    CriterionInput,
    ScenarioInput,
    blocking_problems,
    scenario_rule_errors,
)
from marketplace.scenarios.links import scenario_page, staff_scenario_page
from marketplace.scenarios.policy import StaffMember, department_scenario, require_cdo, staff_member
from marketplace.scenarios.services import apply_transition
from marketplace.scenarios.tables import (
    Scenario,
    ScenarioAmendment,
    ScenarioAttachment,
    ScenarioCapability,
    ScenarioCriterion,
)
from marketplace.taxonomy.tables import Capability

EDITABLE_STATUSES = ("draft", "changes_requested")
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
MAX_ATTACHMENTS = 10


# --------------------------------------------------------------------------------------------
# Who acts


# --------------------------------------------------------------------------------------------
# Reading a scenario as form input


async def load_scenario_input(scenario_id: int) -> ScenarioInput:
    row = (
        await Scenario.select(*[getattr(Scenario, f) for f in SCALAR_FIELDS])
        .where(Scenario.id == scenario_id)
        .first()
    )
    if row is None:
        raise NotFound("场景不存在。")
    caps = (
        await ScenarioCapability.select(ScenarioCapability.capability, ScenarioCapability.weight)
        .where(ScenarioCapability.scenario == scenario_id)
        .order_by(ScenarioCapability.weight, ascending=False)
        .order_by(ScenarioCapability.id)
    )
    crits = (
        await ScenarioCriterion.select(
            ScenarioCriterion.name, ScenarioCriterion.description, ScenarioCriterion.weight
        )
        .where(ScenarioCriterion.scenario == scenario_id)
        .order_by(ScenarioCriterion.position)
        .order_by(ScenarioCriterion.id)
    )
    return ScenarioInput(
        **{f: row[f] for f in SCALAR_FIELDS},
        capabilities=tuple((c["capability"], c["weight"]) for c in caps),
        criteria=tuple(CriterionInput(c["name"], c["description"], c["weight"]) for c in crits),
    )


async def _check_rules(data: ScenarioInput, *, check_future: bool = True) -> None:
    errors = scenario_rule_errors(data, check_future=check_future)
    if data.capabilities:
        ids = [c for c, _ in data.capabilities]
        known = {r["id"] for r in await Capability.select(Capability.id).where(Capability.id.is_in(ids))}
        if set(ids) - known:
            errors.setdefault("capabilities", "所需能力须从能力分类中选择。")
    if errors:
        raise ValidationFailed("请修改标出的内容后再保存。", errors)


async def _write_content(scenario_id: int, data: ScenarioInput, now: dt.datetime) -> None:
    values = {getattr(Scenario, f): getattr(data, f) for f in SCALAR_FIELDS}
    values[Scenario.updated_at] = now
    await Scenario.update(values).where(Scenario.id == scenario_id)
    await ScenarioCapability.delete().where(ScenarioCapability.scenario == scenario_id)
    if data.capabilities:
        await ScenarioCapability.insert(
            *[ScenarioCapability(scenario=scenario_id, capability=c, weight=w) for c, w in data.capabilities]
        )
    await ScenarioCriterion.delete().where(ScenarioCriterion.scenario == scenario_id)
    if data.criteria:
        await ScenarioCriterion.insert(
            *[
                ScenarioCriterion(
                    scenario=scenario_id, name=c.name, description=c.description, weight=c.weight, position=i
                )
                for i, c in enumerate(data.criteria)
            ]
        )


def _jsonable(value):
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, CriterionInput):
        return {"name": value.name, "description": value.description, "weight": value.weight}
    return value


def changed_fields(before: ScenarioInput, after: ScenarioInput) -> list[str]:
    names = [*SCALAR_FIELDS, "capabilities", "criteria"]
    return [n for n in names if getattr(before, n) != getattr(after, n)]


# --------------------------------------------------------------------------------------------
# Drafts


async def create_scenario_draft(actor: Actor, data: ScenarioInput) -> int:
    """A new draft in the actor's department, written by the actor. Emits ``scenario.create``."""
    staff = await staff_member(actor)
    await _check_rules(data)
    async with write_transaction():
        now = clock.now()
        row = Scenario(
            title=data.title,
            domain=data.domain,
            department=staff.department_id,
            status="draft",
            created_by=staff.user_id,
            created_at=now,
            updated_at=now,
        )
        await row.save()
        await _write_content(row.id, data, now)
        await record(actor, "scenario.create", "scenario", row.id, after={"title": data.title})
        await enqueue("scenario", row.id)
    return row.id


async def update_scenario_draft(scenario_id: int, actor: Actor, data: ScenarioInput) -> list[str]:
    """Save a draft (or a scenario sent back for changes). Any staff of the department may.

    ``Conflict`` once the scenario is in review or public: an open scenario changes only through
    ``amend_scenario``, with a reason everyone can read. Returns the fields that changed.
    """
    staff = await staff_member(actor)
    await _check_rules(data)
    async with write_transaction():
        row = await department_scenario(staff, scenario_id, lock=True)
        if row["status"] not in EDITABLE_STATUSES:
            if row["status"] == "open":
                raise Conflict("场景已公开征集，不能直接编辑；请发布变更公告并说明原因。")
            raise Conflict(f"场景当前状态为「{sm.STATUS_LABELS[row['status']]}」，不能编辑。")
        before = await load_scenario_input(scenario_id)
        changed = changed_fields(before, data)
        if changed:
            await _write_content(scenario_id, data, clock.now())
            await record(
                actor,
                "scenario.edit",
                "scenario",
                scenario_id,
                before={f: _jsonable(getattr(before, f)) for f in changed},
                after={f: _jsonable(getattr(data, f)) for f in changed},
            )
            await enqueue("scenario", scenario_id)
    return changed


# --------------------------------------------------------------------------------------------
# Review


async def submit_for_review(scenario_id: int, actor: Actor) -> None:
    """The author (any staff of the department) sends a complete draft to the CDO.

    ``ValidationFailed`` lists what is missing (the blocking writing checks); the department's
    CDOs are notified.
    """
    staff = await staff_member(actor)
    async with write_transaction():
        row = await department_scenario(staff, scenario_id, Scenario.title, lock=True)
        if row["status"] not in EDITABLE_STATUSES:
            raise Conflict(f"场景当前状态为「{sm.STATUS_LABELS[row['status']]}」，不能提交审核。")
        problems = blocking_problems(await load_scenario_input(scenario_id))
        if problems:
            raise ValidationFailed(
                "场景还不完整，不能提交审核：" + "；".join(p.label for p in problems) + "。",
                {p.key: p.message for p in problems},
            )
        await apply_transition(scenario_id, "in_review", actor)
        await Scenario.update(
            {
                Scenario.submitted_at: clock.now(),
                Scenario.approved_at: None,
                Scenario.approved_by: None,
                Scenario.opens_at: None,
            }
        ).where(Scenario.id == scenario_id)
        cdos = list(await audience.department_staff(staff.department_id, cdo_only=True))
        await notify(
            cdos,
            Message(
                "review_requested",
                f"待审核：{row['title']}",
                "有一个场景提交了审核，请审核后批准发布或退回修改。",
                staff_scenario_page(scenario_id),
            ),
        )


async def request_changes(scenario_id: int, actor: Actor, comment: str) -> None:
    """The department's CDO sends a scenario in review back with a comment the author sees."""
    staff = await staff_member(actor)
    require_cdo(staff)
    comment = (comment or "").strip()
    if not comment:
        raise ValidationFailed("请填写修改意见。", {"comment": "请写明需要修改的地方，作者会看到这段意见。"})
    async with write_transaction():
        row = await department_scenario(staff, scenario_id, Scenario.title, Scenario.created_by, lock=True)
        await apply_transition(scenario_id, "changes_requested", actor, reason=comment)
        await Scenario.update(
            {
                Scenario.review_comment: comment,
                Scenario.approved_at: None,
                Scenario.approved_by: None,
                Scenario.opens_at: None,
            }
        ).where(Scenario.id == scenario_id)
        if row["created_by"]:
            await notify(
                [row["created_by"]],
                Message(
                    "changes_requested",
                    f"需修改：{row['title']}",
                    f"首席数据官的修改意见：{comment}",
                    staff_scenario_page(scenario_id),
                ),
            )


async def approve_scenario_for_publication(
    scenario_id: int, actor: Actor, opens_at: dt.datetime | None = None
) -> str:
    """The department's CDO approves a scenario in review: it opens now (``opens_at`` None or
    past) or at ``opens_at`` (the periodic task opens it). Returns the status afterwards.

    Only the CDO of the scenario's own department may approve: other staff, the author who is
    not CDO, and CDOs of other departments are refused (``NotAllowed`` / ``NotFound``).
    """
    staff = await staff_member(actor)
    require_cdo(staff)
    async with write_transaction():
        row = await department_scenario(
            staff,
            scenario_id,
            Scenario.title,
            Scenario.proposal_deadline,
            Scenario.question_deadline,
            Scenario.created_by,
            lock=True,
        )
        if row["status"] != "in_review":
            raise Conflict(f"场景当前状态为「{sm.STATUS_LABELS[row['status']]}」，不能批准发布。")
        now = clock.now()
        if row["proposal_deadline"] is None or row["proposal_deadline"] <= now:
            raise ValidationFailed(
                "方案截止时间已过，请退回作者修改截止时间。", {"proposal_deadline": "方案截止时间已过。"}
            )
        if opens_at is not None and opens_at > now:  # scheduled
            limit = row["question_deadline"] or row["proposal_deadline"]
            if opens_at >= limit:
                raise ValidationFailed(
                    "定时发布时间必须早于答疑截止时间和方案截止时间。",
                    {"opens_at": "定时发布时间必须早于截止时间。"},
                )
            await Scenario.update(
                {
                    Scenario.opens_at: opens_at,
                    Scenario.approved_at: now,
                    Scenario.approved_by: staff.user_id,
                    Scenario.review_comment: "",
                    Scenario.updated_at: now,
                }
            ).where(Scenario.id == scenario_id)
            await record(
                actor, "scenario.schedule", "scenario", scenario_id, after={"opens_at": opens_at.isoformat()}
            )
            await enqueue("scenario", scenario_id)
            if row["created_by"]:
                await notify(
                    [row["created_by"]],
                    Message(
                        "approved",
                        f"已批准，定时发布：{row['title']}",
                        f"首席数据官已批准，场景将于 {clock.to_park_time(opens_at):%Y-%m-%d %H:%M} 自动公开。",
                        staff_scenario_page(scenario_id),
                    ),
                )
            return "in_review"
        await Scenario.update(
            {
                Scenario.approved_at: now,
                Scenario.approved_by: staff.user_id,
                Scenario.opens_at: now,
                Scenario.review_comment: "",
            }
        ).where(Scenario.id == scenario_id)
        await _open(scenario_id, actor, row["title"])
        if row["created_by"]:
            await notify(
                [row["created_by"]],
                Message(
                    "approved",
                    f"已发布：{row['title']}",
                    "首席数据官已批准，场景已公开征集方案。",
                    scenario_page(scenario_id),
                ),
            )
    return "open"


async def _open(scenario_id: int, actor: Actor, title: str) -> None:
    """Open (status machine: in_review -> open) and tell the members whose capabilities match."""
    await apply_transition(scenario_id, "open", actor)
    await notify(
        await audience.matching_members(scenario_id),
        Message(
            "scenario_match",
            f"新场景与贵企业能力匹配：{title}",
            "一个新公开的场景需要贵企业登记的能力，欢迎查看并在截止前提交方案。",
            scenario_page(scenario_id),
        ),
        dedupe_key=f"scenario-match:{scenario_id}",
    )


async def open_scheduled_scenarios(actor: Actor) -> list[int]:
    """Open every approved scenario whose scheduled time has come (the periodic task)."""
    due = await Scenario.select(Scenario.id, Scenario.title).where(
        (Scenario.status == "in_review")
        & Scenario.approved_at.is_not_null()
        & (Scenario.opens_at <= clock.now())
    )
    opened = []
    for row in due:
        try:
            async with write_transaction():
                current = await for_update(
                    Scenario.select(Scenario.status, Scenario.approved_at).where(Scenario.id == row["id"])
                ).first()
                assert current is not None  # a scenario in review is never deleted
                if current["status"] != "in_review" or current["approved_at"] is None:
                    continue  # sent back or opened meanwhile
                await _open(row["id"], actor, row["title"])
            opened.append(row["id"])
        except Conflict:
            pass
    return opened


# --------------------------------------------------------------------------------------------
# Open scenarios: amendments, deadline extensions, cancellation

AMENDABLE_FIELDS = tuple(
    f
    for f in (*SCALAR_FIELDS, "capabilities", "criteria")
    if f not in ("proposal_deadline", "sealed", "domain")
)


async def amend_scenario(
    scenario_id: int,
    actor: Actor,
    data: ScenarioInput,
    reason: str,
    *,
    attachment: tuple[str, bytes] | None = None,
) -> int:
    """Change an open scenario with a public reason; returns the change-log entry's id.

    The proposal deadline changes only through ``extend_scenario_deadline``, and the domain and
    sealed mode not at all once open. ``attachment`` (filename, PDF bytes) adds a document as
    part of the amendment. Submitted proposals are marked as needing their company's
    confirmation, and members with draft or submitted proposals are notified.
    """
    staff = await staff_member(actor)
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if not reason:
        errors["reason"] = "请说明变更原因，它会公开在变更记录中。"
    if attachment is not None:
        problem = check_pdf(*attachment)
        if problem:
            errors["attachment"] = problem
    return await _amend(scenario_id, actor, staff, data, reason, errors, attachment)


async def _amend(scenario_id, actor, staff, data, reason, errors, attachment) -> int:
    async with write_transaction():
        row = await department_scenario(staff, scenario_id, Scenario.title, lock=True)
        if row["status"] != "open":
            raise Conflict("只有征集中的场景可以发布变更公告。")
        before = await load_scenario_input(scenario_id)
        if data.proposal_deadline != before.proposal_deadline:
            errors["proposal_deadline"] = "方案截止时间请通过「延期」修改。"
        if data.sealed != before.sealed:
            errors["sealed"] = "公开征集后不能更改评审方式。"
        if data.domain != before.domain:
            errors["domain"] = "公开征集后不能更改所属领域。"
        rule_errors = scenario_rule_errors(data, check_future=False)
        if (
            data.question_deadline != before.question_deadline
            and data.question_deadline is not None
            and data.question_deadline <= clock.now()
        ):
            rule_errors.setdefault("question_deadline", "答疑截止时间必须晚于现在。")
        errors.update({k: v for k, v in rule_errors.items() if k not in errors})
        changed = [f for f in changed_fields(before, data) if f in AMENDABLE_FIELDS]
        if not changed and attachment is None and not errors:
            errors["reason"] = "没有修改任何内容。"
        if errors:
            raise ValidationFailed("请修改标出的内容后再发布变更。", errors)
        now = clock.now()
        if changed:
            await _write_content(scenario_id, data, now)
        summary = {f: FIELD_LABELS.get(f, f) for f in changed}
        if attachment is not None:
            _, name = await _insert_attachment(scenario_id, staff, actor, attachment[0], attachment[1])
            summary["attachments"] = f"新增附件《{name}》"
        entry = ScenarioAmendment(
            scenario=scenario_id,
            kind="amendment",
            reason=reason,
            changes={
                "fields": list(summary),
                "labels": list(summary.values()),
                "before": {f: _jsonable(getattr(before, f)) for f in changed},
                "after": {f: _jsonable(getattr(data, f)) for f in changed},
            },
            created_by=staff.user_id,
            created_at=now,
        )
        await entry.save()
        # Proposals flags its submitted proposals for re-confirmation (it owns their rows).
        flagged = sorted(
            pid for ids in await events.publish(ScenarioAmended(scenario_id, now)) for pid in ids
        )
        await record(
            actor,
            "scenario.amend",
            "scenario",
            scenario_id,
            before={f: _jsonable(getattr(before, f)) for f in changed},
            after={**{f: _jsonable(getattr(data, f)) for f in changed}, "flagged_proposals": flagged},
            reason=reason,
        )
        await enqueue("scenario", scenario_id)
        await notify(
            await audience.with_followers(scenario_id, await audience.proposal_holders(scenario_id)),
            Message(
                "amendment",
                f"场景内容变更：{row['title']}",
                f"变更原因：{reason}\n变更内容：{'、'.join(summary.values())}\n"
                "已提交的方案需要贵企业重新确认。",
                scenario_page(scenario_id) + "#sec-changes",
            ),
        )
    return entry.id


async def extend_scenario_deadline(
    scenario_id: int,
    actor: Actor,
    new_deadline: dt.datetime,
    reason: str,
    new_question_deadline: dt.datetime | None = None,
) -> None:
    """Move the proposal deadline later, before it passes, with a public reason (change log).

    ``Conflict`` once the deadline has passed (the scenario closes by itself); the new deadline
    must be later than the current one, and a new question deadline (optional) must not move
    earlier nor past the new proposal deadline. Members with proposals and those who asked
    questions are notified.
    """
    staff = await staff_member(actor)
    reason = (reason or "").strip()
    async with write_transaction():
        row = await department_scenario(
            staff,
            scenario_id,
            Scenario.title,
            Scenario.proposal_deadline,
            Scenario.question_deadline,
            lock=True,
        )
        now = clock.now()
        if row["status"] != "open":
            raise Conflict("只有征集中的场景可以延期。")
        current = row["proposal_deadline"]
        if current is None or current <= now:
            raise Conflict("方案截止时间已过，不能再延期。")
        errors: dict[str, str] = {}
        if not reason:
            errors["reason"] = "请说明延期原因，它会公开在变更记录中。"
        if new_deadline <= current:
            errors["proposal_deadline"] = "新的方案截止时间必须晚于当前的截止时间。"
        question = new_question_deadline or row["question_deadline"]
        if new_question_deadline is not None:
            if row["question_deadline"] and new_question_deadline < row["question_deadline"]:
                errors["question_deadline"] = "答疑截止时间只能延后。"
            elif new_question_deadline > new_deadline:
                errors["question_deadline"] = "答疑截止时间不能晚于方案截止时间。"
        if errors:
            raise ValidationFailed("请修改标出的内容后再提交。", errors)
        await Scenario.update(
            {
                Scenario.proposal_deadline: new_deadline,
                Scenario.question_deadline: question,
                Scenario.updated_at: now,
            }
        ).where(Scenario.id == scenario_id)
        changes = {"proposal_deadline": {"before": current.isoformat(), "after": new_deadline.isoformat()}}
        if question != row["question_deadline"]:
            changes["question_deadline"] = {
                "before": _jsonable(row["question_deadline"]),
                "after": question.isoformat(),
            }
        park = clock.to_park_time(new_deadline)
        await ScenarioAmendment(
            scenario=scenario_id,
            kind="extension",
            reason=f"方案截止时间延至 {park:%Y-%m-%d %H:%M}。{reason}",
            changes=changes,
            created_by=staff.user_id,
            created_at=now,
        ).save()
        await record(
            actor,
            "scenario.extend_deadline",
            "scenario",
            scenario_id,
            before={"proposal_deadline": current.isoformat()},
            after={"proposal_deadline": new_deadline.isoformat()},
            reason=reason,
        )
        await enqueue("scenario", scenario_id)
        companies = (await audience.companies_with_proposals(scenario_id)) | (
            await audience.companies_that_asked(scenario_id)
        )
        await notify(
            await audience.with_followers(scenario_id, await audience.member_users_of(companies)),
            Message(
                "deadline_extended",
                f"截止时间延期：{row['title']}",
                f"方案截止时间延至 {park:%Y-%m-%d %H:%M}（北京时间）。原因：{reason}",
                scenario_page(scenario_id),
            ),
        )


async def cancel_scenario(scenario_id: int, actor: Actor, reason: str) -> None:
    """Cancel with a public reason. A public scenario may be cancelled only by the department's
    CDO; a scenario not yet public by any staff of the department. Members with proposals are
    notified."""
    staff = await staff_member(actor)
    async with write_transaction():
        row = await department_scenario(staff, scenario_id, Scenario.title, Scenario.public_status, lock=True)
        if row["public_status"] is not None and not staff.is_cdo:
            raise NotAllowed("已公开的场景只能由本部门首席数据官取消。")
        await apply_transition(scenario_id, "cancelled", actor, reason=reason)
        if row["public_status"] is not None:
            await notify(
                await audience.with_followers(scenario_id, await audience.proposal_holders(scenario_id)),
                Message(
                    "scenario_cancelled",
                    f"场景已取消：{row['title']}",
                    f"取消原因：{reason.strip()}",
                    scenario_page(scenario_id),
                ),
            )


# --------------------------------------------------------------------------------------------
# Attachments


def clean_filename(name: str) -> str:
    """A display name safe in headers and pages: no path, no control characters, ends in .pdf."""
    return files.clean_filename(name, files.PDF)


def check_pdf(filename: str, content: bytes) -> str | None:
    """Why ``content`` is not an acceptable attachment, or None. The content decides, not the
    name or the browser's content type (``core.files.is_pdf`` judges the structure)."""
    _, problem = files.check_upload(content, allowed=(files.PDF,), max_bytes=MAX_ATTACHMENT_BYTES)
    return problem


async def _insert_attachment(
    scenario_id: int, staff: StaffMember, actor: Actor, filename: str, content: bytes
) -> tuple[int, str]:
    """The attachment's row, inside the caller's transaction; returns (id, display name)."""
    if await ScenarioAttachment.count().where(ScenarioAttachment.scenario == scenario_id) >= MAX_ATTACHMENTS:
        raise ValidationFailed(
            f"最多 {MAX_ATTACHMENTS} 个附件。", {"attachment": f"最多 {MAX_ATTACHMENTS} 个附件。"}
        )
    name = clean_filename(filename)
    attachment = ScenarioAttachment(
        scenario=scenario_id,
        filename=name,
        stored_name=await files.store_file(content, files.PDF),
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=staff.user_id,
        uploaded_at=clock.now(),
    )
    await attachment.save()
    await record(
        actor, "scenario.attach", "scenario", scenario_id, after={"attachment": name, "size": len(content)}
    )
    return attachment.id, name


async def add_attachment(scenario_id: int, actor: Actor, filename: str, content: bytes) -> int:
    """Attach a PDF to a draft (an open scenario gets attachments through ``amend_scenario``).

    ``ValidationFailed`` (field ``attachment``) for a file that is not a PDF by its content, is
    empty or too large. The file is stored in the database (``core.files``) with its row.
    """
    staff = await staff_member(actor)
    problem = check_pdf(filename, content)
    if problem:
        raise ValidationFailed(problem, {"attachment": problem})
    async with write_transaction():
        row = await department_scenario(staff, scenario_id, lock=True)
        if row["status"] not in EDITABLE_STATUSES:
            raise Conflict("当前状态不能直接添加附件；征集中的场景请通过变更公告添加。")
        attachment_id, _ = await _insert_attachment(scenario_id, staff, actor, filename, content)
        await enqueue("scenario", scenario_id)
    return attachment_id


async def remove_attachment(scenario_id: int, attachment_id: int, actor: Actor) -> None:
    """Remove an attachment from a draft (public scenarios keep theirs: readers rely on them)."""
    staff = await staff_member(actor)
    async with write_transaction():
        row = await department_scenario(staff, scenario_id, lock=True)
        if row["status"] not in EDITABLE_STATUSES:
            raise Conflict("只有草稿的附件可以删除。")
        attachment = (
            await ScenarioAttachment.select(ScenarioAttachment.filename, ScenarioAttachment.stored_name)
            .where((ScenarioAttachment.id == attachment_id) & (ScenarioAttachment.scenario == scenario_id))
            .first()
        )
        if attachment is None:
            raise NotFound("附件不存在。")
        await ScenarioAttachment.delete().where(ScenarioAttachment.id == attachment_id)
        await files.delete_file(attachment["stored_name"])
        await record(
            actor, "scenario.detach", "scenario", scenario_id, before={"attachment": attachment["filename"]}
        )


async def list_attachments(scenario_id: int) -> list[dict]:
    return (
        await ScenarioAttachment.select(
            ScenarioAttachment.id,
            ScenarioAttachment.filename,
            ScenarioAttachment.size,
            ScenarioAttachment.uploaded_at,
        )
        .where(ScenarioAttachment.scenario == scenario_id)
        .order_by(ScenarioAttachment.id)
    )


async def open_attachment(scenario_id: int, attachment_id: int, reader) -> tuple[bytes, str]:
    """The content and display name of an attachment, if ``reader`` may read it: everyone once the
    scenario is public; before that only staff of its department and association admins.
    ``NotFound`` otherwise (a private attachment's existence is not revealed)."""
    row = (
        await ScenarioAttachment.select(
            ScenarioAttachment.filename,
            ScenarioAttachment.stored_name,
            ScenarioAttachment.scenario.public_status,
            ScenarioAttachment.scenario.department,
        )
        .where((ScenarioAttachment.id == attachment_id) & (ScenarioAttachment.scenario == scenario_id))
        .first()
    )
    if row is None:
        raise NotFound("附件不存在。")
    public = row["scenario.public_status"] is not None
    own_staff = getattr(reader, "is_staff", False) and reader.department_id == row["scenario.department"]
    if not (public or own_staff or getattr(reader, "is_admin", False)):
        raise NotFound("附件不存在。")
    content = await files.read_file(row["stored_name"])
    if content is None:
        raise NotFound("附件文件缺失。")
    return content, row["filename"]


# --------------------------------------------------------------------------------------------
# Reads for the staff pages


async def get_staff_scenario(scenario_id: int, actor: Actor) -> dict:
    """Everything the department's staff see about one of their scenarios."""
    staff = await staff_member(actor)
    row = (
        await Scenario.select(
            Scenario.id,
            Scenario.department,
            Scenario.title,
            Scenario.status,
            Scenario.public_status,
            Scenario.review_comment,
            Scenario.submitted_at,
            Scenario.approved_at,
            Scenario.opens_at,
            Scenario.opened_at,
            Scenario.closed_at,
            Scenario.proposal_deadline,
            Scenario.question_deadline,
            Scenario.cancel_reason,
            Scenario.created_at,
            Scenario.updated_at,
            Scenario.sealed,
            Scenario.created_by.email,
            Scenario.created_by.display_name,
            Scenario.created_by,
            Scenario.approved_by.display_name,
            Scenario.department.name,
        )
        .where(Scenario.id == scenario_id)
        .first()
    )
    if row is None or row["department"] != staff.department_id:
        raise NotFound("场景不存在。")
    row["status_label"] = sm.STATUS_LABELS[row["status"]]
    row["is_scheduled"] = row["status"] == "in_review" and row["approved_at"] is not None
    row["viewer_is_cdo"] = staff.is_cdo
    row["viewer_is_author"] = row["created_by"] == staff.user_id
    return row


async def list_change_log(scenario_id: int) -> list[dict]:
    rows = (
        await ScenarioAmendment.select(
            ScenarioAmendment.kind,
            ScenarioAmendment.reason,
            ScenarioAmendment.changes,
            ScenarioAmendment.created_at,
        )
        .where(ScenarioAmendment.scenario == scenario_id)
        .order_by(ScenarioAmendment.created_at)
        .output(load_json=True)
    )
    return rows
