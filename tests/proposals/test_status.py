"""The proposal lifecycle: every allowed and every refused move, and the one writer refusing a
move without writing anything."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from marketplace.core import clock
from marketplace.core.db import write_transaction
from marketplace.core.errors import Conflict
from marketplace.core.tables import Outbox
from marketplace.proposals import services as ps
from marketplace.proposals.status import PROPOSAL_STATUSES, STAFF_STATUS_LABELS, STATUS_LABELS, can_transition
from marketplace.proposals.tables import Proposal
from tests.factories import make_proposal

ALLOWED = {
    ("draft", "submitted"),
    ("submitted", "submitted"),  # re-submission: a new version
    ("submitted", "withdrawn"),
    ("submitted", "under_review"),
    ("withdrawn", "submitted"),
    ("under_review", "selected"),
    ("under_review", "not_selected"),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(PROPOSAL_STATUSES, repeat=2)))
def test_the_transition_table(current, target):
    assert can_transition(current, target) == ((current, target) in ALLOWED)


def test_every_status_has_both_labels_and_nothing_else_does():
    assert set(STATUS_LABELS) == set(STAFF_STATUS_LABELS) == set(PROPOSAL_STATUSES)


async def test_the_writer_moves_the_status_and_queues_the_index(db):
    now = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
    clock.set_now(now)
    pid = await make_proposal(status="submitted")
    async with write_transaction():
        await ps.start_proposal_review([pid], at=now)
    row = await Proposal.select(Proposal.status, Proposal.updated_at).where(Proposal.id == pid).first()
    assert row["status"] == "under_review"
    assert await Outbox.count().where((Outbox.kind == "proposal") & (Outbox.entity_id == pid)) >= 1
    async with write_transaction():
        await ps.publish_proposal_outcome(pid, True, at=now)
    row = await Proposal.select(Proposal.status, Proposal.outcome_published).where(Proposal.id == pid).first()
    assert row == {"status": "selected", "outcome_published": True}


async def test_a_refused_move_writes_nothing(db):
    now = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
    clock.set_now(now)
    draft = await make_proposal(status="draft")
    submitted = await make_proposal(status="submitted")
    with pytest.raises(Conflict):
        async with write_transaction():
            # One of the two may not enter the review: neither does.
            await ps.start_proposal_review([submitted, draft], at=now)
    statuses = {r["id"]: r["status"] for r in await Proposal.select(Proposal.id, Proposal.status)}
    assert statuses == {draft: "draft", submitted: "submitted"}
    with pytest.raises(Conflict):
        async with write_transaction():
            await ps.publish_proposal_outcome(submitted, False, at=now)  # not under review yet
    assert await Proposal.select(Proposal.status).where(Proposal.id == submitted).first() == {
        "status": "submitted"
    }
