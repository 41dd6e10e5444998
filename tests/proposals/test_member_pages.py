"""The member pages of proposals, driven over HTTP as a browser would (forms with CSRF)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from marketplace.core import clock
from marketplace.proposals import consortium as pc
from marketplace.proposals import services as ps
from marketplace.proposals.tables import Proposal
from tests.accounts.helpers import csrf_token, post_form, sign_in
from tests.proposals.helpers import actor, complete_content, proposal_world


@pytest.fixture
async def w(db):
    clock.set_now(dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC))
    return await proposal_world()


def form_of(w, **overrides) -> dict:
    c = complete_content(w)
    data = {k: c[k] for k in ps.TEXT_FIELDS}
    data.update(
        {
            f"cap_{w['asr']}": c["capability_answers"][str(w["asr"])],
            f"cap_{w['kb']}": c["capability_answers"][str(w["kb"])],
            "milestone_title_0": "需求调研",
            "milestone_due_0": "2027-01-15",
            "milestone_deliverable_0": "调研报告",
            "cost_estimate": "80",  # 万元
            "declaration_accepted": "1",
        }
    )
    data.update(overrides)
    return data


async def test_start_fill_submit_and_see_the_receipt(client, w):
    await sign_in(client, w["lead_manager"])
    page = await client.get(f"/scenarios/{w['scenario']}")
    assert "提交方案" in page.text and f'action="/member/scenarios/{w["scenario"]}/proposals"' in page.text
    r = await post_form(client, f"/member/scenarios/{w['scenario']}/proposals", {})
    assert r.status_code == 303 and r.headers["location"].endswith("/edit")
    pid = int(re.search(r"/member/proposals/(\d+)/edit", r.headers["location"])[1])
    form = await client.get(f"/member/proposals/{pid}/edit")
    assert "如何覆盖「语音识别」" in form.text and "如何覆盖「知识图谱」" in form.text
    assert 'src="/static/js/proposal-form.js"' in form.text and "<script>" not in form.text

    r = await post_form(
        client,
        f"/member/proposals/{pid}/edit",
        form_of(w, approach="", **{f"cap_{w['kb']}": "", "milestone_deliverable_0": ""}, action="submit"),
    )
    assert r.status_code == 400
    assert "共 3 处" in r.text and "请填写技术路线与实施方法。" in r.text
    assert "请说明如何覆盖所需能力「知识图谱」。" in r.text and "第 1 个里程碑缺少交付成果" in r.text
    assert (await Proposal.select(Proposal.status).where(Proposal.id == pid).first())["status"] == "draft"

    r = await post_form(client, f"/member/proposals/{pid}/edit", form_of(w, action="submit"))
    assert r.status_code == 303 and "/receipt" in r.headers["location"]
    receipt = await client.get(r.headers["location"])
    row = await Proposal.select().where(Proposal.id == pid).first()
    assert row["number"] in receipt.text and row["content_hash"] in receipt.text and "第 1 版" in receipt.text
    version = await client.get(f"/member/proposals/{pid}/versions/1")
    assert version.status_code == 200 and "调研报告" in version.text and row["content_hash"] in version.text
    assert row["cost_estimate"] == 800_000 and "80 万元" in version.text  # typed, stored and shown
    assert (await client.get(f"/member/proposals/{pid}/versions/2")).status_code == 404
    await sign_in(client, w["sme_manager"])
    assert (await client.get(f"/member/proposals/{pid}/receipt")).status_code == 404


async def test_autosave_endpoint_saves_and_answers_the_time(client, w):
    pid = await ps.create_draft(w["scenario"], actor(w["lead_user"]))
    await sign_in(client, w["lead_user"])
    token = await csrf_token(client, f"/member/proposals/{pid}/edit")
    r = await client.post(
        f"/member/proposals/{pid}/autosave", data={"_csrf_token": token, "summary": "自动保存的摘要"}
    )
    assert r.status_code == 200 and r.json() == {"saved_at": "10:00"}  # park time of 02:00 UTC
    assert (await Proposal.select(Proposal.summary).where(Proposal.id == pid).first())[
        "summary"
    ] == "自动保存的摘要"
    page = await client.get(f"/member/proposals/{pid}/edit")
    assert "已自动保存 10:00" in page.text
    clock.set_now(w["deadline"])
    await sign_in(client, w["lead_user"])  # (the first session has expired by then)
    r = await client.post(f"/member/proposals/{pid}/autosave", data={"_csrf_token": token, "summary": "晚了"})
    assert r.status_code == 409 and "已截止" in r.json()["detail"]


async def test_autosave_keeps_every_valid_field_and_marks_the_bad_one(client, w):
    pid = await ps.create_draft(w["scenario"], actor(w["lead_user"]))
    await sign_in(client, w["lead_user"])
    token = await csrf_token(client, f"/member/proposals/{pid}/edit")
    r = await client.post(
        f"/member/proposals/{pid}/autosave",
        data={"_csrf_token": token, "summary": "摘要写好了", "team": "五人团队", "cost_estimate": "150万块"},
    )
    assert r.status_code == 200
    body = r.json()
    assert body["saved_at"] == "10:00" and "cost_estimate" in body["errors"]
    assert "无法识别金额「150万块」" in body["errors"]["cost_estimate"] and "费用估算" in body["detail"]
    row = (
        await Proposal.select(Proposal.summary, Proposal.team, Proposal.cost_estimate)
        .where(Proposal.id == pid)
        .first()
    )
    assert row == {"summary": "摘要写好了", "team": "五人团队", "cost_estimate": None}
    page = await client.get(f"/member/proposals/{pid}/edit")
    assert "摘要写好了" in page.text and "五人团队" in page.text


@pytest.mark.parametrize("typed", ["150万", "150 万元", "1,500,000", "1500000元", "１５０万"])
async def test_the_cost_is_read_in_wan_yuan_however_it_is_written(client, w, typed):
    pid = await ps.create_draft(w["scenario"], actor(w["lead_user"]))
    await sign_in(client, w["lead_user"])
    token = await csrf_token(client, f"/member/proposals/{pid}/edit")
    r = await client.post(
        f"/member/proposals/{pid}/autosave", data={"_csrf_token": token, "cost_estimate": typed}
    )
    assert r.status_code == 200 and r.json() == {"saved_at": "10:00"}
    assert (await Proposal.select(Proposal.cost_estimate).where(Proposal.id == pid).first())[
        "cost_estimate"
    ] == 1_500_000
    page = await client.get(f"/member/proposals/{pid}/edit")
    assert "费用估算（万元）" in page.text and 'value="150"' in page.text


async def test_a_cost_above_the_budget_is_told_in_wan_yuan_on_the_receipt(client, w):
    await sign_in(client, w["lead_manager"])
    r = await post_form(client, f"/member/scenarios/{w['scenario']}/proposals", {})
    pid = int(re.search(r"/member/proposals/(\d+)/edit", r.headers["location"])[1])
    r = await post_form(
        client, f"/member/proposals/{pid}/edit", form_of(w, cost_estimate="120万", action="submit")
    )
    receipt = await client.get(r.headers["location"])
    assert "费用估算高于场景预算上限（100 万元）" in receipt.text


async def test_the_save_button_shows_a_bad_cost_beside_the_field_and_keeps_what_was_typed(client, w):
    pid = await ps.create_draft(w["scenario"], actor(w["lead_user"]))
    await sign_in(client, w["lead_user"])
    r = await post_form(
        client,
        f"/member/proposals/{pid}/edit",
        {"summary": "保存按钮的摘要", "cost_estimate": "很多钱"},
        token_from=f"/member/proposals/{pid}/edit",
    )
    assert r.status_code == 400 and "无法识别金额「很多钱」" in r.text
    assert 'value="很多钱"' in r.text and "保存按钮的摘要" in r.text  # nothing typed is lost on the page


async def test_other_companies_get_404_and_invitees_answer_on_their_page(client, w):
    pid = await ps.create_draft(w["scenario"], actor(w["lead_manager"]))
    await sign_in(client, w["sme_manager"])
    for path in (f"/member/proposals/{pid}", f"/member/proposals/{pid}/edit", f"/member/invitations/{pid}"):
        assert (await client.get(path)).status_code == 404, path
    await pc.invite_member(pid, actor(w["lead_manager"]), w["sme"], "数据治理", 30)
    home = await client.get("/member")
    assert "邀请贵企业加入联合体" in home.text and f"/member/invitations/{pid}" in home.text
    assert "最新通知" in home.text and "联合体邀请：" in home.text  # the notification, listed on the home
    page = await client.get(f"/member/invitations/{pid}")
    assert page.status_code == 200 and "接受邀请" in page.text and "中小企业" in page.text
    r = await post_form(client, f"/member/invitations/{pid}", {"decision": "accept"})
    assert r.status_code == 303
    detail = await client.get(f"/member/proposals/{pid}")
    assert detail.status_code == 200 and "已接受" in detail.text and "修改方案" not in detail.text


async def test_lead_invites_by_company_search_and_sees_share_problems(client, w):
    pid = await ps.create_draft(w["scenario"], actor(w["lead_manager"]))
    await sign_in(client, w["lead_manager"])
    found = await client.get(f"/member/proposals/{pid}?q=小微")
    assert "邀请「小微智能有限公司」" in found.text and "待审企业" not in found.text
    r = await post_form(
        client,
        f"/member/proposals/{pid}/members",
        {"company_id": str(w["sme"]), "role": "", "work_share": "abc"},
    )
    assert r.status_code == 400 and "工作量占比应为 0 到 100 的整数" in r.text
    r = await post_form(
        client,
        f"/member/proposals/{pid}/members",
        {"company_id": str(w["pending"]), "role": "x", "work_share": "5"},
    )
    assert r.status_code == 400 and "只能邀请已批准的会员企业" in r.text
    r = await post_form(
        client,
        f"/member/proposals/{pid}/members",
        {"company_id": str(w["sme"]), "role": "数据治理", "work_share": "30"},
    )
    assert r.status_code == 303
    page = await client.get(f"/member/proposals/{pid}")
    # The lead gave up the invitee's share (issue 16, defect 6): 70 + 30, not 130.
    assert "合计：<strong>100%</strong>" in page.text and "待答复" in page.text


async def test_attachment_upload_refuses_a_renamed_executable_and_serves_only_the_consortium(client, w):
    pid = await ps.create_draft(w["scenario"], actor(w["lead_manager"]))
    await sign_in(client, w["lead_manager"])
    token = await csrf_token(client, f"/member/proposals/{pid}")
    r = await client.post(
        f"/member/proposals/{pid}/attachments",
        data={"_csrf_token": token},
        files={"attachment": ("方案.pdf", b"MZ\x90\x00" + b"\x00" * 100, "application/pdf")},
    )
    assert r.status_code == 400 and "只能上传 PDF、PNG 图片、JPEG 图片 文件" in r.text
    r = await client.post(
        f"/member/proposals/{pid}/attachments",
        data={"_csrf_token": token},
        files={"attachment": ("../../方案.pdf", b"%PDF-1.4\n%%EOF", "application/pdf")},
    )
    assert r.status_code == 303
    page = await client.get(f"/member/proposals/{pid}")
    aid = re.search(rf"/member/proposals/{pid}/attachments/(\d+)\"", page.text)[1]
    download = await client.get(f"/member/proposals/{pid}/attachments/{aid}")
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    assert (
        "方案.pdf" in download.headers["content-disposition"]
        or "%E6" in download.headers["content-disposition"]
    )
    await sign_in(client, w["sme_manager"])
    assert (await client.get(f"/member/proposals/{pid}/attachments/{aid}")).status_code == 404


async def test_after_the_deadline_the_page_is_read_only_and_writes_are_refused(client, w):
    pid = await ps.create_draft(w["scenario"], actor(w["lead_manager"]))
    await ps.save_proposal(pid, actor(w["lead_manager"]), complete_content(w))
    await ps.submit_proposal(pid, actor(w["lead_manager"]))
    clock.set_now(w["deadline"] + dt.timedelta(seconds=1))
    await sign_in(client, w["lead_manager"])
    token = await csrf_token(client, f"/member/proposals/{pid}")
    page = await client.get(f"/member/proposals/{pid}")
    assert "方案已锁定" in page.text and "撤回方案" not in page.text
    r = await client.post(f"/member/proposals/{pid}/withdraw", data={"_csrf_token": token, "confirm": "yes"})
    assert r.status_code == 409 and "已截止" in r.text
    assert "截止前修改的内容保存在工作稿中" not in page.text  # no promise the state cannot keep
    assert (await Proposal.select(Proposal.status).where(Proposal.id == pid).first())["status"] == "submitted"


async def test_milestone_rows_grow_on_request_and_empty_rows_are_not_stored(client, w):
    pid = await ps.create_draft(w["scenario"], actor(w["lead_manager"]))
    await sign_in(client, w["lead_manager"])
    r = await post_form(
        client,
        f"/member/proposals/{pid}/edit",
        {
            "milestone_title_0": "调研",
            "milestone_due_0": "2027-01-01",
            "milestone_deliverable_0": "报告",
            "milestone_title_1": "",
            "milestone_title_2": "",
            "action": "add_milestone",
        },
    )
    assert r.status_code == 200
    assert 'name="milestone_title_3"' in r.text and 'name="milestone_title_4"' not in r.text
    row = await Proposal.select(Proposal.timeline).where(Proposal.id == pid).first().output(load_json=True)
    assert row["timeline"] == [{"title": "调研", "due": "2027-01-01", "deliverable": "报告"}]


async def test_withdrawing_asks_for_confirmation_and_the_page_says_what_it_means(client, w):
    """Issue 16, defect 5: a confirmation step; the withdrawn page no longer says the last
    version counts."""
    pid = await ps.create_draft(w["scenario"], actor(w["lead_manager"]))
    await ps.save_proposal(pid, actor(w["lead_manager"]), complete_content(w))
    await ps.submit_proposal(pid, actor(w["lead_manager"]))
    await sign_in(client, w["lead_manager"])
    detail = await client.get(f"/member/proposals/{pid}")
    assert f'href="/member/proposals/{pid}/withdraw"' in detail.text  # a link to the confirmation
    confirm = await client.get(f"/member/proposals/{pid}/withdraw")
    assert confirm.status_code == 200 and "撤回方案？" in confirm.text and "确认撤回" in confirm.text
    token = await csrf_token(client, f"/member/proposals/{pid}/withdraw")
    unconfirmed = await client.post(f"/member/proposals/{pid}/withdraw", data={"_csrf_token": token})
    assert unconfirmed.status_code == 400 and "请确认撤回" in unconfirmed.text
    assert (await Proposal.select(Proposal.status).where(Proposal.id == pid).first())["status"] == "submitted"
    done = await post_form(
        client,
        f"/member/proposals/{pid}/withdraw",
        {"confirm": "yes", "reason": "联合体调整"},
        token_from=f"/member/proposals/{pid}/withdraw",
    )
    assert done.status_code == 303
    page = await client.get(f"/member/proposals/{pid}")
    assert "方案已撤回，不参加评审" in page.text and "以最后一次提交的版本" not in page.text


async def test_submitting_unchanged_content_again_changes_nothing(client, w):
    """Issue 16, defect 5: no new version with the same hash."""
    from marketplace.proposals.tables import ProposalVersion

    pid = await ps.create_draft(w["scenario"], actor(w["lead_manager"]))
    await ps.save_proposal(pid, actor(w["lead_manager"]), complete_content(w))
    first = await ps.submit_proposal(pid, actor(w["lead_manager"]))
    again = await ps.submit_proposal(pid, actor(w["lead_manager"]))
    assert again.unchanged and (again.version, again.number) == (first.version, first.number)
    assert await ProposalVersion.count().where(ProposalVersion.proposal == pid) == 1
    await sign_in(client, w["lead_manager"])
    response = await post_form(
        client, f"/member/proposals/{pid}/submit", {}, token_from=f"/member/proposals/{pid}"
    )
    assert response.status_code == 303 and response.headers["location"].endswith("?done=unchanged")
    page = await client.get(response.headers["location"])
    assert "无需重新提交" in page.text
    assert await ProposalVersion.count().where(ProposalVersion.proposal == pid) == 1


async def test_consent_to_be_named_in_the_ranking_defaults_to_no_and_is_kept(client, w):
    await sign_in(client, w["lead_manager"])
    r = await post_form(client, f"/member/scenarios/{w['scenario']}/proposals", {})
    pid = int(re.search(r"/member/proposals/(\d+)/edit", r.headers["location"])[1])
    form = await client.get(f"/member/proposals/{pid}/edit")
    assert "同意在公布的评审排名中显示本企业名称" in form.text
    assert 'name="disclose_name" value="1">' in form.text  # not checked
    await post_form(client, f"/member/proposals/{pid}/edit", form_of(w, action="save"))
    assert (await Proposal.select(Proposal.disclose_name).where(Proposal.id == pid).first())[
        "disclose_name"
    ] is False
    await post_form(client, f"/member/proposals/{pid}/edit", form_of(w, disclose_name="1", action="save"))
    assert (await Proposal.select(Proposal.disclose_name).where(Proposal.id == pid).first())[
        "disclose_name"
    ] is True
    assert (
        'name="disclose_name" value="1" checked' in (await client.get(f"/member/proposals/{pid}/edit")).text
    )
