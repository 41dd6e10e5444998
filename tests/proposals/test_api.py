"""The proposal JSON API: bearer-token writes, 401/403/404/409, validation errors in Chinese."""

from __future__ import annotations

import datetime as dt

import pytest

from marketplace.core import clock
from marketplace.proposals.tables import Proposal
from tests.accounts.helpers import bearer, make_user, sign_in
from tests.proposals.helpers import complete_content, proposal_world


@pytest.fixture
async def w(db):
    clock.set_now(dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC))
    w = await proposal_world()
    w["staff"] = await make_user("staff@example.com", role="staff", department=w["dept"])
    return w


async def test_member_creates_patches_submits_and_withdraws_through_the_api(client, w):
    auth = await bearer(w["lead_manager"])
    r = await client.post(f"/api/v1/scenarios/{w['scenario']}/proposals", headers=auth)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    assert r.json()["status"] == "draft" and r.json()["members"][0]["work_share"] == 100
    again = await client.post(f"/api/v1/scenarios/{w['scenario']}/proposals", headers=auth)
    assert again.status_code == 409 and "已有本场景的方案" in again.json()["detail"]

    r = await client.post(f"/api/v1/proposals/{pid}/submit", headers=auth)
    assert r.status_code == 409  # the request is well formed; the draft is not complete
    assert {"summary", "timeline", "cost_estimate", f"capability_{w['asr']}"} <= set(r.json()["errors"])

    r = await client.patch(f"/api/v1/proposals/{pid}", headers=auth, json={"summary": "API 摘要"})
    assert r.status_code == 200 and r.json()["summary"] == "API 摘要"
    r = await client.patch(f"/api/v1/proposals/{pid}", headers=auth, json={"cost_estimate": -5})
    assert r.status_code == 400 and "负数" in r.json()["errors"]["cost_estimate"]
    r = await client.patch(f"/api/v1/proposals/{pid}", headers=auth, json=complete_content(w))
    assert r.status_code == 200, r.text

    r = await client.post(f"/api/v1/proposals/{pid}/submit", headers=auth)
    assert r.status_code == 200, r.text
    receipt = r.json()
    assert (
        receipt["number"] == f"SYQ-2026-{pid:06d}"
        and receipt["version"] == 1
        and len(receipt["content_hash"]) == 64
    )

    r = await client.post(f"/api/v1/proposals/{pid}/withdraw", headers=auth, json={"reason": "调整"})
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    versions = await client.get(f"/api/v1/proposals/{pid}/versions", headers=auth)
    assert [v["version"] for v in versions.json()] == [1]

    clock.set_now(w["deadline"] + dt.timedelta(minutes=1))
    r = await client.post(f"/api/v1/proposals/{pid}/submit", headers=auth)
    assert r.status_code == 409 and "已截止" in r.json()["detail"]


async def test_writes_need_a_bearer_token_and_an_approved_member(client, w):
    r = await client.post(f"/api/v1/scenarios/{w['scenario']}/proposals")
    assert r.status_code == 401
    await sign_in(client, w["lead_manager"])  # a session cookie alone does not write through the API
    r = await client.post(f"/api/v1/scenarios/{w['scenario']}/proposals")
    assert r.status_code == 401
    for user in ("staff", "pending_manager"):
        r = await client.post(f"/api/v1/scenarios/{w['scenario']}/proposals", headers=await bearer(w[user]))
        assert r.status_code == 403, user
    assert await Proposal.count() == 0


async def test_reads_show_only_what_the_caller_may_see(client, w):
    pid = (
        await client.post(
            f"/api/v1/scenarios/{w['scenario']}/proposals", headers=await bearer(w["lead_manager"])
        )
    ).json()["id"]
    assert (
        await client.get(f"/api/v1/proposals/{pid}", headers=await bearer(w["lead_user"]))
    ).status_code == 200
    for user in ("sme_manager", "staff"):  # another company; staff never see drafts
        r = await client.get(f"/api/v1/proposals/{pid}", headers=await bearer(w[user]))
        assert r.status_code == 404, user
        listing = await client.get("/api/v1/proposals", headers=await bearer(w[user]))
        assert listing.status_code == 200 and listing.json()["total"] == 0
        r = await client.patch(f"/api/v1/proposals/{pid}", headers=await bearer(w[user]), json={"team": "x"})
        assert r.status_code == (404 if user == "sme_manager" else 403)
    assert (await client.get(f"/api/v1/proposals/{pid}")).status_code == 401
    mine = await client.get("/api/v1/proposals", headers=await bearer(w["lead_user"]))
    assert [p["id"] for p in mine.json()["items"]] == [pid]


async def test_consortium_through_the_api(client, w):
    lead = await bearer(w["lead_manager"])
    pid = (await client.post(f"/api/v1/scenarios/{w['scenario']}/proposals", headers=lead)).json()["id"]
    r = await client.post(
        f"/api/v1/proposals/{pid}/members",
        headers=lead,
        json={"company_id": w["pending"], "role": "x", "work_share": 10},
    )
    assert r.status_code == 404 and "已批准" in r.json()["errors"]["company"]
    r = await client.post(
        f"/api/v1/proposals/{pid}/members",
        headers=lead,
        json={"company_id": w["sme"], "role": "数据治理", "work_share": 30},
    )
    assert r.status_code == 201 and r.json()["members"][1]["status"] == "invited"
    r = await client.post(
        f"/api/v1/proposals/{pid}/invitation", headers=await bearer(w["sme_user"]), json={"accept": True}
    )
    assert r.status_code == 403 and "企业管理员" in r.json()["detail"]
    r = await client.post(
        f"/api/v1/proposals/{pid}/invitation", headers=await bearer(w["sme_manager"]), json={"accept": True}
    )
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    detail = await client.get(f"/api/v1/proposals/{pid}", headers=await bearer(w["sme_manager"]))
    assert detail.status_code == 200 and detail.json()["members"][1]["is_sme"] is True
