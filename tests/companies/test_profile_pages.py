"""The profile through the member pages, the admin page, the public page and the JSON API:
who may change what, the messages for bad input, and that publish choices hold everywhere."""

from __future__ import annotations

import pytest

from marketplace.companies import profile
from marketplace.companies.tables import Company, CompanyCapability, PastProject
from marketplace.core.audit import Actor
from tests.accounts.helpers import bearer, make_user, post_form, sign_in
from tests.factories import make_capability, make_company

MANAGER = Actor(user_id=1, label="boss@example.com", role="member")


@pytest.fixture
async def world(db):
    group = await make_capability(key="ai", name="人工智能")
    asr = await make_capability(group, key="asr", name="语音识别")
    company = await make_company(name="星湖语音科技有限公司", status="approved", publish_profile=True)
    other = await make_company(name="乙公司", status="approved")
    return {
        "asr": asr,
        "company": company,
        "other": other,
        "manager": await make_user("boss@example.com", company=company, is_company_manager=True),
        "colleague": await make_user("colleague@example.com", company=company),
        "other_manager": await make_user("b@example.com", company=other, is_company_manager=True),
        "staff": await make_user("staff@example.com", role="staff"),
        "admin": await make_user("admin@example.com", role="admin"),
    }


async def company_row(company_id: int) -> dict:
    return await Company.select().where(Company.id == company_id).first()


async def test_manager_saves_the_profile_and_bad_input_shows_messages(client, world):
    await sign_in(client, world["manager"])
    response = await post_form(
        client,
        "/member/profile",
        {
            "description": "专注政务语音",
            "team_size": "0",
            "website": "xinghu.example.com",
            "location": "星湖街",
        },
    )
    assert response.status_code == 400
    assert "团队规模（人）须在 1 到 1000000 之间。" in response.text
    assert "网站应以 http:// 或 https:// 开头" in response.text
    assert 'value="星湖街"' in response.text  # what was typed is kept
    assert (await company_row(world["company"]))["description"] == ""

    response = await post_form(
        client,
        "/member/profile",
        {
            "description": "专注政务语音",
            "team_size": "85",
            "website": "https://xinghu.example.com",
            "location": "星湖街 328 号",
            "publish_profile": "on",
        },
    )
    assert response.status_code == 303 and response.headers["location"] == "/member/profile?done=saved"
    row = await company_row(world["company"])
    assert (row["description"], row["team_size"], row["publish_profile"]) == ("专注政务语音", 85, True)
    page = await client.get("/member/profile?done=saved")
    assert "企业资料已保存。" in page.text and "专注政务语音" in page.text


async def test_colleagues_read_but_only_managers_write(client, world):
    await sign_in(client, world["colleague"])
    page = await client.get("/member/profile")
    assert page.status_code == 200
    assert "只有本企业的企业管理员可以修改企业资料" in page.text and "保存企业资料" not in page.text
    for path in ("/member/profile", "/member/profile/capabilities", "/member/profile/projects/new"):
        response = await post_form(
            client, path, {"description": "偷改", "capability": str(world["asr"]), "title": "x"}
        )
        assert response.status_code == 403, path
    assert (await company_row(world["company"]))["description"] == ""
    assert await CompanyCapability.count() == 0 and await PastProject.count() == 0
    assert (await client.get("/member/profile/projects/new")).status_code == 403


async def test_another_companys_manager_gets_404_for_our_items(client, world):
    item = await profile.save_item(
        profile.ITEM_KINDS["projects"],
        world["company"],
        MANAGER,
        {"title": "热线语音转写", "client": "数据局", "year": "2024", "delivered": "转写", "published": "on"},
    )
    await sign_in(client, world["other_manager"])
    assert (await client.get(f"/member/profile/projects/{item}")).status_code == 404
    response = await post_form(
        client,
        f"/member/profile/projects/{item}",
        {"title": "改掉", "client": "x", "year": "2024", "delivered": "x"},
    )
    assert response.status_code == 404
    assert (await post_form(client, f"/member/profile/projects/{item}/delete", {})).status_code == 404
    assert (await client.get("/member/profile/widgets/new")).status_code == 404
    assert (await PastProject.select(PastProject.title).first())["title"] == "热线语音转写"


async def test_item_form_validates_and_saves(client, world):
    await sign_in(client, world["manager"])
    await post_form(client, "/member/profile/capabilities", {"capability": str(world["asr"]), "note": "97%"})
    response = await post_form(
        client,
        "/member/profile/projects/new",
        {"title": "", "client": "数据局", "year": "1980", "delivered": "转写"},
    )
    assert response.status_code == 400
    assert "请填写项目名称。" in response.text and "年份须在 1990 到" in response.text
    assert await PastProject.count() == 0
    response = await post_form(
        client,
        "/member/profile/projects/new",
        {
            "title": "热线语音转写",
            "client": "数据局",
            "year": "2024",
            "delivered": "转写",
            "reference_contact": "张工 13800000000",
            "capability": str(world["asr"]),
            "published": "on",
        },
    )
    assert response.status_code == 303
    row = await CompanyCapability.select().first()
    assert row["evidence"] == "past_project"
    page = await client.get("/member/profile")
    assert "有项目案例" in page.text and "热线语音转写" in page.text


async def test_only_admins_verify_and_the_public_page_marks_it(client, world):
    await profile.add_capability(world["company"], MANAGER, world["asr"])
    path = f"/admin/companies/{world['company']}/capabilities/{world['asr']}"
    await sign_in(client, world["manager"])
    assert (await post_form(client, path, {"target": "verify"})).status_code == 403
    assert (await CompanyCapability.select().first())["evidence"] == "self_declared"
    assert "已认证 ·" not in (await client.get(f"/companies/{world['company']}")).text

    await sign_in(client, world["admin"])
    assert (await client.get(f"/admin/companies/{world['company']}")).status_code == 200
    response = await post_form(client, path, {"target": "verify"})
    assert response.status_code == 303
    assert (await CompanyCapability.select().first())["evidence"] == "verified"
    assert "已认证 · 协会已核验" in (await client.get(f"/companies/{world['company']}")).text
    await post_form(client, path, {"target": "unverify"})
    assert (await CompanyCapability.select().first())["evidence"] == "self_declared"


async def test_public_page_and_api_show_only_published_things(client, world):
    company = world["company"]
    await profile.update_profile(
        company,
        MANAGER,
        {
            "description": "专注政务语音",
            "contact_name": "周强",
            "contact_phone": "0512-66668888",
            "publish_profile": "on",
        },
    )
    await profile.save_item(
        profile.ITEM_KINDS["projects"],
        company,
        MANAGER,
        {
            "title": "热线语音转写",
            "client": "数据局",
            "year": "2024",
            "delivered": "转写",
            "reference_contact": "张工 13800000000",
            "published": "on",
        },
    )
    await profile.save_item(
        profile.ITEM_KINDS["case-studies"], company, MANAGER, {"title": "保密案例", "summary": "不公开"}
    )
    page = (await client.get(f"/companies/{company}")).text
    api = (await client.get(f"/api/v1/companies/{company}")).json()
    for text in (page, str(api)):
        assert "热线语音转写" in text
        assert "13800000000" not in text and "张工" not in text
        assert "保密案例" not in text
        assert "0512-66668888" not in text
    assert api["contact"] is None and api["case_studies"] == []

    await profile.update_profile(company, MANAGER, {"publish_contact": True}, partial=True)
    assert "0512-66668888" in (await client.get(f"/companies/{company}")).text
    assert (await client.get(f"/api/v1/companies/{company}")).json()["contact"]["phone"] == "0512-66668888"

    await profile.update_profile(company, MANAGER, {"publish_profile": False}, partial=True)
    assert (await client.get(f"/companies/{company}")).status_code == 404
    assert (await client.get(f"/api/v1/companies/{company}")).status_code == 404
    directory = (await client.get("/api/v1/companies")).json()
    assert company not in [c["id"] for c in directory["items"]]


async def test_profile_api_for_managers(client, world):
    url = "/api/v1/me/company/profile"
    assert (await client.get(url)).status_code == 401
    for who in ("colleague", "staff", "admin"):
        assert (await client.get(url, headers=await bearer(world[who]))).status_code == 403, who
    headers = await bearer(world["manager"])
    body = (await client.get(url, headers=headers)).json()
    assert (body["name"], body["publish_profile"], body["capabilities"]) == ("星湖语音科技有限公司", True, [])

    response = await client.patch(url, headers=headers, json={"team_size": 0, "contact_email": "bad"})
    assert response.status_code == 400
    # The body breaks the documented schema: each field is named, in Chinese (issue 13).
    assert response.json()["errors"] == {
        "team_size": "team_size 必须大于或等于 1。",
        "contact_email": "contact_email 的格式不对（格式见接口文档）。",
    }
    assert (await company_row(world["company"]))["contact_email"] == ""
    response = await client.patch(url, headers=headers, json={"team_size": 40, "publish_contact": True})
    assert response.status_code == 200
    assert (
        response.json()["team_size"],
        response.json()["publish_contact"],
        response.json()["location"],
    ) == (40, True, "")
    assert (await client.patch(url, headers=headers, json={"size": "large"})).status_code == 400

    caps_url = "/api/v1/me/company/capabilities"
    response = await client.put(
        caps_url, headers=headers, json={"capabilities": [{"capability_id": world["asr"], "note": "含方言"}]}
    )
    assert response.status_code == 200
    assert [(c["name"], c["evidence"], c["note"]) for c in response.json()] == [
        ("语音识别", "self_declared", "含方言")
    ]
    response = await client.put(caps_url, headers=await bearer(world["colleague"]), json={"capabilities": []})
    assert response.status_code == 403
    assert await CompanyCapability.count() == 1
