"""Issue 13, defect 7: a NUL (or another control character) in proposal text is refused with a
Chinese message next to the field, through the form and the API, and nothing is stored, on
SQLite (which would store it) and PostgreSQL (which would fail on it) alike."""

from __future__ import annotations

import datetime as dt

import pytest

from marketplace.core import clock
from marketplace.core.errors import ValidationFailed
from marketplace.core.tables import AuditEvent
from marketplace.proposals import consortium as pc
from marketplace.proposals import services as ps
from marketplace.proposals.tables import Proposal, ProposalMember
from tests.accounts.helpers import bearer, csrf_token, sign_in
from tests.proposals.helpers import actor, complete_content, proposal_world


@pytest.fixture
async def w(db):
    clock.set_now(dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC))
    w = await proposal_world()
    w["pid"] = await ps.create_draft(w["scenario"], actor(w["lead_manager"]))
    await ps.save_proposal(w["pid"], actor(w["lead_manager"]), {"summary": "原来的摘要"})
    return w


async def _stored(pid: int) -> dict:
    return await Proposal.select().where(Proposal.id == pid).first()


CASES = {
    "summary": lambda w: ({"summary": "摘要\x00尾巴"}, "summary"),
    "approach-only-nul": lambda w: ({"approach": "\x00"}, "approach"),
    "team-escape": lambda w: ({"team": "项目经理\x1b[31m"}, "team"),
    "capability-answer": lambda w: (
        {"capability_answers": {str(w["asr"]): "自研\x00引擎"}},
        f"capability_{w['asr']}",
    ),
    "milestone": lambda w: (
        {"timeline": [{"title": "调研\x00", "due": "2027-01-15", "deliverable": "报告"}]},
        "timeline",
    ),
}


@pytest.mark.parametrize("case", CASES)
async def test_service_refuses_control_characters_and_stores_nothing(w, case):
    changes, field = CASES[case](w)
    before, events = await _stored(w["pid"]), await AuditEvent.count()
    with pytest.raises(ValidationFailed) as exc:
        await ps.save_proposal(w["pid"], actor(w["lead_manager"]), changes)
    assert "控制字符" in exc.value.errors[field]
    assert await _stored(w["pid"]) == before and await AuditEvent.count() == events


async def test_consortium_role_with_a_nul_is_refused(w):
    with pytest.raises(ValidationFailed) as exc:
        await pc.invite_member(w["pid"], actor(w["lead_manager"]), w["sme"], "数据\x00治理", 30)
    assert "控制字符" in exc.value.errors["role"]
    assert await ProposalMember.count().where(ProposalMember.proposal == w["pid"]) == 1


async def test_api_refuses_a_nul_with_the_field_named(client, w):
    auth = await bearer(w["lead_manager"])
    before = await _stored(w["pid"])
    r = await client.patch(f"/api/v1/proposals/{w['pid']}", headers=auth, json={"summary": "a\u0000b"})
    assert r.status_code == 400, r.text
    assert "控制字符" in r.json()["errors"]["summary"]
    content = complete_content(w) | {"pilot_plan": "试点\u0000三个月"}
    r = await client.patch(f"/api/v1/proposals/{w['pid']}", headers=auth, json=content)
    assert r.status_code == 400 and set(r.json()["errors"]) == {"pilot_plan"}
    assert await _stored(w["pid"]) == before


async def test_form_refuses_a_nul_next_to_the_field(client, w):
    await sign_in(client, w["lead_manager"])
    token = await csrf_token(client, f"/member/proposals/{w['pid']}/edit")
    before = await _stored(w["pid"])
    r = await client.post(
        f"/member/proposals/{w['pid']}/edit",
        data={"_csrf_token": token, "summary": "新的摘要\x00", "understanding": "理解"},
    )
    assert r.status_code == 400
    assert "控制字符" in r.text and "方案摘要" in r.text
    assert await _stored(w["pid"]) == before


async def test_withdraw_reason_with_a_nul_is_refused(client, w):
    await ps.save_proposal(w["pid"], actor(w["lead_manager"]), complete_content(w))
    await ps.submit_proposal(w["pid"], actor(w["lead_manager"]))
    auth = await bearer(w["lead_manager"])
    r = await client.post(
        f"/api/v1/proposals/{w['pid']}/withdraw", headers=auth, json={"reason": "调整\u0000"}
    )
    assert r.status_code == 400 and "控制字符" in r.json()["errors"]["reason"]
    assert (await _stored(w["pid"]))["status"] == "submitted"
