"""Who sees matches and recommendations (API) and the member home's recommended scenarios."""

from __future__ import annotations

import pytest

from marketplace.companies.tables import Company
from marketplace.core.audit import SYSTEM
from marketplace.departments.tables import Department
from marketplace.importing.services import import_catalog
from marketplace.scenarios.tables import Scenario
from tests.accounts.helpers import bearer, make_user, sign_in
from tests.importing.test_import import load


async def _world():
    await import_catalog(load(), SYSTEM)
    dept = (await Department.select(Department.id).where(Department.key == "dept-data").first())["id"]
    other = (await Department.select(Department.id).where(Department.key == "dept-city").first())["id"]
    voice = (await Company.select(Company.id).where(Company.key == "co-voice").first())["id"]
    hotline = (await Scenario.select(Scenario.id).where(Scenario.key == "sc-hotline").first())["id"]
    dust = (await Scenario.select(Scenario.id).where(Scenario.key == "sc-dust").first())["id"]  # a draft
    return {
        "staff": await make_user("s@example.com", role="staff", department=dept),
        "other_staff": await make_user("o@example.com", role="staff", department=other),
        "admin": await make_user("admin@example.com", role="admin"),
        "member": await make_user("m@example.com", company=voice, is_company_manager=True),
        "voice": voice,
        "hotline": hotline,
        "dust": dust,
    }


@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", 401), ("member", 403), ("other_staff", 403), ("staff", 200), ("admin", 200)],
)
async def test_scenario_matches_rights(db, client, who, expected):
    w = await _world()
    headers = {} if who == "anonymous" else await bearer(w[who])
    response = await client.get(f"/api/v1/scenarios/{w['hotline']}/matches", headers=headers)
    assert response.status_code == expected
    if expected == 200:
        body = response.json()
        best = body["items"][0]
        assert best["company_id"] == w["voice"] and best["score"] >= body["threshold"]
        assert best["band_label"] in ("高", "中", "低") and body["notice"] is None
        assert "语音识别" in best["explanation"]["covered"] and best["explanation"]["summary"]


async def test_draft_of_another_department_is_404(db, client):
    w = await _world()
    response = await client.get(f"/api/v1/scenarios/{w['dust']}/matches", headers=await bearer(w["staff"]))
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("who", "expected"), [("anonymous", 401), ("member", 200), ("staff", 200), ("admin", 200)]
)
async def test_recommendations_rights(db, client, who, expected):
    w = await _world()
    headers = {} if who == "anonymous" else await bearer(w[who])
    response = await client.get(f"/api/v1/companies/{w['voice']}/recommendations", headers=headers)
    assert response.status_code == expected
    if expected == 200:
        assert [r["scenario_id"] for r in response.json()["items"]] == [w["hotline"]]  # the only open one


async def test_another_companys_recommendations_are_refused(db, client):
    w = await _world()
    other = await make_user(
        "x@example.com",
        company=(await Company(name="丙公司", status="approved").save())
        and (await Company.select(Company.id).where(Company.name == "丙公司").first())["id"],
    )
    response = await client.get(
        f"/api/v1/companies/{w['voice']}/recommendations", headers=await bearer(other)
    )
    assert response.status_code == 403


async def test_member_home_recommends_with_why(db, client):
    w = await _world()
    await sign_in(client, w["member"])
    page = await client.get("/member")
    assert "为您推荐的征集中场景" in page.text and "12345热线工单智能分派" in page.text
    assert "推荐理由" in page.text and "语音识别" in page.text
