"""The scenario status machine as data: which transition is allowed, under which action name.

Pure: no database. ``services.py`` performs the transitions; tests walk this table.
"""

from __future__ import annotations

DOMAINS = ("一网通办", "一网统管", "一网提优", "一网协同")
DOMAIN_LABELS_EN = {
    "一网通办": "Government services",
    "一网统管": "City governance",
    "一网提优": "Economic development",
    "一网协同": "Government operations",
}

STATUSES = (
    "draft",
    "in_review",
    "changes_requested",
    "open",
    "closed",
    "evaluating",
    "shortlisted",
    "awarded",
    "piloting",
    "completed",
    "cancelled",
    "unsuccessful",
)
FINAL_STATUSES = frozenset({"completed", "cancelled", "unsuccessful"})

STATUS_LABELS = {
    "draft": "草稿",
    "in_review": "审核中",
    "changes_requested": "待修改",
    "open": "征集中",
    "closed": "已截止",
    "evaluating": "评审中",
    "shortlisted": "已入围",
    "awarded": "已选定",
    "piloting": "试点中",
    "completed": "已完成",
    "cancelled": "已取消",
    "unsuccessful": "未成交",
}

# What the public sees. Evaluation decisions stay internal ("evaluating") until the result is
# published; drafts and reviews are not public at all.
PUBLIC_STATUSES = (
    "open",
    "closed",
    "evaluating",
    "awarded",
    "piloting",
    "completed",
    "cancelled",
    "unsuccessful",
)

# (from, to) -> action name. Cancellation is allowed from every non-final status (added below).
TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "in_review"): "submit_for_review",
    ("changes_requested", "in_review"): "submit_for_review",
    ("changes_requested", "draft"): "return_to_draft",
    ("in_review", "changes_requested"): "request_changes",
    ("in_review", "open"): "approve",
    ("open", "closed"): "close",
    ("closed", "evaluating"): "start_evaluation",
    ("evaluating", "shortlisted"): "shortlist",
    ("shortlisted", "awarded"): "award",
    ("evaluating", "unsuccessful"): "declare_unsuccessful",
    ("shortlisted", "unsuccessful"): "declare_unsuccessful",
    ("awarded", "piloting"): "start_pilot",
    ("piloting", "completed"): "complete",
}
for _status in STATUSES:
    if _status not in FINAL_STATUSES:
        TRANSITIONS[(_status, "cancelled")] = "cancel"


def allowed_targets(status: str) -> list[str]:
    """Statuses reachable in one step from ``status``, in lifecycle order."""
    return [to for (frm, to) in TRANSITIONS if frm == status]


# Moves that need a reason, written by a person: it is public (cancellation, no partner) or goes to
# the author (changes requested).
REASON_REQUIRED = frozenset({"changes_requested", "cancelled", "unsuccessful"})


def transition_action(current: str, target: str) -> str | None:
    """The action name for ``current -> target``, or None when the machine refuses it."""
    return TRANSITIONS.get((current, target))


def public_status_for(status: str, *, result_published: bool, was_opened: bool) -> str | None:
    """The status shown to the public for an internal ``status`` (None: not public).

    A cancelled scenario that was never opened stays private; awarded, piloting, completed and
    unsuccessful show as "evaluating" until the result is published.
    """
    if status in ("draft", "in_review", "changes_requested"):
        return None
    if status == "cancelled":
        return "cancelled" if was_opened else None
    if status in ("evaluating", "shortlisted"):
        return "evaluating"
    if status in ("awarded", "piloting", "completed", "unsuccessful"):
        return status if result_published else "evaluating"
    return status
