"""The pilot after the award: milestones copied from the selected proposal's timeline, status
updates from the department and the partner companies, and completion with an outcome note.

Who may do what (checked here, from the database, not only by the route guards):
- the scenario's department staff start the pilot (only on an ``awarded`` scenario whose result
  is published), post updates, move milestones and complete the pilot;
- members of the partner companies (the selected proposal's lead and its accepted consortium
  members) post updates and move milestones;
- anyone else gets ``NotFound`` (the pilot's existence is not revealed) or ``NotAllowed``.

Starting moves the scenario awarded -> piloting and completing moves it piloting -> completed,
through ``marketplace.scenarios.services``, in the same transaction. Every action is audited.
Raises ``ValidationFailed`` for bad input, ``Conflict`` for a state that refuses the action.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from piccolo.columns import ForeignKey

from marketplace.accounts.tables import User
from marketplace.core import clock
from marketplace.core.audit import Actor, record
from marketplace.core.db import for_update, write_transaction
from marketplace.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from marketplace.core.outbox import enqueue
from marketplace.evaluation.links import pilot_page
from marketplace.evaluation.objections import open_objections
from marketplace.evaluation.tables import (
    MILESTONE_STATUSES,
    Pilot,
    PilotMilestone,
    PilotUpdate,
    ScenarioOutcome,
)
from marketplace.notifications.services import Message, notify
from marketplace.proposals.tables import Proposal, ProposalMember, ProposalVersion
from marketplace.scenarios import services as scenario_services
from marketplace.scenarios.links import scenario_page
from marketplace.scenarios.tables import Scenario

MILESTONE_LABELS = {"planned": "未开始", "in_progress": "进行中", "done": "已完成", "delayed": "已延期"}


@dataclass(frozen=True)
class MilestoneProgress:
    done: int
    total: int
    percent: int  # 0 when there are no milestones


@dataclass(frozen=True)
class PublicMilestone:
    title: str
    due_date: dt.date | None
    status: str
    status_label: str
    completed_at: dt.datetime | None


@dataclass(frozen=True)
class PublicPilot:
    """A pilot as the public sees it on the scenario page (updates stay internal)."""

    status: str
    status_label: str
    started_at: dt.datetime | None
    completed_at: dt.datetime | None
    outcome_note: str  # only once completed
    milestones: list[PublicMilestone]
    progress: MilestoneProgress


@dataclass(frozen=True)
class TrackRecordEntry:
    """A completed pilot on a published result, as the company's public track record."""

    pilot_id: int
    scenario_id: int
    scenario_title: str
    domain: str
    department: str
    completed_at: dt.datetime | None
    outcome_note: str
    role: str  # 牵头单位 or 联合体成员


PILOT_LABELS = {"active": "试点中", "completed": "已完成", "stopped": "已终止"}
MAX_NOTE = 2000
MAX_OUTCOME = 4000


# --------------------------------------------------------------------------------------------
# Pure helpers


def milestones_from_timeline(timeline: list | None) -> list[dict]:
    """The proposal's timeline items ({title, due, deliverable}) as milestone rows, in order.

    Items without a title are skipped; an unreadable due date becomes None. Pure.
    """
    out = []
    for item in timeline or []:
        if not isinstance(item, dict):
            continue
        title = str(item.get("title") or "").strip()[:200]
        if not title:
            continue
        try:
            due = dt.date.fromisoformat(str(item.get("due") or "")[:10])
        except ValueError:
            due = None
        out.append({"title": title, "due_date": due, "note": str(item.get("deliverable") or "").strip()})
    return out


def milestone_progress(milestones: list[dict]) -> MilestoneProgress:
    """How many milestones are done, of how many, and the percentage (0 when there are none)."""
    total = len(milestones)
    done = sum(1 for m in milestones if m["status"] == "done")
    return MilestoneProgress(done=done, total=total, percent=round(100 * done / total) if total else 0)


def _clean_note(note: str, limit: int, field: str, empty: str) -> str:
    note = (note or "").strip()
    if not note:
        raise ValidationFailed(empty, {field: empty})
    if len(note) > limit:
        message = f"内容不能超过 {limit} 字。"
        raise ValidationFailed(message, {field: message})
    return note


# --------------------------------------------------------------------------------------------
# Who acts


async def _user_row(actor: Actor) -> dict:
    if actor.user_id is None:
        raise NotAllowed("请先登录。")
    row = (
        await User.select(User.id, User.role, User.department, User.company, User.active)
        .where(User.id == actor.user_id)
        .first()
    )
    if row is None or not row["active"]:
        raise NotAllowed("账号不可用。")
    return row


async def partner_company_ids(proposal_id: int) -> list[int]:
    """The selected proposal's lead company and its accepted consortium members."""
    lead = await Proposal.select(Proposal.company).where(Proposal.id == proposal_id).first()
    members = await ProposalMember.select(ProposalMember.company).where(
        (ProposalMember.proposal == proposal_id) & (ProposalMember.status == "accepted")
    )
    ids = [lead["company"]] if lead else []
    ids += [m["company"] for m in members if m["company"] not in ids]
    return ids


async def _partner_users(proposal_id: int) -> list[int]:
    """The active member users of the partner companies (whom pilot news is for)."""
    rows = await User.select(User.id).where(
        User.company.is_in(await partner_company_ids(proposal_id))
        & (User.role == "member")
        & (User.active == True)
    )
    return [r["id"] for r in rows]


async def _pilot_row(pilot_id: int, *, lock: bool = False) -> dict:
    query = Pilot.select(Pilot.id, Pilot.scenario, Pilot.proposal, Pilot.status).where(Pilot.id == pilot_id)
    row = await (for_update(query) if lock else query).first()  # no join: PostgreSQL locks one table
    if row is None:
        raise NotFound("试点不存在。")
    scenario = await Scenario.select(Scenario.department).where(Scenario.id == row["scenario"]).first()
    assert scenario is not None  # a pilot's scenario (foreign key)
    return {**row, "scenario.department": scenario["department"]}


async def _check_pilot_actor(pilot: dict, actor: Actor, *, staff_only: bool = False) -> str:
    """'staff' or 'partner' if the actor may act on this pilot; NotFound otherwise."""
    user = await _user_row(actor)
    if user["role"] == "staff" and user["department"] == pilot["scenario.department"]:
        return "staff"
    if (
        not staff_only
        and user["role"] == "member"
        and user["company"] in await partner_company_ids(pilot["proposal"])
    ):
        return "partner"
    raise NotFound("试点不存在。")


# --------------------------------------------------------------------------------------------
# Reads


async def _awarded_scenario(scenario_id: int) -> dict:
    row = (
        await Scenario.select(
            Scenario.id,
            Scenario.title,
            Scenario.status,
            Scenario.department,
            Scenario.department.name,
            Scenario.result_published_at,
            Scenario.public_status,
        )
        .where(Scenario.id == scenario_id)
        .first()
    )
    if row is None:
        raise NotFound("场景不存在。")
    return row


async def _selected_proposal(scenario_id: int) -> dict | None:
    """The selected proposal of a scenario's awarded outcome (with the lead's name), or None."""
    outcome = (
        await ScenarioOutcome.select(
            ScenarioOutcome.result,
            ScenarioOutcome.selected_proposal,
            ScenarioOutcome.published_at,
        )
        .where(ScenarioOutcome.scenario == scenario_id)
        .first()
    )
    if outcome is None or outcome["result"] != "awarded" or outcome["selected_proposal"] is None:
        return None
    proposal = (
        await Proposal.select(
            Proposal.id,
            Proposal.number,
            Proposal.summary,
            Proposal.company,
            Proposal.company.name,
        )
        .where(Proposal.id == outcome["selected_proposal"])
        .first()
    )
    assert proposal is not None  # the outcome's selected proposal (foreign key)
    return {
        **proposal,
        "outcome_published_at": outcome["published_at"],
        "partners": await _partner_names(proposal["id"]),
    }


async def _partner_names(proposal_id: int) -> list[dict]:
    rows = (
        await ProposalMember.select(
            ProposalMember.company,
            ProposalMember.company.name,
            ProposalMember.company.size,
            ProposalMember.role,
            ProposalMember.is_lead,
        )
        .where((ProposalMember.proposal == proposal_id) & (ProposalMember.status == "accepted"))
        .order_by(ProposalMember.is_lead, ascending=False)
        .order_by(ProposalMember.id)
    )
    return [
        {
            "id": r["company"],
            "name": r["company.name"],
            "sme": r["company.size"] == "sme",
            "role": r["role"],
            "is_lead": r["is_lead"],
        }
        for r in rows
    ]


async def _pilot_details(pilot: dict) -> dict:
    milestones = (
        await PilotMilestone.select()
        .where(PilotMilestone.pilot == pilot["id"])
        .order_by(PilotMilestone.position)
        .order_by(PilotMilestone.id)
    )
    author_company, author_department = PilotUpdate.author.company, PilotUpdate.author.department
    # joined foreign keys (Piccolo types them Column | Any)
    assert isinstance(author_company, ForeignKey) and isinstance(author_department, ForeignKey)
    updates = (
        await PilotUpdate.select(
            PilotUpdate.id,
            PilotUpdate.note,
            PilotUpdate.created_at,
            PilotUpdate.milestone,
            PilotUpdate.milestone.title,
            PilotUpdate.author.display_name,
            PilotUpdate.author.role,
            author_company.name,
            author_department.name,
        )
        .where(PilotUpdate.pilot == pilot["id"])
        .order_by(PilotUpdate.created_at, ascending=False)
        .order_by(PilotUpdate.id, ascending=False)
    )
    for m in milestones:
        m["status_label"] = MILESTONE_LABELS.get(m["status"], m["status"])
    for u in updates:
        u["author_org"] = (
            u["author.company.name"] if u["author.role"] == "member" else u["author.department.name"]
        ) or ""
    return {
        **pilot,
        "status_label": PILOT_LABELS.get(pilot["status"], pilot["status"]),
        "milestones": milestones,
        "updates": updates,
        "progress": milestone_progress(milestones),
    }


_PILOT_COLUMNS = (
    Pilot.id,
    Pilot.scenario,
    Pilot.proposal,
    Pilot.status,
    Pilot.started_at,
    Pilot.completed_at,
    Pilot.outcome_note,
)


async def get_staff_pilot_page(scenario_id: int, actor: Actor) -> dict:
    """What the department's staff see on the scenario's pilot page: the scenario, the selected
    proposal and partners, whether a pilot may start, and the pilot with milestones and updates.
    ``NotFound`` for another department's scenario."""
    user = await _user_row(actor)
    scenario = await _awarded_scenario(scenario_id)
    if user["role"] != "staff" or user["department"] != scenario["department"]:
        raise NotFound("场景不存在。")
    pilot = await Pilot.select(*_PILOT_COLUMNS).where(Pilot.scenario == scenario_id).first()
    selected = await _selected_proposal(scenario_id)
    can_start = (
        pilot is None
        and scenario["status"] == "awarded"
        and selected is not None
        and scenario["result_published_at"] is not None
    )
    return {
        "scenario": scenario,
        "selected": selected,
        "can_start": can_start,
        "pilot": await _pilot_details(pilot) if pilot else None,
    }


async def get_member_pilot(pilot_id: int, actor: Actor) -> dict:
    """A pilot as a partner company's member sees it. ``NotFound`` for anyone else."""
    pilot = await _pilot_row(pilot_id)
    await _check_pilot_actor(pilot, actor)
    row = await Pilot.select(*_PILOT_COLUMNS).where(Pilot.id == pilot_id).first()
    assert row is not None  # _pilot_row has just found it
    scenario = await _awarded_scenario(pilot["scenario"])
    return {
        "scenario": scenario,
        "selected": await _selected_proposal(pilot["scenario"]),
        "pilot": await _pilot_details(row),
    }


async def _pilot_ids_of_company(company_id: int) -> list[int]:
    proposals = ProposalMember.select(ProposalMember.proposal).where(
        (ProposalMember.company == company_id) & (ProposalMember.status == "accepted")
    )
    rows = await Pilot.select(Pilot.id).where(
        Pilot.proposal.is_in(proposals)
        | Pilot.proposal.is_in(Proposal.select(Proposal.id).where(Proposal.company == company_id))
    )
    return [r["id"] for r in rows]


async def list_member_pilots(company_id: int | None) -> list[dict]:
    """The pilots the company takes part in (lead or accepted member), newest first."""
    if company_id is None:
        return []
    ids = await _pilot_ids_of_company(company_id)
    if not ids:
        return []
    department = Pilot.scenario.department
    assert isinstance(department, ForeignKey)  # joined foreign key (Piccolo types it Column | Any)
    rows = (
        await Pilot.select(
            Pilot.id,
            Pilot.status,
            Pilot.started_at,
            Pilot.completed_at,
            Pilot.scenario,
            Pilot.scenario.title,
            department.name,
            Pilot.proposal.company,
        )
        .where(Pilot.id.is_in(ids))
        .order_by(Pilot.started_at, ascending=False)
    )
    milestones = await PilotMilestone.select(PilotMilestone.pilot, PilotMilestone.status).where(
        PilotMilestone.pilot.is_in(ids)
    )
    for r in rows:
        r["status_label"] = PILOT_LABELS.get(r["status"], r["status"])
        r["progress"] = milestone_progress([m for m in milestones if m["pilot"] == r["id"]])
        r["is_lead"] = r["proposal.company"] == company_id
    return rows


async def get_public_pilot(scenario_id: int) -> PublicPilot | None:
    """The pilot as the public sees it on the scenario page, once the result is published:
    milestone titles, due dates and statuses, the progress, and the outcome note when completed.
    Updates stay with the department and the partners. None when there is nothing to show."""
    scenario = await Scenario.select(Scenario.result_published_at).where(Scenario.id == scenario_id).first()
    if scenario is None or scenario["result_published_at"] is None:
        return None
    pilot = await Pilot.select(*_PILOT_COLUMNS).where(Pilot.scenario == scenario_id).first()
    if pilot is None:
        return None
    milestones = (
        await PilotMilestone.select(
            PilotMilestone.title,
            PilotMilestone.due_date,
            PilotMilestone.status,
            PilotMilestone.completed_at,
        )
        .where(PilotMilestone.pilot == pilot["id"])
        .order_by(PilotMilestone.position)
        .order_by(PilotMilestone.id)
    )
    status: str = pilot["status"]
    return PublicPilot(
        status=status,
        status_label=PILOT_LABELS.get(status, status),
        started_at=pilot["started_at"],
        completed_at=pilot["completed_at"],
        outcome_note=pilot["outcome_note"] if pilot["status"] == "completed" else "",
        milestones=[
            PublicMilestone(
                title=m["title"],
                due_date=m["due_date"],
                status=m["status"],
                status_label=MILESTONE_LABELS.get(m["status"], m["status"]),
                completed_at=m["completed_at"],
            )
            for m in milestones
        ],
        progress=milestone_progress(milestones),
    )


async def list_completed_pilots(company_id: int) -> list[TrackRecordEntry]:
    """The company's completed pilots on scenarios whose result is published (its track record):
    scenario, department, the company's role (lead or consortium member), completion date and
    outcome note, newest first."""
    ids = await _pilot_ids_of_company(company_id)
    if not ids:
        return []
    department = Pilot.scenario.department
    assert isinstance(department, ForeignKey)  # joined foreign key (Piccolo types it Column | Any)
    rows = (
        await Pilot.select(
            Pilot.id,
            Pilot.scenario,
            Pilot.scenario.title,
            Pilot.scenario.domain,
            department.name,
            Pilot.completed_at,
            Pilot.outcome_note,
            Pilot.proposal,
            Pilot.proposal.company,
        )
        .where(
            Pilot.id.is_in(ids)
            & (Pilot.status == "completed")
            & Pilot.scenario.result_published_at.is_not_null()
        )
        .order_by(Pilot.completed_at, ascending=False)
    )
    return [
        TrackRecordEntry(
            pilot_id=r["id"],
            scenario_id=r["scenario"],
            scenario_title=r["scenario.title"],
            domain=r["scenario.domain"],
            department=r["scenario.department.name"],
            completed_at=r["completed_at"],
            outcome_note=r["outcome_note"],
            role="牵头单位" if r["proposal.company"] == company_id else "联合体成员",
        )
        for r in rows
    ]


# --------------------------------------------------------------------------------------------
# Writes


async def _timeline_of(proposal_id: int) -> list:
    version = (
        await ProposalVersion.select(ProposalVersion.content)
        .where(ProposalVersion.proposal == proposal_id)
        .order_by(ProposalVersion.version, ascending=False)
        .output(load_json=True)
        .first()
    )
    if version and isinstance(version["content"], dict) and version["content"].get("timeline"):
        return version["content"]["timeline"]
    row = (
        await Proposal.select(Proposal.timeline)
        .where(Proposal.id == proposal_id)
        .output(load_json=True)
        .first()
    )
    return (row or {}).get("timeline") or []


async def start_pilot(scenario_id: int, actor: Actor) -> int:
    """The department's staff start the pilot of an awarded scenario whose result is published:
    a Pilot with the selected proposal's milestones; the scenario moves to piloting. Returns
    the pilot id. ``Conflict`` if the scenario is not awarded, unpublished, already piloting, or
    while an objection (质疑) to its result awaits the department's answer."""
    user = await _user_row(actor)
    async with write_transaction():
        scenario = await for_update(
            Scenario.select(
                Scenario.id,
                Scenario.title,
                Scenario.status,
                Scenario.department,
                Scenario.result_published_at,
            ).where(Scenario.id == scenario_id)
        ).first()
        if scenario is None or user["role"] != "staff" or user["department"] != scenario["department"]:
            raise NotFound("场景不存在。")
        if await Pilot.exists().where(Pilot.scenario == scenario_id):
            raise Conflict("该场景的试点已经启动。")
        if scenario["status"] != "awarded":
            raise Conflict("只有已选定合作伙伴的场景才能启动试点。")
        if scenario["result_published_at"] is None:
            raise Conflict("评审结果公布后才能启动试点。")
        if waiting := await open_objections(scenario_id):
            raise Conflict(f"本场景尚有 {waiting} 件质疑未答复，答复全部质疑后才能启动试点。")
        selected = await _selected_proposal(scenario_id)
        if selected is None:
            raise Conflict("该场景没有选定的方案，不能启动试点。")
        now = clock.now()
        pilot = Pilot(
            scenario=scenario_id,
            proposal=selected["id"],
            status="active",
            started_at=now,
            created_by=actor.user_id,
        )
        await pilot.save()
        milestones = milestones_from_timeline(await _timeline_of(selected["id"]))
        for position, m in enumerate(milestones):
            await PilotMilestone.insert(PilotMilestone(pilot=pilot.id, position=position, **m))
        await scenario_services.start_scenario_pilot(scenario_id, actor)
        await record(
            actor,
            "pilot.start",
            "pilot",
            pilot.id,
            after={"scenario": scenario_id, "proposal": selected["id"], "milestones": len(milestones)},
        )
        await notify(
            await _partner_users(selected["id"]),
            Message(
                "pilot_started",
                f"试点已启动：{scenario['title']}",
                f"部门已启动试点，{len(milestones)} 个里程碑已从贵方方案的实施计划导入。请在试点页面发布进展、更新里程碑。",
                pilot_page(pilot.id),
            ),
        )
    return pilot.id


async def post_pilot_update(pilot_id: int, actor: Actor, note: str, milestone_id: int | None = None) -> int:
    """Staff of the department or a partner company's member posts a status update, optionally
    about one milestone. Returns the update id. ``Conflict`` once the pilot is over."""
    note = _clean_note(note, MAX_NOTE, "note", "请填写进展说明。")
    async with write_transaction():
        pilot = await _pilot_row(pilot_id, lock=True)
        await _check_pilot_actor(pilot, actor)
        if pilot["status"] != "active":
            raise Conflict("试点已结束，不能再发布进展。")
        if milestone_id is not None and not await PilotMilestone.exists().where(
            (PilotMilestone.id == milestone_id) & (PilotMilestone.pilot == pilot_id)
        ):
            raise ValidationFailed("请选择本试点的里程碑。", {"milestone": "请选择本试点的里程碑。"})
        row = PilotUpdate(
            pilot=pilot_id, milestone=milestone_id, note=note, author=actor.user_id, created_at=clock.now()
        )
        await row.save()
        await record(
            actor, "pilot.update", "pilot", pilot_id, after={"update": row.id, "milestone": milestone_id}
        )
    return row.id


async def set_milestone_status(
    pilot_id: int, milestone_id: int, status: str, actor: Actor, note: str = ""
) -> None:
    """Move a milestone to planned / in_progress / done / delayed (staff or partner). The change
    is also posted as an update, with the optional note, so the history shows who moved it."""
    if status not in MILESTONE_STATUSES:
        raise ValidationFailed("请选择里程碑状态。", {"status": "请选择里程碑状态。"})
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationFailed(f"说明不能超过 {MAX_NOTE} 字。", {"note": f"说明不能超过 {MAX_NOTE} 字。"})
    async with write_transaction():
        pilot = await _pilot_row(pilot_id, lock=True)
        await _check_pilot_actor(pilot, actor)
        if pilot["status"] != "active":
            raise Conflict("试点已结束，不能再修改里程碑。")
        milestone = (
            await PilotMilestone.select(PilotMilestone.title, PilotMilestone.status)
            .where((PilotMilestone.id == milestone_id) & (PilotMilestone.pilot == pilot_id))
            .first()
        )
        if milestone is None:
            raise NotFound("里程碑不存在。")
        now = clock.now()
        await PilotMilestone.update(
            {
                PilotMilestone.status: status,
                PilotMilestone.completed_at: now if status == "done" else None,
            }
        ).where(PilotMilestone.id == milestone_id)
        text = f"里程碑「{milestone['title']}」状态：{MILESTONE_LABELS[milestone['status']]} → {MILESTONE_LABELS[status]}"
        await PilotUpdate.insert(
            PilotUpdate(
                pilot=pilot_id,
                milestone=milestone_id,
                author=actor.user_id,
                note=f"{text}。{note}" if note else text,
                created_at=now,
            )
        )
        await record(
            actor,
            "pilot.milestone",
            "pilot",
            pilot_id,
            before={"status": milestone["status"]},
            after={"milestone": milestone_id, "status": status},
            reason=note,
        )


async def complete_pilot(pilot_id: int, actor: Actor, outcome_note: str) -> None:
    """The department's staff complete the pilot with an outcome note (required): the pilot is
    completed and the scenario moves piloting -> completed. The note is public on the scenario
    page and counts as the partners' track record."""
    outcome_note = _clean_note(outcome_note, MAX_OUTCOME, "outcome_note", "请填写试点成效说明。")
    async with write_transaction():
        pilot = await _pilot_row(pilot_id, lock=True)
        await _check_pilot_actor(pilot, actor, staff_only=True)
        if pilot["status"] != "active":
            raise Conflict("试点已经结束。")
        now = clock.now()
        await Pilot.update(
            {Pilot.status: "completed", Pilot.completed_at: now, Pilot.outcome_note: outcome_note}
        ).where(Pilot.id == pilot_id)
        await scenario_services.complete_scenario(pilot["scenario"], actor)
        await record(
            actor, "pilot.complete", "pilot", pilot_id, after={"status": "completed"}, reason=outcome_note
        )
        # The partners' profiles show the new track record: refresh their search documents.
        for company_id in await partner_company_ids(pilot["proposal"]):
            await enqueue("company", company_id)
        scenario = await Scenario.select(Scenario.title).where(Scenario.id == pilot["scenario"]).first()
        assert scenario is not None  # a pilot's scenario (foreign key)
        title = scenario["title"]
        await notify(
            await _partner_users(pilot["proposal"]),
            Message(
                "pilot_completed",
                f"试点已完成：{title}",
                "部门已确认试点完成，成效说明已在场景页面公开，并计入贵企业的业绩。",
                scenario_page(pilot["scenario"]),
            ),
        )
