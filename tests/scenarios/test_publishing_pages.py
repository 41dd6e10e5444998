"""The staff pages: the guided form (errors beside the fields, nothing typed lost, suggestions
with and without htmx), review actions, amendments and extensions through the browser's forms."""

from __future__ import annotations

import datetime as dt
import re

from marketplace.core import clock
from marketplace.notifications.tables import Notification
from marketplace.scenarios import forms as sf
from marketplace.scenarios import publishing
from marketplace.scenarios.tables import Scenario, ScenarioAmendment
from tests.accounts.helpers import csrf_token, post_form, sign_in
from tests.pages.html import parse
from tests.scenarios.helpers import NOW, complete_input, make_world


def _form_of(w, **changes) -> dict[str, str]:
    form = sf.form_values(complete_input(w))
    form.update(changes)
    return form


async def test_only_staff_reach_the_form(db, client):
    w = await make_world()
    assert (await client.get("/staff/scenarios/new")).status_code in (302, 303)  # to the login form
    await sign_in(client, w.member_a)
    assert (await client.get("/staff/scenarios/new")).status_code == 403
    await sign_in(client, w.author)
    page = await client.get("/staff/scenarios/new")
    assert page.status_code == 200
    doc = parse(page.text)
    assert doc.find("input", id="f-criterion_name_0").attrs["value"] == "方案可行性"  # suggested criteria
    for name in (
        "title",
        "description",
        "expected_outcome",
        "target_users",
        "data_offered",
        "proposal_deadline",
    ):
        control = doc.find(id=f"f-{name}")
        assert control is not None, name
        assert doc.find("label", **{"for": f"f-{name}"}) is not None, name  # every field has a label


async def test_errors_show_beside_their_fields_and_nothing_typed_is_lost(db, client):
    w = await make_world()
    await sign_in(client, w.author)
    form = _form_of(
        w,
        title="",
        budget_min="三十",
        capability_weight_0="50",
        description="园区河道漂浮物<b>发现慢</b>，夜间无法覆盖。",
    )
    response = await post_form(client, "/staff/scenarios/new", form, token_from="/staff/scenarios/new")
    assert response.status_code == 400
    doc = parse(response.text)
    title = doc.find("input", id="f-title")
    assert title.attrs["aria-invalid"] == "true" and "f-title-error" in title.attrs["aria-describedby"]
    assert doc.find("p", id="f-title-error").text() == "请填写标题。"
    assert doc.find("input", id="f-budget_min").attrs["value"] == "三十"  # kept as typed
    assert doc.find(id="f-capabilities").text() == "所需能力的权重之和必须为 100，现在是 80。"
    assert doc.find("textarea", id="f-description").text() == "园区河道漂浮物<b>发现慢</b>，夜间无法覆盖。"
    assert "&lt;b&gt;发现慢" in response.text
    summary_links = [a.attrs["href"] for a in doc.find("div", "alert-error").find_all("a")]
    assert {"#f-title", "#f-budget_min", "#f-capabilities"} <= set(summary_links)
    assert doc.find("input", id="f-pilot_months").attrs["value"] == "6"
    assert await Scenario.count() == 0


async def test_save_then_edit_then_submit(db, client):
    w = await make_world()
    await sign_in(client, w.author)
    created = await post_form(client, "/staff/scenarios/new", _form_of(w), token_from="/staff/scenarios/new")
    assert created.status_code == 303
    sid = int(re.search(r"/staff/scenarios/(\d+)", created.headers["location"])[1])
    page = parse((await client.get(created.headers["location"])).text)
    assert "草稿已创建" in page.find("div", "alert-success").text()
    edit = parse((await client.get(f"/staff/scenarios/{sid}/edit")).text)
    assert edit.find("input", id="f-title").attrs["value"] == "河道漂浮物发现慢、处置滞后"
    done = await post_form(
        client,
        f"/staff/scenarios/{sid}/edit",
        _form_of(w, title="河道漂浮物发现慢", action="save_and_submit"),
        token_from=f"/staff/scenarios/{sid}/edit",
    )
    assert done.status_code == 303 and done.headers["location"].endswith("done=submitted")
    row = await Scenario.select(Scenario.title, Scenario.status).where(Scenario.id == sid).first()
    assert row == {"title": "河道漂浮物发现慢", "status": "in_review"}
    # In review: the edit page sends the author back to the scenario's page; a POST is refused.
    assert (await client.get(f"/staff/scenarios/{sid}/edit")).status_code == 303
    refused = await post_form(
        client,
        f"/staff/scenarios/{sid}/edit",
        _form_of(w, title="偷偷改"),
        token_from=f"/staff/scenarios/{sid}",
    )
    assert refused.status_code == 409


async def test_submit_incomplete_shows_what_is_missing(db, client):
    w = await make_world()
    sid = await publishing.create_scenario_draft(
        w.actor(w.author), sf.ScenarioInput(title="草稿", domain="一网通办")
    )
    await sign_in(client, w.author)
    response = await post_form(
        client, f"/staff/scenarios/{sid}/submit", {}, token_from=f"/staff/scenarios/{sid}"
    )
    assert response.status_code == 400
    assert "场景还不完整，不能提交审核" in response.text and "问题描述" in response.text
    links = [a.attrs["href"] for a in parse(response.text).find("div", "alert-error").find_all("a")]
    assert f"/staff/scenarios/{sid}/edit#f-description" in links
    assert f"/staff/scenarios/{sid}/edit#capabilities" in links


async def test_suggestions_without_javascript_and_with_htmx(db, client):
    w = await make_world()
    await sign_in(client, w.author)
    form = _form_of(
        w,
        description="河道视频需要视频识别，处置记录用区块链存证。",
        capability_0="",
        capability_weight_0="",
        capability_1="",
        capability_weight_1="",
        action="suggest",
    )
    page = await post_form(client, "/staff/scenarios/new", form, token_from="/staff/scenarios/new")
    assert page.status_code == 200 and await Scenario.count() == 0  # nothing saved
    doc = parse(page.text)
    buttons = [b.attrs["value"] for b in doc.find("div", id="capability-suggestions").find_all("button")]
    assert buttons == [str(w.cap_chain), str(w.cap_video)]  # equal mentions: the longer word first
    # Picking one puts it in the first free row, still without saving.
    form.pop("action")
    picked = await post_form(
        client,
        "/staff/scenarios/new",
        {**form, "add_capability": str(w.cap_chain)},
        token_from="/staff/scenarios/new",
    )
    doc = parse(picked.text)
    selected = [
        o.attrs["value"]
        for o in doc.find("select", id="f-capability_0").find_all("option")
        if "selected" in o.attrs
    ]
    assert selected == [str(w.cap_chain)]
    assert await Scenario.count() == 0
    # htmx asks for the partial as the text is typed.
    token = await csrf_token(client, "/staff/scenarios/new")
    partial = await client.post(
        "/staff/scenarios/suggest",
        data={
            "_csrf_token": token,
            "description": "需要智能语音和视频识别",
            "capability_0": str(w.cap_video),
        },
        headers={"HX-Request": "true"},
    )
    assert partial.status_code == 200 and "<html" not in partial.text
    assert f'value="{w.cap_asr}"' in partial.text and f'value="{w.cap_video}"' not in partial.text
    new_page = (await client.get("/staff/scenarios/new")).text
    assert 'hx-post="/staff/scenarios/suggest"' in new_page
    assert '<script src="/static/vendor/htmx.org/dist/htmx.min.js" defer></script>' in new_page
    assert "<script>" not in new_page and "style=" not in new_page  # CSP: no inline script or style


async def test_more_rows_keep_what_was_typed(db, client):
    w = await make_world()
    await sign_in(client, w.author)
    form = _form_of(w, title="还没写完的标题", action="add_capability_rows")
    page = parse(
        (await post_form(client, "/staff/scenarios/new", form, token_from="/staff/scenarios/new")).text
    )
    assert page.find("input", id="f-title").attrs["value"] == "还没写完的标题"
    assert page.find("select", id="f-capability_5") is not None  # 2 chosen + 2 spare + 2 more


async def test_cdo_reviews_through_the_page(db, client):
    w = await make_world()
    sid = await publishing.create_scenario_draft(w.actor(w.author), complete_input(w))
    await publishing.submit_for_review(sid, w.actor(w.author))
    await sign_in(client, w.author)
    author_view = (await client.get(f"/staff/scenarios/{sid}")).text
    assert "批准发布" not in author_view and "等待本部门首席数据官" in author_view
    refused = await post_form(
        client, f"/staff/scenarios/{sid}/approve", {"when": "now"}, token_from=f"/staff/scenarios/{sid}"
    )
    assert refused.status_code == 403

    await sign_in(client, w.cdo_x)
    empty = await post_form(
        client,
        f"/staff/scenarios/{sid}/request-changes",
        {"comment": ""},
        token_from=f"/staff/scenarios/{sid}",
    )
    assert empty.status_code == 400 and 'id="f-comment-error"' in empty.text
    back = await post_form(
        client,
        f"/staff/scenarios/{sid}/request-changes",
        {"comment": "请写清楚夜间覆盖要求。"},
        token_from=f"/staff/scenarios/{sid}",
    )
    assert back.status_code == 303

    await sign_in(client, w.author)
    page = parse((await client.get(f"/staff/scenarios/{sid}")).text)
    assert "请写清楚夜间覆盖要求。" in page.find("div", "review-comment").text()
    assert "请写清楚夜间覆盖要求。" in (await client.get(f"/staff/scenarios/{sid}/edit")).text
    await post_form(client, f"/staff/scenarios/{sid}/submit", {}, token_from=f"/staff/scenarios/{sid}")

    await sign_in(client, w.cdo_x)
    bad_time = await post_form(
        client,
        f"/staff/scenarios/{sid}/approve",
        {"when": "scheduled", "opens_at": ""},
        token_from=f"/staff/scenarios/{sid}",
    )
    assert bad_time.status_code == 400 and 'id="f-opens_at-error"' in bad_time.text
    scheduled = await post_form(
        client,
        f"/staff/scenarios/{sid}/approve",
        {"when": "scheduled", "opens_at": "2026-12-03T09:00"},
        token_from=f"/staff/scenarios/{sid}",
    )
    assert scheduled.headers["location"].endswith("done=scheduled")
    row = await Scenario.select(Scenario.status, Scenario.opens_at).where(Scenario.id == sid).first()
    assert row == {"status": "in_review", "opens_at": dt.datetime(2026, 12, 3, 1, 0, tzinfo=dt.UTC)}
    assert "2026-12-03 09:00" in (await client.get(f"/staff/scenarios/{sid}")).text


async def test_staff_of_another_department_get_404(db, client):
    w = await make_world()
    sid = await publishing.create_scenario_draft(w.actor(w.author), complete_input(w))
    await sign_in(client, w.cdo_y)
    assert (await client.get(f"/staff/scenarios/{sid}")).status_code == 404
    assert (await client.get(f"/staff/scenarios/{sid}/edit")).status_code == 404
    response = await post_form(
        client, f"/staff/scenarios/{sid}/submit", {}, token_from="/staff/scenarios/new"
    )
    assert response.status_code == 404
    assert (await client.get("/staff/scenarios/99999999999")).status_code == 404


async def test_amend_and_extend_through_the_page(db, client):
    w = await make_world()
    sid = await publishing.create_scenario_draft(w.actor(w.author), complete_input(w))
    await publishing.submit_for_review(sid, w.actor(w.author))
    await publishing.approve_scenario_for_publication(sid, w.actor(w.cdo_x))
    await sign_in(client, w.author)
    assert (await client.get(f"/staff/scenarios/{sid}/edit")).status_code == 303  # no plain editing
    amend_page = parse((await client.get(f"/staff/scenarios/{sid}/amend")).text)
    assert amend_page.find("textarea", id="f-reason") is not None
    assert amend_page.find("input", id="f-proposal_deadline") is None  # extension only
    form = _form_of(w, pilot_months="9")
    form.pop("proposal_deadline")
    no_reason = await post_form(
        client, f"/staff/scenarios/{sid}/amend", form, token_from=f"/staff/scenarios/{sid}/amend"
    )
    assert no_reason.status_code == 400 and 'id="f-reason-error"' in no_reason.text
    assert parse(no_reason.text).find("input", id="f-pilot_months").attrs["value"] == "9"
    token = await csrf_token(client, f"/staff/scenarios/{sid}/amend")
    done = await client.post(
        f"/staff/scenarios/{sid}/amend",
        data={**form, "_csrf_token": token, "reason": "试点周期延长到 9 个月。"},
        files={"attachment": ("补充说明.pdf", b"%PDF-1.4\n%%EOF", "application/pdf")},
    )
    assert done.status_code == 303, done.text
    entry = await ScenarioAmendment.select().output(load_json=True).first()
    assert entry["reason"] == "试点周期延长到 9 个月。"
    assert entry["changes"]["labels"] == ["试点周期", "新增附件《补充说明.pdf》"]

    bad = await post_form(
        client,
        f"/staff/scenarios/{sid}/extend",
        {"new_proposal_deadline": "2026-12-10T17:00", "reason": ""},
        token_from=f"/staff/scenarios/{sid}",
    )
    assert bad.status_code == 400
    doc = parse(bad.text)
    assert doc.find("p", id="f-extend_reason-error") is not None
    assert doc.find("input", id="f-new_proposal_deadline").attrs["value"] == "2026-12-10T17:00"
    assert "新的方案截止时间必须晚于当前的截止时间" in bad.text
    ok = await post_form(
        client,
        f"/staff/scenarios/{sid}/extend",
        {"new_proposal_deadline": "2026-12-31T17:00", "reason": "应企业要求延期。"},
        token_from=f"/staff/scenarios/{sid}",
    )
    assert ok.status_code == 303
    public = (await client.get(f"/scenarios/{sid}")).text
    assert (
        "方案截止时间延至 2026-12-31 17:00。应企业要求延期。" in public
        and "试点周期延长到 9 个月。" in public
    )


async def test_the_staff_home_links_to_new_and_to_each_scenario(db, client):
    w = await make_world()
    sid = await publishing.create_scenario_draft(w.actor(w.author), complete_input(w))
    await sign_in(client, w.author)
    doc = parse((await client.get("/staff")).text)
    hrefs = [a.attrs.get("href") for a in doc.find_all("a")]
    assert "/staff/scenarios/new" in hrefs and f"/staff/scenarios/{sid}" in hrefs


async def test_the_bell_counts_unread_notifications(db, client):
    w = await make_world()
    sid = await publishing.create_scenario_draft(w.actor(w.author), complete_input(w))
    await publishing.submit_for_review(sid, w.actor(w.author))
    await sign_in(client, w.cdo_x)
    bell = parse((await client.get("/staff")).text).find("a", "bell")
    assert bell.attrs["href"] == "/notifications" and bell.find("span", "bell-count").text() == "1"
    note = (await Notification.select(Notification.id).where(Notification.user == w.cdo_x).first())["id"]
    opened = await post_form(client, f"/notifications/{note}/open", {}, token_from="/notifications")
    assert opened.status_code == 303 and opened.headers["location"] == f"/staff/scenarios/{sid}"
    assert parse((await client.get("/staff")).text).find("a", "bell").find("span", "bell-count") is None
    clock.set_now(NOW)  # (keeps the session valid for the helpers)
