"""JSON shapes of the proposal API: In (create needs none), Patch (any subset of the content),
Out (a proposal, its consortium, its receipt, its versions)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

# Stored and exchanged in 元; pages show and take 万元 (``core.money``).
Yuan = Annotated[int, Meta(description="金额，单位元（整数）；页面上以万元显示和填写。")]


class Milestone(msgspec.Struct, forbid_unknown_fields=True):
    title: str = ""
    due: str = ""  # YYYY-MM-DD
    deliverable: str = ""


class ProposalPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Any subset of the working copy's content; omitted fields keep their value. Drafts are not
    checked for completeness (``POST /submit`` does that), only for types and lengths."""

    summary: str | UnsetType = UNSET
    understanding: str | UnsetType = UNSET
    approach: str | UnsetType = UNSET
    capability_answers: dict[str, str] | UnsetType = UNSET  # {capability id: how it is covered}
    data_needs: str | UnsetType = UNSET
    team: str | UnsetType = UNSET
    timeline: list[Milestone] | UnsetType = UNSET
    cost_estimate: Yuan | UnsetType | None = UNSET
    pilot_plan: str | UnsetType = UNSET
    success_indicators: str | UnsetType = UNSET
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


class InviteIn(msgspec.Struct, forbid_unknown_fields=True):
    company_id: int
    role: str
    work_share: int


class AnswerIn(msgspec.Struct, forbid_unknown_fields=True):
    accept: bool
    reason: str = ""


class AnswerOut(msgspec.Struct):
    proposal_id: int
    status: str  # accepted | declined


class WithdrawIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: str = ""
