"""Issue 13: what the schemathesis run over every operation found, one test each (each failed
before its fix)."""

from __future__ import annotations

import datetime as dt

import pytest

from marketplace.companies.tables import Company
from marketplace.core import clock
from marketplace.proposals import services as ps
from marketplace.proposals.tables import Proposal, ProposalMember
from tests.accounts.helpers import bearer
from tests.proposals.helpers import actor, proposal_world


@pytest.fixture
async def w(db):
    clock.set_now(dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC))
    w = await proposal_world()
    w["auth"] = await bearer(w["lead_manager"])
    w["proposal"] = await ps.create_draft(w["scenario"], actor(w["lead_manager"]))
    return w


async def test_a_body_of_the_wrong_json_type_is_refused_not_coerced(client, w):
    url = "/api/v1/me/company/profile"
    r = await client.patch(url, headers=w["auth"], json={"publish_profile": 0, "team_size": "12"})
    assert r.status_code == 400, r.text
    assert set(r.json()["errors"]) == {"publish_profile", "team_size"}  # every field, at once
    assert "true 或 false" in r.json()["errors"]["publish_profile"]
    row = (
        await Company.select(Company.publish_profile, Company.team_size)
        .where(Company.id == w["lead"])
        .first()
    )
    assert row == {"publish_profile": True, "team_size": None}  # nothing stored


async def test_an_integral_json_number_is_an_integer(client, w):
    r = await client.patch(
        f"/api/v1/proposals/{w['proposal']}", headers=w["auth"], json={"cost_estimate": 5.0}
    )
    assert r.status_code == 200, r.text
    assert r.json()["cost_estimate"] == 5


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"summary": "a\x00b"}, "summary"),
        ({"cost_estimate": -1}, "cost_estimate"),
        ({"capability_answers": {"语音": "x"}}, "capability_answers"),
        ({"timeline": [{"title": "t"}] * 31}, "timeline"),
    ],
)
async def test_a_patch_outside_its_documented_schema_is_refused(client, w, body, field):
    r = await client.patch(f"/api/v1/proposals/{w['proposal']}", headers=w["auth"], json=body)
    assert r.status_code == 400, r.text
    assert field in r.json()["errors"]


async def test_invites_answer_404_for_an_unknown_company_and_409_for_a_second_invite(client, w):
    url = f"/api/v1/proposals/{w['proposal']}/members"
    r = await client.post(
        url, headers=w["auth"], json={"company_id": w["pending"], "role": "数据", "work_share": 10}
    )
    assert r.status_code == 404 and "已批准" in r.json()["errors"]["company"]
    r = await client.post(
        url, headers=w["auth"], json={"company_id": w["sme"], "role": "   ", "work_share": 10}
    )
    assert r.status_code == 400 and "空白" in r.json()["errors"]["role"]
    ok = {"company_id": w["sme"], "role": "数据治理", "work_share": 10}
    assert (await client.post(url, headers=w["auth"], json=ok)).status_code == 201
    r = await client.post(url, headers=w["auth"], json=ok)
    assert r.status_code == 409 and "已被邀请" in r.json()["errors"]["company"]
    assert await ProposalMember.count().where(ProposalMember.proposal == w["proposal"]) == 2


async def test_submitting_an_incomplete_draft_is_a_conflict_listing_what_is_missing(client, w):
    r = await client.post(f"/api/v1/proposals/{w['proposal']}/submit", headers=w["auth"])
    assert r.status_code == 409, r.text
    assert {"summary", "timeline", "cost_estimate"} <= set(r.json()["errors"])
    status = await Proposal.select(Proposal.status).where(Proposal.id == w["proposal"]).first()
    assert status["status"] == "draft"


async def test_replacing_capabilities_with_a_group_answers_404(client, w):
    # proposal_world's capabilities have no parent: they are groups, not capabilities to declare.
    body = {"capabilities": [{"capability_id": w["asr"]}]}
    r = await client.put("/api/v1/me/company/capabilities", headers=w["auth"], json=body)
    assert r.status_code == 404, r.text
    assert "capabilities[0].capability" in r.json()["errors"]


async def test_the_token_route_documents_its_lockout(client):
    document = (await client.get("/schema/openapi.json")).json()
    assert "429" in document["paths"]["/api/v1/auth/token"]["post"]["responses"]


async def test_the_document_says_what_bodies_take(client):
    schemas = (await client.get("/schema/openapi.json")).json()["components"]["schemas"]
    assert schemas["ProposalPatch"]["properties"]["cost_estimate"]["minimum"] == 0
    answers = schemas["ProposalPatch"]["properties"]["capability_answers"]["oneOf"][0]
    assert answers["propertyNames"]["pattern"] == "^[0-9]{1,10}$"
    assert schemas["InviteIn"]["properties"]["role"]["maxLength"] == 80
    created = (await client.get("/schema/openapi.json")).json()["paths"][
        "/api/v1/scenarios/{scenario_id}/proposals"
    ]
    assert "updateProposal" in created["post"]["responses"]["201"]["links"]
