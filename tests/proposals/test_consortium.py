"""Consortium rules: invitations, answers, shares, and what changing them does to a submission."""

from __future__ import annotations

import datetime as dt

import pytest

from marketplace.core import clock
from marketplace.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from marketplace.notifications.tables import Notification
from marketplace.proposals import consortium as pc
from marketplace.proposals import services as ps
from marketplace.proposals.tables import Proposal, ProposalMember
from tests.factories import make_company
from tests.proposals.helpers import actor, complete_content, proposal_world


@pytest.fixture
async def w(db):
    clock.set_now(dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC))
    from marketplace.settings import get_settings

    outbox = get_settings().mail.outbox_dir
    for old_mail in outbox.iterdir() if outbox.exists() else []:
        old_mail.unlink()
    w = await proposal_world()
    w["pid"] = await ps.create_draft(w["scenario"], actor(w["lead_manager"]))
    await ps.save_proposal(w["pid"], actor(w["lead_manager"]), complete_content(w))
    return w


async def test_invited_company_managers_are_notified_and_submission_waits_for_acceptance(w):
    await pc.invite_member(w["pid"], actor(w["lead_manager"]), w["sme"], "数据治理", 30)
    notes = await Notification.select(Notification.user, Notification.link).where(
        Notification.kind == "consortium_invitation"
    )
    assert [n["user"] for n in notes] == [w["sme_manager"]]  # managers only, mailed later
    assert notes[0]["link"] == f"/member/invitations/{w['pid']}"
    with pytest.raises(ValidationFailed) as exc:
        await ps.submit_proposal(w["pid"], actor(w["lead_manager"]))
    assert set(exc.value.errors) == {"consortium"}
    # The lead gave up the invitee's 30 % (issue 16, defect 6): the shares add up to 100, and
    # only the pending answer stops the submission.
    assert (
        "小微智能有限公司" in exc.value.errors["consortium"] and "130%" not in exc.value.errors["consortium"]
    )
    await pc.answer_invitation(w["pid"], actor(w["sme_manager"]), accept=True)
    receipt = await ps.submit_proposal(w["pid"], actor(w["lead_manager"]))
    assert receipt.version == 1
    mailed = {m["To"] for m in mails() if receipt.number in m["Subject"]}
    assert mailed == {
        f"lead{w['n']}@example.com",
        f"sme{w['n']}@example.com",
    }  # submitter + every company's managers
    members = (await ps.get_member_proposal(w["pid"], await _user(w["sme_manager"]))).members
    assert [(m["name"], m["work_share"], m["is_sme"]) for m in members] == [
        ("大企业科技有限公司", 70, False),
        ("小微智能有限公司", 30, True),
    ]


async def test_only_approved_companies_can_be_invited(w):
    with pytest.raises(ValidationFailed) as exc:
        await pc.invite_member(w["pid"], actor(w["lead_manager"]), w["pending"], "测试", 10)
    assert exc.value.errors == {"company": "只能邀请已批准的会员企业加入联合体。"}
    with pytest.raises(ValidationFailed) as exc:
        await pc.invite_member(w["pid"], actor(w["lead_manager"]), w["sme"], "", 101)
    assert set(exc.value.errors) == {"role", "work_share"}
    assert await ProposalMember.count().where(ProposalMember.proposal == w["pid"]) == 1


async def test_only_the_invited_companys_managers_answer(w):
    await pc.invite_member(w["pid"], actor(w["lead_manager"]), w["sme"], "数据治理", 30)
    with pytest.raises(NotAllowed, match="企业管理员"):
        await pc.answer_invitation(w["pid"], actor(w["sme_user"]), accept=True)
    with pytest.raises(NotAllowed, match="尚未审核通过"):
        await pc.answer_invitation(w["pid"], actor(w["pending_manager"]), accept=True)
    other = await make_company(name="旁观企业")
    from tests.accounts.helpers import make_user

    outsider = await make_user("outsider@example.com", company=other, is_company_manager=True)
    with pytest.raises(NotFound):
        await pc.answer_invitation(w["pid"], actor(outsider), accept=True)
    await pc.answer_invitation(w["pid"], actor(w["sme_manager"]), accept=False, reason="人手不足")
    row = await ProposalMember.select().where(ProposalMember.company == w["sme"]).first()
    assert (row["status"], row["decline_reason"]) == ("declined", "人手不足")
    with pytest.raises(NotFound):  # a company that declined loses access to the proposal
        await pc.answer_invitation(w["pid"], actor(w["sme_manager"]), accept=True)
    notes = await Notification.select(Notification.user, Notification.body).where(
        Notification.kind == "consortium_answer"
    )
    assert notes and "人手不足" in notes[0]["body"]
    # a declined member does not block the submission: the lead's share counts alone
    assert (await ps.submit_proposal(w["pid"], actor(w["lead_manager"]))).version == 1


async def test_a_company_joins_at_most_one_proposal_per_scenario(w):
    own = await ps.create_draft(w["scenario"], actor(w["sme_manager"]))
    await pc.invite_member(w["pid"], actor(w["lead_manager"]), w["sme"], "数据治理", 30)
    with pytest.raises(Conflict, match="已牵头本场景的另一份方案"):
        await pc.answer_invitation(w["pid"], actor(w["sme_manager"]), accept=True)
    await Proposal.delete().where(Proposal.id == own)
    await pc.answer_invitation(w["pid"], actor(w["sme_manager"]), accept=True)
    with pytest.raises(Conflict, match="另一个联合体"):
        await ps.create_draft(w["scenario"], actor(w["sme_manager"]))


async def test_changing_the_consortium_after_submission_needs_resubmission(w):
    await pc.invite_member(w["pid"], actor(w["lead_manager"]), w["sme"], "数据治理", 30)
    await pc.answer_invitation(w["pid"], actor(w["sme_manager"]), accept=True)
    await pc.update_member(w["pid"], actor(w["lead_manager"]), w["lead"], "牵头单位", 70)
    await ps.submit_proposal(w["pid"], actor(w["lead_manager"]))
    await pc.update_member(w["pid"], actor(w["lead_manager"]), w["sme"], "数据治理", 20)
    row = (
        await Proposal.select(Proposal.needs_confirmation, Proposal.status)
        .where(Proposal.id == w["pid"])
        .first()
    )
    assert row == {"needs_confirmation": True, "status": "submitted"}
    await pc.remove_member(w["pid"], actor(w["lead_manager"]), w["sme"])
    await pc.update_member(w["pid"], actor(w["lead_manager"]), w["lead"], "牵头单位", 100)
    receipt = await ps.submit_proposal(w["pid"], actor(w["lead_manager"]))
    assert receipt.version == 2
    assert (await Proposal.select(Proposal.needs_confirmation).where(Proposal.id == w["pid"]).first()) == {
        "needs_confirmation": False
    }
    with pytest.raises(Conflict, match="牵头企业不能移出"):
        await pc.remove_member(w["pid"], actor(w["lead_manager"]), w["lead"])


async def test_invitations_are_answered_only_before_the_deadline(w):
    await pc.invite_member(w["pid"], actor(w["lead_manager"]), w["sme"], "数据治理", 30)
    clock.set_now(w["deadline"])
    with pytest.raises(Conflict, match="已截止"):
        await pc.answer_invitation(w["pid"], actor(w["sme_manager"]), accept=True)
    with pytest.raises(Conflict, match="已截止"):
        await pc.invite_member(w["pid"], actor(w["lead_manager"]), w["pending"], "x", 1)


async def test_company_search_offers_approved_companies_not_yet_in_the_consortium(w):
    found = await pc.search_invitable_companies(w["pid"], "有限公司")
    assert [c["name"] for c in found] == ["小微智能有限公司"]
    assert found[0]["is_sme"]


def mails() -> list:
    import email
    import email.policy

    from marketplace.settings import get_settings

    folder = get_settings().mail.outbox_dir
    return (
        [
            email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(folder.iterdir())
        ]
        if folder.exists()
        else []
    )


async def _user(user_id):
    from marketplace.accounts.credentials import _load_user

    return await _load_user(user_id, "session")


async def test_consortium_members_read_but_only_the_lead_writes(w):
    await pc.invite_member(w["pid"], actor(w["lead_manager"]), w["sme"], "数据治理", 30)
    await pc.answer_invitation(w["pid"], actor(w["sme_manager"]), accept=True)
    with pytest.raises(NotAllowed, match="只有牵头企业"):
        await ps.save_proposal(w["pid"], actor(w["sme_manager"]), {"team": "改一下"})
    with pytest.raises(NotAllowed, match="只有牵头企业"):
        await pc.invite_member(w["pid"], actor(w["sme_manager"]), w["lead"], "x", 1)
    detail = await ps.get_member_proposal(w["pid"], await _user(w["sme_user"]))
    assert not detail.editable and not detail.is_lead
