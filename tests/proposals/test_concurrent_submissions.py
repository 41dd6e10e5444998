"""Fault test (issue 13): 50 member companies submit their proposals to one open scenario at the
same moment. Runs on SQLite and on PostgreSQL alike.

Every submission must be stored, each exactly once: one ``submitted`` proposal per company, one
version each, one receipt number each, no duplicates, and no "database is locked" (SQLite's
writers queue on ``BEGIN IMMEDIATE``; PostgreSQL locks each proposal row).
"""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from marketplace.core import clock
from marketplace.core.tables import AuditEvent
from marketplace.proposals import services as ps
from marketplace.proposals.tables import Proposal, ProposalVersion
from tests.accounts.helpers import make_user
from tests.factories import make_company
from tests.proposals.helpers import actor, complete_content, proposal_world

MEMBERS = 50


@pytest.fixture
async def world(db):
    clock.set_now(dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC))
    w = await proposal_world()
    drafts: list[tuple[int, int]] = []  # (proposal id, submitting user id)
    for i in range(MEMBERS):
        company = await make_company(name=f"并发提交测试{i:02d}有限公司")
        user = await make_user(f"burst{i}-{w['n']}@example.com", company=company, is_company_manager=True)
        proposal_id = await ps.create_draft(w["scenario"], actor(user))
        await ps.save_proposal(proposal_id, actor(user), complete_content(w))
        drafts.append((proposal_id, user))
    return w, drafts


async def test_fifty_members_submitting_at_the_same_moment_are_all_stored_once(world):
    w, drafts = world

    results = await asyncio.gather(
        *(ps.submit_proposal(pid, actor(user)) for pid, user in drafts), return_exceptions=True
    )

    failures = [r for r in results if isinstance(r, BaseException)]
    assert failures == [], [repr(f) for f in failures]  # no "database is locked", nothing refused
    receipts = [r for r in results if isinstance(r, ps.Receipt)]
    assert sorted(r.proposal_id for r in receipts) == sorted(pid for pid, _ in drafts)
    assert all(r.version == 1 and not r.unchanged for r in receipts)
    assert len({r.number for r in receipts}) == MEMBERS

    ids = [pid for pid, _ in drafts]
    rows = await Proposal.select(
        Proposal.id, Proposal.company, Proposal.status, Proposal.number, Proposal.version
    ).where(Proposal.scenario == w["scenario"])
    assert len(rows) == MEMBERS
    assert {r["id"] for r in rows} == set(ids)
    assert all(r["status"] == "submitted" and r["version"] == 1 for r in rows)
    assert len({r["company"] for r in rows}) == MEMBERS  # one proposal per company
    numbers = [r["number"] for r in rows]
    assert len(set(numbers)) == MEMBERS and all(numbers)
    assert {r["id"]: r["number"] for r in rows} == {r.proposal_id: r.number for r in receipts}

    versions = await ProposalVersion.select(ProposalVersion.proposal, ProposalVersion.version).where(
        ProposalVersion.proposal.is_in(ids)
    )
    assert sorted((v["proposal"], v["version"]) for v in versions) == sorted((pid, 1) for pid in ids)

    submits = await AuditEvent.count().where(AuditEvent.action == "proposal.submit")
    assert submits == MEMBERS
