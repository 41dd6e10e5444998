"""The audit log as admins read it (/admin/audit and /admin/audit.csv): Chinese sentences with
the changed fields, filters with choice lists (bad input answered 400 beside the field), paging,
and the CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from marketplace.admin import audit as audit_log
from marketplace.admin.audit import Change, changes, format_value, parse_filters
from marketplace.core import clock
from marketplace.core.audit import SYSTEM, Actor, record
from tests.accounts.helpers import make_user, sign_in
from tests.factories import make_company, make_department, make_scenario

PARK = clock.PARK_TZ


def _at(text: str) -> dt.datetime:
    """A park-time moment as an aware UTC datetime."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=PARK).astimezone(dt.UTC)


@pytest.fixture
async def world(db) -> dict:
    dept = await make_department(
        key="dept-data", name="园区大数据管理局", short_name="数据局", cdo_title="首席数据官"
    )
    cdo = await make_user("cdo@example.com", role="staff", department=dept, is_cdo=True, display_name="陈明")
    admin = await make_user("admin@example.com", role="admin", display_name="王管理")
    scenario = await make_scenario("in_review", department=dept, title="12345热线工单智能分派")
    company = await make_company(name="园声智能科技有限公司", status="approved")
    cdo_actor = Actor(user_id=cdo, label="cdo@example.com", role="staff", ip_address="10.0.0.7")
    admin_actor = Actor(user_id=admin, label="admin@example.com", role="admin", ip_address="10.0.0.9")
    clock.set_now(_at("2026-03-01T23:30:00"))
    await record(
        cdo_actor,
        "scenario.approve",
        "scenario",
        scenario,
        before={"status": "in_review"},
        after={"status": "open"},
    )
    clock.set_now(_at("2026-03-02T09:00:00"))
    await record(
        admin_actor,
        "company.suspend",
        "company",
        company,
        before={"status": "approved"},
        after={"status": "suspended"},
        reason="年审材料逾期未交<script>",
    )
    await record(SYSTEM, "scenario.import_status", "scenario", scenario, after={"status": "open"})
    await record(SYSTEM, "scenario.import", "scenario", scenario, after={"title": "现场核验"})
    clock.set_now(None)
    return {"dept": dept, "cdo": cdo, "admin": admin, "scenario": scenario, "company": company}


async def _as_admin(client, world) -> None:
    await sign_in(client, world["admin"])


async def test_each_event_reads_as_a_chinese_sentence_with_its_changes(world, client):
    await _as_admin(client, world)
    response = await client.get("/admin/audit")
    assert response.status_code == 200
    html = response.text
    sid = world["scenario"]
    assert f"陈明（首席数据官/部门工作人员）批准了场景 #{sid}《12345热线工单智能分派》" in html
    assert f"王管理（协会管理员）暂停了企业 #{world['company']}《园声智能科技有限公司》" in html
    assert "状态：</span><del>审核中</del> → <ins>征集中</ins>" in html
    assert "<del>已批准</del> → <ins>已暂停</ins>" in html
    assert "标题：</span><ins>现场核验</ins>" in html  # Chinese as text, not \u escapes
    assert "\\u" not in html
    assert (
        "年审材料逾期未交&lt;script&gt;" in html and "<script>" not in html.split("年审材料逾期未交")[1][:20]
    )
    assert "10.0.0.7" in html and "seed" not in html
    assert "系统" in html


def test_changes_name_the_fields_and_label_the_codes():
    assert changes("scenario", {"status": "in_review"}, {"status": "open"}) == [
        Change("状态", "审核中", "征集中")
    ]
    assert changes("scenario", {"attachment": "方案.pdf"}, None) == [Change("附件", "方案.pdf", None)]
    assert changes("company", None, {"capabilities": [3, 4], "robot": True}) == [
        Change("能力", None, "3、4"),
        Change("robot", None, "是"),
    ]
    assert changes("scenario", None, None) == []
    assert format_value("2026-03-01T15:30:00+00:00") == "2026-03-01 23:30"
    assert format_value({"名称": "数据局"}) == "名称：数据局"


async def test_titles_are_read_once_per_entity_type_not_per_row(world, monkeypatch):
    from marketplace.scenarios.tables import Scenario

    calls = []
    original = Scenario.select.__func__

    def counting(cls, *args, **kwargs):
        calls.append(args)
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(Scenario, "select", classmethod(counting))
    entries, total = await audit_log.audit_page(parse_filters({})[0])
    assert total == 4 and len(entries) == 4
    assert len(calls) == 1  # three scenario events, one query


async def test_filters_by_action_entity_role_actor_and_date(world, client):
    await _as_admin(client, world)

    async def count(query: str) -> int:
        response = await client.get("/admin/audit?" + query)
        assert response.status_code == 200, response.text[:500]
        return response.text.count('class="audit-entry"')

    assert await count("") == 4
    assert await count("action=scenario.import") == 1  # exact: not scenario.import_status
    assert await count("action=scenario.") == 3  # a prefix ending in "."
    assert await count("entity_type=company") == 1
    assert await count(f"entity_type=scenario&entity_id={world['scenario']}") == 3
    assert await count("actor_role=system") == 2
    assert await count("actor=cdo@") == 1
    # Park time: 23:30 on 1 March belongs to 1 March.
    assert await count("to=2026-03-01") == 1
    assert await count("from=2026-03-02") == 3
    assert await count("from=2026-03-01&to=2026-03-01") == 1
    page = (await client.get("/admin/audit?action=company.suspend")).text
    assert '<option value="company.suspend" selected>企业 · 暂停</option>' in page
    assert '<option value="staff">部门工作人员</option>' in page


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("action=robot.dance", "action", "请从列表中选择一种操作。"),
        ("entity_type=robot", "entity_type", "请从列表中选择一种对象类型。"),
        ("actor_role=root", "actor_role", "请从列表中选择一种角色。"),
        ("entity_id=abc", "entity_id", "对象编号应为正整数"),
        ("entity_id=99999999999", "entity_id", "对象编号应为正整数"),
        ("from=2026-13-01", "from", "开始日期格式不对"),
        ("from=2026-03-05&to=2026-03-01", "to", "结束日期不能早于开始日期。"),
        ("page=0", "page", "页码应为"),
        ("actor=" + "x" * 300, "actor", "操作人不能超过"),
    ],
)
async def test_bad_filters_are_explained_beside_the_field(world, client, query, field, message):
    await _as_admin(client, world)
    response = await client.get("/admin/audit?" + query)
    assert response.status_code == 400
    assert f'id="a-{field}-error">{message}' in response.text or (
        field == "page" and message in response.text
    )
    csv_response = await client.get("/admin/audit.csv?" + query)
    assert csv_response.status_code == 400
    assert message in csv_response.text


async def test_paging(world, client):
    for i in range(60):
        await record(SYSTEM, "department.update", "department", world["dept"], after={"name": f"部门{i}"})
    await _as_admin(client, world)
    first = await client.get("/admin/audit?entity_type=department")
    assert first.text.count('class="audit-entry"') == 50
    assert "第 1 / 2 页" in first.text and "entity_type=department&amp;page=2" in first.text
    second = await client.get("/admin/audit?entity_type=department&page=2")
    assert second.text.count('class="audit-entry"') == 10
    assert "部门0" in second.text and "部门59" not in second.text  # newest first
    beyond = await client.get("/admin/audit?entity_type=department&page=99")
    assert beyond.status_code == 200
    assert "第 2 / 2 页" in beyond.text and beyond.text.count('class="audit-entry"') == 10


async def test_csv_export_of_the_current_filters(world, client):
    await _as_admin(client, world)
    response = await client.get("/admin/audit.csv?entity_type=scenario")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["时间", "操作人", "角色", "操作", "对象", "变更", "原因", "来源地址"]
    assert len(rows) == 4
    approve = rows[-1]  # oldest last
    sid = world["scenario"]
    assert approve == [
        "2026-03-01 23:30:00",
        "陈明（首席数据官/部门工作人员）",
        "部门工作人员",
        "批准",
        f"场景 #{sid}《12345热线工单智能分派》",
        "状态：审核中 → 征集中",
        "",
        "10.0.0.7",
    ]
    suspended = list(
        csv.reader(io.StringIO((await client.get("/admin/audit.csv?action=company.suspend")).text))
    )
    assert suspended[1][6] == "年审材料逾期未交<script>"


async def test_csv_export_is_capped_with_a_note(world, client, monkeypatch):
    monkeypatch.setattr(audit_log, "MAX_CSV_ROWS", 2)
    await _as_admin(client, world)
    response = await client.get("/admin/audit.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 1 + 2 + 1
    assert rows[-1][0].startswith("注：共 4 条，仅导出最新的 2 条")
    assert response.headers["x-export-capped"] == "2"
    page = await client.get("/admin/audit")
    assert "导出最多包含最新的 2 条" in page.text


async def test_only_admins_read_the_audit_log(world, client):
    await sign_in(client, world["cdo"])
    assert (await client.get("/admin/audit")).status_code == 403
    assert (await client.get("/admin/audit.csv")).status_code == 403


def test_field_names_depend_on_the_entity_type():
    assert changes("case_study", None, {"title": "智慧工地"}) == [Change("案例标题", None, "智慧工地")]
    assert changes("scenario", None, {"title": "智慧工地"}) == [Change("标题", None, "智慧工地")]
    assert changes("company", {"size": "sme"}, {"size": "large"}) == [
        Change("企业规模", "中小企业", "大型企业")
    ]
