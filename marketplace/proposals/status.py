"""The proposal lifecycle: its states, labels and the transition table.

    draft ──submit──> submitted ──withdraw──> withdrawn ──submit──> submitted
                      submitted ──submit (a new version)──> submitted
                      submitted ──start review (after the deadline)──> under_review
                      under_review ──publish the outcome──> selected | not_selected

Shortlisting, pitches and the decision stay internal (``evaluation``'s ``ProposalReview``)
until staff publish the outcome, so the proposal itself goes straight from ``under_review`` to
``selected`` or ``not_selected``: a member page showing "shortlisted" would leak the decision.
``proposals.services.transition_proposals`` is the one writer of ``Proposal.status``.
"""

from __future__ import annotations

PROPOSAL_STATUSES = ("draft", "submitted", "withdrawn", "under_review", "selected", "not_selected")

TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"submitted"}),
    "submitted": frozenset({"submitted", "withdrawn", "under_review"}),
    "withdrawn": frozenset({"submitted"}),
    "under_review": frozenset({"selected", "not_selected"}),
    "selected": frozenset(),
    "not_selected": frozenset(),
}

# What members are told.
STATUS_LABELS = {
    "draft": "草稿",
    "submitted": "已提交",
    "withdrawn": "已撤回",
    "under_review": "评审中",
    "selected": "已入选",
    "not_selected": "未入选",
}
# What staff are told: the same states, in the words of the staff pages and exports.
STAFF_STATUS_LABELS = {
    "draft": "草稿",
    "submitted": "已提交",
    "withdrawn": "已撤回",
    "under_review": "评审中",
    "selected": "已选定",
    "not_selected": "未选定",
}

WRITABLE_STATUSES = ("draft", "submitted", "withdrawn")  # the member may still edit
LIVE_STATUSES = ("draft", "submitted")  # takes part in the call for proposals
RECEIVED_STATUSES = ("submitted", "under_review", "selected", "not_selected")  # counted as received
REVIEWED_STATUSES = ("under_review", "selected", "not_selected")
STAFF_VISIBLE_STATUSES = ("submitted", "withdrawn", "under_review", "selected", "not_selected")


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())
