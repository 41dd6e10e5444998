"""The staff page of recommended companies and the invite-to-apply action."""

from __future__ import annotations

import pytest

from marketplace.core.tables import AuditEvent
from marketplace.notifications.tables import Notification
from tests.accounts.helpers import post_form, sign_in
from tests.matching.test_matching_access import _world


async def test_staff_see_recommended_companies_with_reasons(db, client):
    w = await _world()
    await sign_in(client, w["staff"])
    page = await client.get(f"/staff/scenarios/{w['hotline']}/matches")
    assert page.status_code == 200
    assert "园声智能科技有限公司" in page.text and "理由" in page.text and "语音识别" in page.text
    assert "联合体建议" in page.text


@pytest.mark.parametrize(("who", "expected"), [("member", 403), ("other_staff", 403), ("admin", 200)])
async def test_others_may_not(db, client, who, expected):
    w = await _world()
    await sign_in(client, w[who])
    assert (await client.get(f"/staff/scenarios/{w['hotline']}/matches")).status_code == expected


async def test_invite_to_apply_notifies_the_company_once(db, client):
    w = await _world()
    await sign_in(client, w["staff"])
    token_page = f"/staff/scenarios/{w['hotline']}/matches"
    first = await post_form(
        client,
        f"/staff/scenarios/{w['hotline']}/matches/invite",
        {"company": str(w["voice"])},
        token_from=token_page,
    )
    assert first.status_code == 303 and "invited=sent" in first.headers["location"]
    again = await post_form(
        client,
        f"/staff/scenarios/{w['hotline']}/matches/invite",
        {"company": str(w["voice"])},
        token_from=token_page,
    )
    assert "invited=already" in again.headers["location"]
    rows = await Notification.select().where(Notification.kind == "invitation_to_apply")
    assert [r["user"] for r in rows] == [w["member"]] and "12345热线" in rows[0]["title"]
    assert await AuditEvent.count().where(AuditEvent.action == "scenario.invite_company") == 1
    client.cookies.clear()
    await sign_in(client, w["member"])
    assert "邀请申报" in (await client.get("/notifications")).text


async def test_draft_scenarios_cannot_invite(db, client):
    w = await _world()
    admin = w["admin"]
    await sign_in(client, admin)
    response = await post_form(
        client,
        f"/staff/scenarios/{w['dust']}/matches/invite",
        {"company": str(w["voice"])},
        token_from=f"/staff/scenarios/{w['dust']}/matches",
    )
    assert response.status_code == 409 and "征集中" in response.text
