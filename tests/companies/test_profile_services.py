"""The company profile services: validation (Chinese messages, nothing stored), evidence rules
(past projects, verification by admins only, what note edits and removal do), audit and the
search outbox for every write, and what the public profile and search documents leave out."""

from __future__ import annotations

import pytest

from marketplace.companies import profile
from marketplace.companies.services import get_public_company
from marketplace.companies.tables import (
    CaseStudy,
    Company,
    CompanyCapability,
    CompanyCertificate,
    PastProject,
)
from marketplace.core import clock
from marketplace.core.audit import Actor
from marketplace.core.errors import NotAllowed, NotFound, ValidationFailed
from marketplace.core.tables import AuditEvent, Outbox
from marketplace.search import documents
from tests.factories import make_capability, make_company

MANAGER = Actor(user_id=1, label="boss@example.com", role="member")
ADMIN = Actor(user_id=2, label="admin@example.com", role="admin")
PROJECTS = profile.ITEM_KINDS["projects"]
CERTIFICATES = profile.ITEM_KINDS["certificates"]
CASES = profile.ITEM_KINDS["case-studies"]


@pytest.fixture
async def world(db):
    group = await make_capability(key="ai", name="人工智能")
    asr = await make_capability(group, key="asr", name="语音识别")
    nlp = await make_capability(group, key="nlp", name="自然语言处理")
    company = await make_company(name="星湖语音科技有限公司", status="approved")
    other = await make_company(name="乙公司", status="approved")
    return {"group": group, "asr": asr, "nlp": nlp, "company": company, "other": other}


def project(**values) -> dict:
    return {
        "title": "热线语音转写",
        "client": "园区数据局",
        "year": "2024",
        "delivered": "12345 热线实时转写",
        "reference_contact": "张工 13800000000",
        "published": "on",
        **values,
    }


async def evidence(company: int, capability: int) -> str:
    row = (
        await CompanyCapability.select(CompanyCapability.evidence)
        .where((CompanyCapability.company == company) & (CompanyCapability.capability == capability))
        .first()
    )
    return row["evidence"]


async def test_profile_update_is_validated_audited_and_reindexed(world):
    company = world["company"]
    with pytest.raises(ValidationFailed) as exc:
        await profile.update_profile(
            company,
            MANAGER,
            {
                "description": "好" * 2001,
                "team_size": "很多",
                "website": "javascript:alert(1)",
                "contact_email": "not-an-email",
                "location": "星湖街",
            },
        )
    assert exc.value.errors == {
        "description": "企业简介不能超过 2000 个字符（现在 2001 个）。",
        "team_size": "团队规模（人）必须是整数。",
        "website": "网站应以 http:// 或 https:// 开头，例如 https://www.example.com。",
        "contact_email": "联系邮箱格式不正确，例如 name@example.com。",
    }
    row = await Company.select().where(Company.id == company).first()
    assert (row["location"], row["description"]) == ("", "")  # nothing stored
    assert await Outbox.count() == 0 and await AuditEvent.count() == 0

    await profile.update_profile(
        company,
        MANAGER,
        {
            "description": "专注政务语音",
            "team_size": "85",
            "location": "星湖街 328 号",
            "website": "https://xinghu.example.com",
            "contact_name": "周强",
            "contact_email": "zq@example.com",
            "contact_phone": "0512-66668888",
            "publish_profile": "on",
        },
    )
    row = await Company.select().where(Company.id == company).first()
    assert (row["team_size"], row["publish_contact"], row["publish_profile"]) == (85, False, True)
    event = (
        await AuditEvent.select()
        .where(AuditEvent.action == "company.profile.update")
        .output(load_json=True)
        .first()
    )
    assert event["after"]["team_size"] == 85 and event["actor_label"] == "boss@example.com"
    assert await Outbox.count().where((Outbox.kind == "company") & (Outbox.entity_id == company)) == 1

    # A partial change (the API's PATCH) leaves the rest alone.
    await profile.update_profile(company, MANAGER, {"publish_contact": True}, partial=True)
    row = await Company.select().where(Company.id == company).first()
    assert (row["publish_contact"], row["team_size"], row["location"]) == (True, 85, "星湖街 328 号")


async def test_year_range_and_required_fields_of_items(world):
    company = world["company"]
    clock.set_now(clock.now().replace(year=2026))
    with pytest.raises(ValidationFailed) as exc:
        await profile.save_item(PROJECTS, company, MANAGER, project(title="", year="1989", client=""))
    assert exc.value.errors == {
        "title": "请填写项目名称。",
        "client": "请填写客户。",
        "year": "年份须在 1990 到 2026 年之间。",
    }
    with pytest.raises(ValidationFailed) as exc:
        await profile.save_item(PROJECTS, company, MANAGER, project(year="2027"))
    assert exc.value.errors == {"year": "年份须在 1990 到 2026 年之间。"}
    with pytest.raises(ValidationFailed) as exc:
        await profile.save_item(
            CERTIFICATES,
            company,
            MANAGER,
            {"name": "ISO 27001", "issuer": "认证中心", "valid_until": "2027-13-01"},
        )
    assert exc.value.errors == {"valid_until": "有效期至格式应为 年-月-日，例如 2027-06-30。"}
    with pytest.raises(ValidationFailed) as exc:
        await profile.save_item(CASES, company, MANAGER, {"title": "案" * 201, "summary": ""})
    assert exc.value.errors == {
        "title": "案例标题不能超过 200 个字符（现在 201 个）。",
        "summary": "请填写问题与做法。",
    }
    with pytest.raises(ValidationFailed) as exc:  # a capability the company has not declared
        await profile.save_item(PROJECTS, company, MANAGER, project(capability=str(world["asr"])))
    assert exc.value.errors == {"capability": "请先在“能力”中添加该能力，再把它关联到这里。"}
    for table in (PastProject, CompanyCertificate, CaseStudy):
        assert await table.count() == 0
    assert await Outbox.count() == 0 and await AuditEvent.count() == 0


async def test_a_linked_past_project_makes_the_evidence_past_project(world):
    company, asr = world["company"], world["asr"]
    await profile.add_capability(company, MANAGER, asr, "转写准确率 97%")
    assert await evidence(company, asr) == "self_declared"
    project_id = await profile.save_item(PROJECTS, company, MANAGER, project(capability=str(asr)))
    assert await evidence(company, asr) == "past_project"
    # Unlinking it (editing the project) takes the evidence back.
    await profile.save_item(PROJECTS, company, MANAGER, project(capability=""), project_id)
    assert await evidence(company, asr) == "self_declared"
    await profile.save_item(PROJECTS, company, MANAGER, project(capability=str(asr)), project_id)
    await profile.delete_item(PROJECTS, company, MANAGER, project_id)
    assert await evidence(company, asr) == "self_declared"
    actions = [r["action"] for r in await AuditEvent.select(AuditEvent.action).order_by(AuditEvent.id)]
    assert actions == [
        "company.capability.add",
        "company.past_project.add",
        "company.past_project.update",
        "company.past_project.update",
        "company.past_project.delete",
    ]
    assert await Outbox.count().where(Outbox.entity_id == company) == 5


async def test_groups_and_duplicates_cannot_be_declared(world):
    company = world["company"]
    with pytest.raises(ValidationFailed) as exc:
        await profile.add_capability(company, MANAGER, world["group"])
    assert exc.value.errors == {"capability": "请从能力分类中选择一项具体能力。"}
    await profile.add_capability(company, MANAGER, world["asr"])
    with pytest.raises(ValidationFailed) as exc:
        await profile.add_capability(company, MANAGER, world["asr"])
    assert exc.value.errors == {"capability": "该能力已在列表中，可直接修改它的说明。"}
    assert await CompanyCapability.count() == 1


async def test_only_admins_verify_and_the_mark_survives_note_edits_but_not_removal(world):
    company, asr = world["company"], world["asr"]
    await profile.add_capability(company, MANAGER, asr)
    with pytest.raises(NotAllowed):
        await profile.set_capability_verified(company, asr, True, MANAGER)
    assert await evidence(company, asr) == "self_declared"

    clock.set_now(clock.now())
    await profile.set_capability_verified(company, asr, True, ADMIN)
    row = await CompanyCapability.select().where(CompanyCapability.capability == asr).first()
    assert row["evidence"] == "verified" and row["verified_at"] == clock.now()
    event = await AuditEvent.select().where(AuditEvent.action == "company.capability.verify").first()
    assert event["actor_label"] == "admin@example.com"

    await profile.update_capability_note(company, MANAGER, asr, "新增方言识别")
    assert await evidence(company, asr) == "verified"
    # Linking a project does not lower a verified capability either.
    await profile.save_item(PROJECTS, company, MANAGER, project(capability=str(asr)))
    assert await evidence(company, asr) == "verified"
    # Unverifying falls back to what the evidence shows.
    await profile.set_capability_verified(company, asr, False, ADMIN)
    row = await CompanyCapability.select().where(CompanyCapability.capability == asr).first()
    assert (row["evidence"], row["verified_at"]) == ("past_project", None)

    await profile.set_capability_verified(company, asr, True, ADMIN)
    await profile.remove_capability(company, MANAGER, asr)
    await profile.add_capability(company, MANAGER, asr)
    assert await evidence(company, asr) == "past_project"  # re-added: the project counts, the mark is gone


async def test_another_companys_items_are_not_found(world):
    item = await profile.save_item(CASES, world["other"], MANAGER, {"title": "乙的案例", "summary": "做法"})
    with pytest.raises(NotFound):
        await profile.save_item(CASES, world["company"], MANAGER, {"title": "改掉", "summary": "x"}, item)
    with pytest.raises(NotFound):
        await profile.delete_item(CASES, world["company"], MANAGER, item)
    with pytest.raises(NotFound):
        await profile.update_capability_note(world["company"], MANAGER, world["asr"], "x")
    assert (await CaseStudy.select(CaseStudy.title).first())["title"] == "乙的案例"


async def test_replace_capabilities_keeps_verification_of_those_that_stay(world):
    company, asr, nlp = world["company"], world["asr"], world["nlp"]
    await profile.add_capability(company, MANAGER, asr)
    await profile.set_capability_verified(company, asr, True, ADMIN)
    with pytest.raises(ValidationFailed) as exc:
        await profile.replace_capabilities(
            company, MANAGER, [(asr, ""), (world["group"], ""), (nlp, "长" * 501)]
        )
    assert exc.value.errors == {
        "capabilities[1].capability": "请从能力分类中选择一项具体能力。",
        "capabilities[2].note": "说明不能超过 500 个字符（现在 501 个）。",
    }
    await profile.replace_capabilities(company, MANAGER, [(asr, "含方言"), (nlp, "")])
    rows = {r["capability"]: r for r in await CompanyCapability.select()}
    assert (rows[asr]["evidence"], rows[asr]["note"], rows[nlp]["evidence"]) == (
        "verified",
        "含方言",
        "self_declared",
    )
    await profile.replace_capabilities(company, MANAGER, [(nlp, "")])
    assert [r["capability"] for r in await CompanyCapability.select()] == [nlp]


async def test_public_profile_and_search_document_show_only_what_is_published(world):
    company, asr = world["company"], world["asr"]
    await profile.update_profile(
        company,
        MANAGER,
        {
            "description": "专注政务语音",
            "contact_name": "周强",
            "contact_email": "zq@example.com",
            "publish_profile": "on",
        },
    )
    await profile.add_capability(company, MANAGER, asr)
    await profile.save_item(PROJECTS, company, MANAGER, project(capability=str(asr)))
    await profile.save_item(PROJECTS, company, MANAGER, project(title="保密的内部项目", published=""))
    await profile.save_item(
        CERTIFICATES,
        company,
        MANAGER,
        {"name": "ISO 27001", "issuer": "认证中心", "valid_until": "2027-06-30", "published": "on"},
    )
    await profile.save_item(CERTIFICATES, company, MANAGER, {"name": "未公开证书", "issuer": "某机构"})
    await profile.save_item(
        CASES, company, MANAGER, {"title": "方言热线", "summary": "做法", "published": "on"}
    )
    await profile.save_item(CASES, company, MANAGER, {"title": "草稿案例", "summary": "做法"})

    detail = await get_public_company(company)
    assert [p.title for p in detail.past_projects] == ["热线语音转写"]
    assert [c.name for c in detail.certificates] == ["ISO 27001"]
    assert detail.certificates[0].valid_until == "2027-06-30"
    assert [c.title for c in detail.case_studies] == ["方言热线"]
    assert detail.contact is None  # not published
    assert "13800000000" not in str(detail)

    docs, deleted = await documents.load("company", [company])
    assert deleted == [] and docs[0]["project_titles"] == ["热线语音转写"]
    assert "13800000000" not in str(docs) and "zq@example.com" not in str(docs)

    await profile.update_profile(company, MANAGER, {"publish_contact": True}, partial=True)
    detail = await get_public_company(company)
    assert (detail.contact.name, detail.contact.email) == ("周强", "zq@example.com")
    assert "zq@example.com" not in str(await documents.load("company", [company]))

    await profile.update_profile(company, MANAGER, {"publish_profile": False}, partial=True)
    with pytest.raises(NotFound):
        await get_public_company(company)
    assert await documents.load("company", [company]) == ([], [company])


async def test_only_admins_change_the_company_size(world):
    company = world["company"]
    with pytest.raises(NotAllowed):
        await profile.set_company_size(company, "large", MANAGER)
    with pytest.raises(ValidationFailed):
        await profile.set_company_size(company, "huge", ADMIN)
    await profile.set_company_size(company, "large", ADMIN)
    assert (await Company.select(Company.size).where(Company.id == company).first())["size"] == "large"
    assert await AuditEvent.count().where(AuditEvent.action == "company.size") == 1
