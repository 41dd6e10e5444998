"""The public change feed: a follower keeps ``next_since`` and sees exactly the public changes
made since, companies leaving the directory as tombstones, and nothing of drafts or applicants."""

from __future__ import annotations

import datetime as dt

from marketplace.accounts.services import set_company_status
from marketplace.companies.profile import update_profile
from marketplace.core import clock, outbox
from marketplace.core.audit import SYSTEM, Actor
from marketplace.scenarios.services import close_expired_scenarios
from tests.accounts.helpers import make_user
from tests.evaluation.helpers import NOW
from tests.factories import make_company, make_scenario

LATER = dt.timedelta(seconds=10)  # past the feed's settle time


async def _read(client, kind: str, since: str | None = None, **params) -> dict:
    if since is not None:
        params["since"] = since
    response = await client.get(f"/api/v1/changes/{kind}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_follower_sees_each_company_change_once_and_a_tombstone_when_it_leaves(db, client):
    clock.set_now(NOW)
    admin = Actor(user_id=await make_user("admin@example.com", role="admin"), label="admin", role="admin")
    applicant = await make_company(name="申请中科技有限公司", status="pending")
    approved = await make_company(
        name="新晋数据科技有限公司", status="pending", contact_email="hidden@example.com"
    )
    await set_company_status(approved, "approved", admin)
    await set_company_status(
        applicant, "suspended", admin, reason="材料不全。"
    )  # never public: not in the feed

    clock.set_now(NOW + LATER)
    first = await _read(client, "companies")
    assert [(c["id"], c["change"]) for c in first["items"]] == [(approved, "updated")]
    assert first["items"][0]["company"]["name"] == "新晋数据科技有限公司"
    assert "hidden@example.com" not in str(first) and "申请中" not in str(first)
    cursor = first["next_since"]
    assert (await _read(client, "companies", cursor))["items"] == []

    # Two edits and then leaving the directory: one entry, the tombstone.
    member = Actor(user_id=None, label="member", role="member")
    await update_profile(approved, member, {"description": "城市数据治理。"}, partial=True)
    await update_profile(approved, member, {"publish_profile": False}, partial=True)
    clock.set_now(NOW + 2 * LATER)
    gone = await _read(client, "companies", cursor)
    assert [(c["id"], c["change"], c["company"]) for c in gone["items"]] == [(approved, "removed", None)]
    cursor = gone["next_since"]

    await update_profile(approved, member, {"publish_profile": True}, partial=True)
    clock.set_now(NOW + 3 * LATER)
    back = await _read(client, "companies", cursor)
    assert [(c["id"], c["change"]) for c in back["items"]] == [(approved, "updated")]
    assert back["items"][0]["company"]["description"] == "城市数据治理。"


async def test_scenario_changes_follow_the_cursor_and_leave_drafts_out(db, client):
    clock.set_now(NOW)
    open_one = await make_scenario(
        "open",
        public_status="open",
        opened_at=NOW,
        proposal_deadline=NOW + dt.timedelta(hours=1),
        title="公开场景",
    )
    other = await make_scenario(
        "open",
        public_status="open",
        opened_at=NOW,
        proposal_deadline=NOW + dt.timedelta(days=9),
        title="另一个场景",
    )
    draft = await make_scenario("draft", title="内部草稿")
    await outbox.enqueue("scenario", draft)  # a draft edited
    await outbox.enqueue("scenario", other)  # a published scenario edited
    clock.set_now(NOW + LATER)
    page = await _read(client, "scenarios", limit=1)
    assert page["has_more"] and page["items"] == []  # the draft's change: read past, not shown
    page = await _read(client, "scenarios", page["next_since"])
    assert [(c["id"], c["scenario"]["title"]) for c in page["items"]] == [(other, "另一个场景")]
    cursor = page["next_since"]

    clock.set_now(NOW + dt.timedelta(hours=2))
    assert await close_expired_scenarios(SYSTEM) == [open_one]
    assert (await _read(client, "scenarios", cursor))["items"] == []  # not settled yet
    clock.set_now(NOW + dt.timedelta(hours=2) + LATER)
    closed = await _read(client, "scenarios", cursor)
    assert [(c["id"], c["change"], c["scenario"]["status"]) for c in closed["items"]] == [
        (open_one, "updated", "closed")
    ]
    assert "内部草稿" not in str(closed)


async def test_a_bad_cursor_is_refused_in_chinese(db, client):
    for kind in ("scenarios", "companies"):
        response = await client.get(f"/api/v1/changes/{kind}", params={"since": "abc"})
        assert response.status_code == 400 and "since" in response.json()["errors"]
