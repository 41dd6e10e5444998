"""How proposals take part in the scenario lifecycle: handlers of the events scenarios
publishes (``marketplace.scenarios.events``), subscribed by ``marketplace.wiring``. They run in
the scenario use case's transaction."""

from __future__ import annotations

from marketplace.core import events
from marketplace.core.outbox import enqueue
from marketplace.proposals.tables import Proposal, ProposalMember
from marketplace.scenarios.events import ParticipantsWanted, ScenarioAmended

LIVE_STATUSES = ("draft", "submitted")


async def flag_proposals_for_confirmation(event: ScenarioAmended) -> list[int]:
    """Mark the scenario's submitted proposals as needing confirmation; return their ids."""
    rows = await Proposal.select(Proposal.id).where(
        (Proposal.scenario == event.scenario_id) & (Proposal.status == "submitted")
    )
    ids = [r["id"] for r in rows]
    if ids:
        await Proposal.update({Proposal.needs_confirmation: True, Proposal.updated_at: event.at}).where(
            Proposal.id.is_in(ids)
        )
        for pid in ids:
            await enqueue("proposal", pid)
    return ids


async def companies_with_live_proposals(event: ParticipantsWanted) -> set[int]:
    """Companies with a draft or submitted proposal on the scenario, consortium members included."""
    rows = await Proposal.select(Proposal.id, Proposal.company).where(
        (Proposal.scenario == event.scenario_id) & Proposal.status.is_in(list(LIVE_STATUSES))
    )
    companies = {r["company"] for r in rows}
    if rows:
        members = await ProposalMember.select(ProposalMember.company).where(
            ProposalMember.proposal.is_in([r["id"] for r in rows]) & (ProposalMember.status == "accepted")
        )
        companies |= {m["company"] for m in members}
    return companies


def connect() -> None:
    events.subscribe(ScenarioAmended, flag_proposals_for_confirmation)
    events.subscribe(ParticipantsWanted, companies_with_live_proposals)
