"""JSON shapes of the proposal API: In (create needs none), Patch (any subset of the content),
Out (a proposal, its consortium, its receipt, its versions)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from marketplace.core.text import FILLED_TEXT_PATTERN, TEXT_PATTERN
from marketplace.proposals.limits import (
    MAX_ANSWER,
    MAX_COST,
    MAX_MILESTONES,
    MAX_REASON,
    MAX_ROLE,
    MAX_SUMMARY,
    MAX_TEXT,
    MILESTONE_LIMITS,
)
from marketplace.web.params import MAX_ID

# Free text as the services accept it: at most so many characters, no control characters.
Text = Annotated[str, Meta(max_length=MAX_TEXT, pattern=TEXT_PATTERN)]
CapabilityKey = Annotated[str, Meta(pattern="^[0-9]{1,10}$")]  # a capability id

# Stored and exchanged in 元; pages show and take 万元 (``core.money``).
Yuan = Annotated[int, Meta(ge=0, le=MAX_COST, description="金额，单位元（整数）；页面上以万元显示和填写。")]


class Milestone(msgspec.Struct, forbid_unknown_fields=True):
    title: Annotated[str, Meta(max_length=MILESTONE_LIMITS["title"], pattern=TEXT_PATTERN)] = ""
    due: Annotated[str, Meta(max_length=MILESTONE_LIMITS["due"], pattern=TEXT_PATTERN)] = ""  # YYYY-MM-DD
    deliverable: Annotated[str, Meta(max_length=MILESTONE_LIMITS["deliverable"], pattern=TEXT_PATTERN)] = ""


class ProposalPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Any subset of the working copy's content; omitted fields keep their value. Drafts are not
    checked for completeness (``POST /submit`` does that), only for types and lengths."""

    summary: Annotated[str, Meta(max_length=MAX_SUMMARY, pattern=TEXT_PATTERN)] | UnsetType = UNSET
    understanding: Text | UnsetType = UNSET
    approach: Text | UnsetType = UNSET
    # {capability id: how it is covered}
    capability_answers: (
        dict[CapabilityKey, Annotated[str, Meta(max_length=MAX_ANSWER, pattern=TEXT_PATTERN)]] | UnsetType
    ) = UNSET
    data_needs: Text | UnsetType = UNSET
    team: Text | UnsetType = UNSET
    timeline: Annotated[list[Milestone], Meta(max_length=MAX_MILESTONES)] | UnsetType = UNSET
    cost_estimate: Yuan | UnsetType | None = UNSET
    pilot_plan: Text | UnsetType = UNSET
    success_indicators: Text | UnsetType = UNSET
    declaration_accepted: bool | UnsetType = UNSET
    disclose_name: bool | UnsetType = UNSET  # may the published ranking name the company

    def changes(self) -> dict:
        values = {f: getattr(self, f) for f in self.__struct_fields__ if getattr(self, f) is not UNSET}
        if "timeline" in values:
            values["timeline"] = [msgspec.structs.asdict(m) for m in values["timeline"]]
        return values


class MemberOut(msgspec.Struct):
    company_id: int
    name: str
    is_sme: bool
    is_lead: bool
    role: str
    work_share: int | None
    status: str  # invited | accepted | declined


class ProposalSummaryOut(msgspec.Struct):
    id: int
    scenario_id: int
    scenario_title: str
    company_id: int
    company_name: str
    status: str
    status_label: str
    number: str | None
    version: int
    content_hash: str
    submitted_at: dt.datetime | None
    needs_confirmation: bool
    members: list[MemberOut]


class ProposalOut(ProposalSummaryOut):
    summary: str = ""
    understanding: str = ""
    approach: str = ""
    capability_answers: dict[str, str] = {}
    data_needs: str = ""
    team: str = ""
    timeline: list[dict] = []
    cost_estimate: Yuan | None = None
    pilot_plan: str = ""
    success_indicators: str = ""
    declaration_accepted: bool = False
    disclose_name: bool = False
    withdrawn_at: dt.datetime | None = None


class ProposalPage(msgspec.Struct):
    items: list[ProposalSummaryOut]
    total: int
    page: int
    page_size: int
    pages: int


class ReceiptOut(msgspec.Struct):
    proposal_id: int
    number: str
    version: int
    submitted_at: dt.datetime
    content_hash: str
    warnings: list[str]
    # True when the content was identical to the submitted version: nothing changed, the
    # receipt is that version's.
    unchanged: bool = False


class VersionOut(msgspec.Struct):
    version: int
    submitted_at: dt.datetime
    content_hash: str


Reason = Annotated[str, Meta(max_length=MAX_REASON, pattern=TEXT_PATTERN)]


class InviteIn(msgspec.Struct, forbid_unknown_fields=True):
    company_id: Annotated[int, Meta(ge=1, le=MAX_ID)]
    role: Annotated[str, Meta(max_length=MAX_ROLE, pattern=FILLED_TEXT_PATTERN)]
    work_share: Annotated[int, Meta(ge=0, le=100)]  # percent


class AnswerIn(msgspec.Struct, forbid_unknown_fields=True):
    accept: bool
    reason: Reason = ""


class AnswerOut(msgspec.Struct):
    proposal_id: int
    status: str  # accepted | declined


class WithdrawIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason = ""
