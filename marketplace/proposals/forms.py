"""The proposal form as flat HTML fields, both ways: a submitted form to the ``changes`` dict the
services take, and a proposal row to form values. One answer box per required capability
(``cap_<id>``), milestone rows (``milestone_<title|due|deliverable>_<n>``)."""

from __future__ import annotations

import re

from marketplace.core.money import wan_text
from marketplace.proposals.services import TEXT_FIELDS, MemberProposal

EMPTY_MILESTONE_ROWS = 2
MAX_ROWS = 30
_ROW = re.compile(r"milestone_(title|due|deliverable)_(\d{1,2})$")


def changes_from_form(form: dict[str, str], capability_ids: list[int]) -> dict:
    """Every field of the form (a full save: empty boxes clear their field)."""
    changes: dict = {name: form.get(name, "") for name in TEXT_FIELDS}
    changes["capability_answers"] = {str(c): form.get(f"cap_{c}", "") for c in capability_ids}
    rows: dict[int, dict] = {}
    for key, value in form.items():
        match = _ROW.match(key)
        if match and int(match[2]) < MAX_ROWS:
            rows.setdefault(int(match[2]), {})[match[1]] = value
    changes["timeline"] = [
        {"title": r.get("title", ""), "due": r.get("due", ""), "deliverable": r.get("deliverable", "")}
        for _, r in sorted(rows.items())
    ]
    changes["cost_estimate"] = form.get("cost_estimate", "")  # 万元 as typed: read by the service
    changes["declaration_accepted"] = form.get("declaration_accepted") in ("1", "on", "true")
    changes["disclose_name"] = form.get("disclose_name") in ("1", "on", "true")
    return changes


def form_from_proposal(proposal: MemberProposal) -> dict:
    """Form values of a stored proposal (the working copy)."""
    form = {name: getattr(proposal, name) or "" for name in TEXT_FIELDS}
    for key, text in (proposal.capability_answers or {}).items():
        form[f"cap_{key}"] = text
    for i, milestone in enumerate(proposal.timeline or []):
        for part in ("title", "due", "deliverable"):
            form[f"milestone_{part}_{i}"] = milestone.get(part, "")
    form["cost_estimate"] = wan_text(proposal.cost_estimate)
    form["declaration_accepted"] = "1" if proposal.declaration_accepted else ""
    form["disclose_name"] = "1" if proposal.disclose_name else ""
    return form


def milestone_rows(form: dict, extra: int = 0) -> list[int]:
    """Indexes of the milestone rows to show: the filled ones plus a few (and ``extra``) empty ones."""
    used = sorted(
        {
            int(m[2])
            for key, value in form.items()
            if (m := _ROW.match(key)) and int(m[2]) < MAX_ROWS and (value or "").strip()
        }
    )
    nxt = (used[-1] + 1) if used else 0
    return used + list(range(nxt, min(MAX_ROWS, nxt + EMPTY_MILESTONE_ROWS + extra)))
