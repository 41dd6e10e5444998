"""Admins keep departments, the capability taxonomy and staff duties; every change is audited
and bad input is refused beside the field."""

from __future__ import annotations

from marketplace.accounts.tables import User, UserSession
from marketplace.core.tables import AuditEvent
from marketplace.departments.tables import Department
from marketplace.taxonomy.services import load_capability_index
from marketplace.taxonomy.tables import Capability
from tests.accounts.helpers import make_user, post_form, sign_in
from tests.factories import make_capability, make_department


async def _admin(client):
    await sign_in(client, await make_user("admin@example.com", role="admin"))


async def test_create_and_edit_a_department(db, client):
    await _admin(client)
    response = await post_form(
        client,
        "/admin/departments",
        {
            "name": "园区应急管理局",
            "short_name": "应急局",
            "key": "dept-emergency",
            "cdo_name": "许峰",
            "cdo_title": "副局长",
        },
        token_from="/account",
    )
    assert response.status_code == 303
    dep = await Department.select().where(Department.key == "dept-emergency").first()
    assert dep["cdo_name"] == "许峰"
    edit = await post_form(
        client,
        f"/admin/departments/{dep['id']}",
        {
            "name": "园区应急管理局",
            "short_name": "应急",
            "key": "dept-emergency",
            "cdo_name": "许峰",
            "cdo_title": "局长、首席数据官",
        },
        token_from="/account",
    )
    assert edit.status_code == 303
    assert (await Department.select(Department.cdo_title).where(Department.id == dep["id"]).first())[
        "cdo_title"
    ] == "局长、首席数据官"
    assert [r["action"] for r in await AuditEvent.select(AuditEvent.action)] == [
        "department.create",
        "department.update",
    ]


async def test_department_with_a_taken_name_is_refused(db, client):
    await make_department(key="dept-a", name="园区财政局")
    await _admin(client)
    response = await post_form(
        client, "/admin/departments", {"name": "园区财政局", "key": "dept-b"}, token_from="/account"
    )
    assert (
        response.status_code == 400 and "已有同名部门" in response.text and 'value="dept-b"' in response.text
    )
    assert await Department.count() == 1


async def test_taxonomy_groups_capabilities_and_synonyms(db, client):
    await _admin(client)
    assert (
        await post_form(
            client, "/admin/taxonomy", {"name": "人工智能", "key": "grp-ai"}, token_from="/account"
        )
    ).status_code == 303
    group = (await Capability.select(Capability.id).where(Capability.key == "grp-ai").first())["id"]
    response = await post_form(
        client,
        "/admin/taxonomy",
        {
            "name": "语音识别",
            "name_en": "Speech recognition",
            "key": "cap-asr",
            "parent": str(group),
            "synonyms": "ASR，智能语音、语音转写",
        },
        token_from="/account",
    )
    assert response.status_code == 303
    index = await load_capability_index()
    asr = index.lookup("语音识别")
    assert asr and index.lookup("智能语音") == asr and index.lookup("asr") == asr
    # A synonym may belong to one capability only; the taxonomy has two levels only.
    clash = await post_form(
        client,
        "/admin/taxonomy",
        {"name": "语音合成", "key": "cap-tts", "parent": str(group), "synonyms": "TTS, ASR"},
        token_from="/account",
    )
    assert clash.status_code == 400 and "已属于其他能力：ASR" in clash.text
    deep = await post_form(
        client,
        "/admin/taxonomy",
        {"name": "方言识别", "key": "cap-dialect", "parent": str(asr)},
        token_from="/account",
    )
    assert deep.status_code == 400 and "两级" in deep.text
    assert await Capability.count() == 2
    page = await client.get("/admin/taxonomy")
    assert "ASR、智能语音、语音转写" in page.text


async def test_edit_capability_keeps_its_own_words(db, client):
    group = await make_capability(key="grp-x", name="分组")
    cap = await make_capability(parent=group, key="cap-x", name="旧名", synonyms=["别名"])
    await _admin(client)
    response = await post_form(
        client,
        f"/admin/taxonomy/{cap}",
        {"name": "新名", "key": "cap-x", "parent": str(group), "synonyms": "别名、又一别名"},
        token_from="/account",
    )
    assert response.status_code == 303
    index = await load_capability_index()
    assert index.lookup("新名") == cap == index.lookup("又一别名")


async def test_admin_changes_staff_duties_and_deactivates(db, client):
    dept = await make_department()
    staff = await make_user("s@example.com", role="staff", department=dept)
    await sign_in(client, staff)
    client.cookies.clear()
    await _admin(client)
    response = await post_form(
        client, f"/admin/staff/{staff}", {"is_cdo": "on", "active": "on"}, token_from="/account"
    )
    assert response.status_code == 303
    row = await User.select().where(User.id == staff).first()
    assert row["is_cdo"] and not row["is_evaluator"] and row["active"]
    await post_form(client, f"/admin/staff/{staff}", {}, token_from="/account")
    assert not (await User.select(User.active).where(User.id == staff).first())["active"]
    assert await UserSession.count().where(UserSession.user == staff) == 0
    assert [r["action"] for r in await AuditEvent.select(AuditEvent.action)] == ["user.update_staff"] * 2
