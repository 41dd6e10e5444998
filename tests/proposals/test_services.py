"""Member-side proposal rules: drafts, autosave, submission, versions, receipts, the deadline."""

from __future__ import annotations

import datetime as dt
import email

import pytest

from marketplace.core import clock
from marketplace.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from marketplace.core.outbox import Outbox
from marketplace.notifications.tables import Notification
from marketplace.proposals import services as ps
from marketplace.proposals.tables import Proposal, ProposalVersion
from marketplace.scenarios.tables import Scenario
from marketplace.settings import get_settings
from tests.proposals.helpers import actor, complete_content, proposal_world


@pytest.fixture
async def w(db):
    clock.set_now(dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC))
    return await proposal_world()


def mails() -> list[email.message.Message]:
    folder = get_settings().mail.outbox_dir
    if not folder.exists():
        return []
    return [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in sorted(folder.iterdir())
    ]


@pytest.fixture(autouse=True)
def empty_mail():
    folder = get_settings().mail.outbox_dir
    if folder.exists():
        for p in folder.iterdir():
            p.unlink()


async def test_draft_autosave_writes_partial_fields_and_the_time(w):
    pid = await ps.create_draft(w["scenario"], actor(w["lead_user"]))
    when = await ps.save_proposal(pid, actor(w["lead_user"]), {"summary": "  初稿  "})
    row = await Proposal.select().where(Proposal.id == pid).first()
    assert row["summary"] == "初稿" and row["status"] == "draft" and row["autosaved_at"] == when
    await ps.save_proposal(pid, actor(w["lead_user"]), {"team": "三人"})
    row = await Proposal.select().where(Proposal.id == pid).first()
    assert row["summary"] == "初稿" and row["team"] == "三人"  # the earlier field is kept
    assert await Outbox.count().where((Outbox.kind == "proposal") & (Outbox.entity_id == pid)) >= 3


async def test_autosave_refuses_wrong_types_and_overlong_text_and_stores_nothing(w):
    pid = await ps.create_draft(w["scenario"], actor(w["lead_user"]))
    with pytest.raises(ValidationFailed) as exc:
        await ps.save_proposal(
            pid, actor(w["lead_user"]), {"summary": "x" * 1001, "cost_estimate": "很多", "timeline": "明天"}
        )
    assert set(exc.value.errors) == {"summary", "cost_estimate", "timeline"}
    assert "最多 1000 字" in exc.value.errors["summary"]
    assert (await Proposal.select(Proposal.summary).where(Proposal.id == pid).first())["summary"] == ""


async def test_one_proposal_per_company_and_only_approved_members(w):
    await ps.create_draft(w["scenario"], actor(w["lead_user"]))
    with pytest.raises(Conflict, match="已有本场景的方案"):
        await ps.create_draft(w["scenario"], actor(w["lead_manager"]))
    with pytest.raises(NotAllowed, match="尚未审核通过"):
        await ps.create_draft(w["scenario"], actor(w["pending_manager"]))


async def test_submit_reports_every_missing_item_at_once_in_chinese(w):
    pid = await ps.create_draft(w["scenario"], actor(w["lead_user"]))
    await ps.save_proposal(
        pid,
        actor(w["lead_user"]),
        {"summary": "只有摘要", "timeline": [{"title": "调研", "due": "2027-13-01"}]},
    )
    with pytest.raises(ValidationFailed) as exc:
        await ps.submit_proposal(pid, actor(w["lead_user"]))
    errors = exc.value.errors
    assert set(errors) == {
        "understanding",
        "approach",
        "data_needs",
        "team",
        "pilot_plan",
        "success_indicators",
        f"capability_{w['asr']}",
        f"capability_{w['kb']}",
        "timeline",
        "cost_estimate",
        "declaration_accepted",
    }
    assert "语音识别" in errors[f"capability_{w['asr']}"]
    assert "第 1 个里程碑缺少交付成果、日期（格式 YYYY-MM-DD）" in errors["timeline"]
    assert "11 处" in exc.value.message
    row = await Proposal.select().where(Proposal.id == pid).first()
    assert row["status"] == "draft" and row["number"] is None
    assert await ProposalVersion.count() == 0


async def test_submit_creates_version_receipt_number_hash_mail_and_notification(w):
    pid = await ps.create_draft(w["scenario"], actor(w["lead_user"]))
    await ps.save_proposal(pid, actor(w["lead_user"]), complete_content(w))
    receipt = await ps.submit_proposal(pid, actor(w["lead_user"]))
    assert (
        receipt.number == f"SYQ-2026-{pid:06d}" and receipt.version == 1 and len(receipt.content_hash) == 64
    )
    assert receipt.warnings == ()
    row = await Proposal.select().where(Proposal.id == pid).first()
    assert (row["status"], row["number"], row["version"], row["content_hash"]) == (
        "submitted",
        receipt.number,
        1,
        receipt.content_hash,
    )
    version = (
        await ProposalVersion.select().where(ProposalVersion.proposal == pid).first().output(load_json=True)
    )
    assert version["content"]["summary"] == complete_content(w)["summary"]
    assert version["content"]["members"][0]["name"] == "大企业科技有限公司"
    assert ps.content_hash(version["content"]) == receipt.content_hash
    sent = mails()
    assert sorted(m["To"] for m in sent) == sorted(
        [f"lead{w['n']}@example.com", f"leaduser{w['n']}@example.com"]
    )
    assert receipt.number in sent[0]["Subject"] and receipt.content_hash in sent[0].get_content()
    notes = await Notification.select(Notification.user, Notification.kind).where(
        Notification.kind == "proposal_submitted"
    )
    assert {n["user"] for n in notes} == {w["lead_manager"], w["lead_user"]}


async def test_hash_is_stable_for_same_content_and_changes_with_content(w):
    pid = await ps.create_draft(w["scenario"], actor(w["lead_user"]))
    await ps.save_proposal(pid, actor(w["lead_user"]), complete_content(w))
    first = await ps.submit_proposal(pid, actor(w["lead_user"]))
    clock.advance(dt.timedelta(hours=1))
    again = await ps.submit_proposal(pid, actor(w["lead_user"]))
    # Identical content: the same hash, and nothing new (issue 16, defect 5).
    assert (again.version, again.number, again.content_hash) == (1, first.number, first.content_hash)
    assert again.unchanged
    await ps.save_proposal(pid, actor(w["lead_user"]), {"team": "项目经理 1 人，算法工程师 4 人。"})
    detail = await ps.get_member_proposal(pid, await _user(w["lead_user"]))
    assert detail.unsubmitted_changes and detail.status == "submitted" and detail.version == 1
    second = await ps.submit_proposal(pid, actor(w["lead_user"]))
    assert second.version == 2 and second.number == first.number and second.content_hash != first.content_hash
    assert not second.unchanged
    assert [
        v["version"]
        for v in await ProposalVersion.select(ProposalVersion.version)
        .where(ProposalVersion.proposal == pid)
        .order_by(ProposalVersion.version)
    ] == [1, 2]


async def test_cost_above_budget_is_a_warning_not_a_refusal(w):
    pid = await ps.create_draft(w["scenario"], actor(w["lead_user"]))
    await ps.save_proposal(pid, actor(w["lead_user"]), {**complete_content(w), "cost_estimate": 1_500_000})
    receipt = await ps.submit_proposal(pid, actor(w["lead_user"]))
    assert "高于场景预算上限" in receipt.warnings[0]


async def test_edit_and_withdraw_until_the_deadline_then_everything_is_refused(w):
    pid = await ps.create_draft(w["scenario"], actor(w["lead_user"]))
    await ps.save_proposal(pid, actor(w["lead_user"]), complete_content(w))
    await ps.submit_proposal(pid, actor(w["lead_user"]))
    await ps.withdraw_proposal(pid, actor(w["lead_user"]), "需要调整团队")
    assert (await Proposal.select(Proposal.status).where(Proposal.id == pid).first())["status"] == "withdrawn"
    receipt = await ps.submit_proposal(pid, actor(w["lead_user"]))  # re-submitted before the deadline
    assert receipt.version == 2
    clock.set_now(w["deadline"] + dt.timedelta(seconds=1))
    for attempt in (
        lambda: ps.save_proposal(pid, actor(w["lead_user"]), {"team": "晚了"}),
        lambda: ps.submit_proposal(pid, actor(w["lead_user"])),
        lambda: ps.withdraw_proposal(pid, actor(w["lead_user"])),
        lambda: ps.create_draft(w["scenario"], actor(w["sme_manager"])),
    ):
        with pytest.raises(Conflict, match="已截止"):
            await attempt()
    row = await Proposal.select().where(Proposal.id == pid).first()
    assert row["team"] == complete_content(w)["team"] and row["status"] == "submitted" and row["version"] == 2


async def test_a_scenario_no_longer_open_refuses_writes_even_before_its_deadline(w):
    pid = await ps.create_draft(w["scenario"], actor(w["lead_user"]))
    await Scenario.update({Scenario.status: "cancelled"}).where(Scenario.id == w["scenario"])
    with pytest.raises(Conflict, match="方案已锁定"):
        await ps.save_proposal(pid, actor(w["lead_user"]), {"team": "x"})


async def test_other_companies_cannot_touch_a_proposal(w):
    pid = await ps.create_draft(w["scenario"], actor(w["lead_user"]))
    with pytest.raises(NotFound):
        await ps.save_proposal(pid, actor(w["sme_manager"]), {"team": "x"})
    with pytest.raises(NotFound):
        await ps.get_member_proposal(pid, await _user(w["sme_manager"]))


async def _user(user_id):
    from marketplace.accounts.credentials import _load_user

    return await _load_user(user_id, "session")
