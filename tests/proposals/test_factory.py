from marketplace.proposals.tables import Proposal, ProposalMember
from tests.factories import make_company, make_proposal


async def test_make_proposal_builds_a_consortium_with_shares_adding_up(db):
    other = await make_company(size="sme")
    pid = await make_proposal(status="submitted", members=[(other, 30, "accepted")])
    row = await Proposal.select().where(Proposal.id == pid).first()
    assert row["status"] == "submitted" and row["number"] and row["version"] == 1
    members = await ProposalMember.select().where(ProposalMember.proposal == pid).order_by(ProposalMember.id)
    assert [m["work_share"] for m in members] == [70, 30]
    assert members[0]["is_lead"] and members[0]["status"] == "accepted"
