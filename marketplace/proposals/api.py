"""Proposals over JSON under ``/api/v1``, for member companies that integrate: create a draft,
patch it, submit, withdraw, the consortium (invite, answer), and reads of what the caller may
see (``visibility``: own and consortium proposals for members; staff by department and seal).

Writes need a bearer token (a cookie alone is ignored on API writes, see accounts.middleware):
401 without one, 403 for a user who is not an approved member, 404 for a proposal the caller may
not see, 409 after the deadline (or a second proposal on the same scenario), 400 with ``errors``
(field -> Chinese message) for a body that breaks its schema. Well-formed input that names what
does not exist (inviting an unknown or unapproved company) is a 404, and input the state refuses
(submitting an incomplete draft, inviting a company twice) a 409, both with ``errors``.
"""

from __future__ import annotations

from typing import Annotated, TypeVar

from litestar import Controller, Request, get, patch, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotAuthorizedException, NotFoundException, PermissionDeniedException
from litestar.params import Body, PathParameter, QueryParameter

from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE
from marketplace.proposals import consortium as pc
from marketplace.proposals import policy
from marketplace.proposals import services as ps
from marketplace.proposals.schemas import (
    AnswerIn,
    AnswerOut,
    InviteIn,
    MemberOut,
    ProposalOut,
    ProposalPage,
    ProposalPatch,
    ProposalSummaryOut,
    ReceiptOut,
    VersionOut,
    WithdrawIn,
)
from marketplace.proposals.tables import ProposalVersion
from marketplace.web.api import ApiLink
from marketplace.web.forms import actor_of
from marketplace.web.guards import requires_approved_member, requires_login
from marketplace.web.params import MAX_ID

Id = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="id（1 到 2147483647）。")]
ScenarioQuery = Annotated[int | None, QueryParameter(ge=1, le=MAX_ID, description="只看这个场景的方案。")]
PageQuery = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE, description="页码，从 1 开始。")]
PageSizeQuery = Annotated[
    int, QueryParameter(ge=1, le=MAX_PAGE_SIZE, description=f"每页条数，最多 {MAX_PAGE_SIZE}。")
]
SUBMIT_DESCRIPTION = (
    "校验工作稿并提交：生成新版本与回执编号（重新提交沿用原编号）和内容摘要值；费用高于场景预算上限时 "
    "warnings 给出提示。内容与已提交版本相同则不产生新版本，返回该版本回执并带 unchanged。\n\n"
    "提交要求（工作稿不完整时返回 409，缺少或不符的每一项都在 errors 中列出）：summary、understanding、approach、"
    "data_needs、team、pilot_plan、success_indicators 均不为空；capability_answers 对场景要求的每项能力"
    "都有说明（错误键 capability_<能力 id>）；timeline 至少一个里程碑，每个含 title、due（YYYY-MM-DD）"
    "和 deliverable；cost_estimate（整数，单位元；页面上以万元显示和填写）；declaration_accepted 为 true；联合体邀请均已接受，"
    "各方 work_share 合计 100（错误键 consortium）。"
)
WRITE_RAISES = [ValidationFailed, NotAuthorizedException, PermissionDeniedException, NotFound, Conflict]
READ_RAISES = [ValidationFailed, NotAuthorizedException, NotFoundException]


_ID = {"proposal_id": "$response.body#/id"}
_ON_A_PROPOSAL = (
    "getProposal",
    "updateProposal",
    "submitProposal",
    "withdrawProposal",
    "listProposalVersions",
    "inviteConsortiumMember",
    "answerConsortiumInvitation",
)
# Where a proposal's id (or a scenario's, to create one) comes from, for the operations on it.
LINKS = [
    *(ApiLink("createProposal", target, _ID, status="201") for target in _ON_A_PROPOSAL),
    *(ApiLink("getProposal", target, _ID) for target in _ON_A_PROPOSAL if target != "getProposal"),
    *(ApiLink("updateProposal", target, _ID) for target in ("submitProposal", "inviteConsortiumMember")),
    *(
        ApiLink("submitProposal", target, {"proposal_id": "$response.body#/proposal_id"})
        for target in ("withdrawProposal", "listProposalVersions", "updateProposal")
    ),
    *(
        ApiLink("listProposals", target, {"proposal_id": "$response.body#/items/0/id"})
        for target in _ON_A_PROPOSAL
    ),
    ApiLink("withdrawProposal", "submitProposal", _ID),
    ApiLink("listScenarios", "createProposal", {"scenario_id": "$response.body#/items/0/id"}),
    ApiLink("getScenario", "createProposal", {"scenario_id": "$response.body#/id"}),
]

T = TypeVar("T")
JsonBody = Annotated[T, Body(media_type=RequestEncodingType.JSON)]  # a JSON request body of type T


def _members(row: dict) -> list[MemberOut]:
    return [
        MemberOut(
            company_id=m["company_id"],
            name=m["name"],
            is_sme=m["is_sme"],
            is_lead=m["is_lead"],
            role=m["role"],
            work_share=m["work_share"],
            status=m["status"],
        )
        for m in row.get("members", [])
    ]


def _summary_fields(row: dict) -> dict:
    return {
        "id": row["id"],
        "scenario_id": row["scenario"],
        "scenario_title": row["scenario.title"],
        "company_id": row["company"],
        "company_name": row["company.name"],
        "status": row["status"],
        "status_label": ps.STATUS_LABELS[row["status"]],
        "number": row["number"],
        "version": row["version"],
        "content_hash": row["content_hash"],
        "submitted_at": row["submitted_at"],
        "needs_confirmation": row["needs_confirmation"],
        "members": _members(row),
    }


def proposal_out(row: dict) -> ProposalOut:
    return ProposalOut(
        **_summary_fields(row),
        **{f: row[f] for f in ps.TEXT_FIELDS},
        capability_answers=row["capability_answers"] or {},
        timeline=row["timeline"] or [],
        cost_estimate=row["cost_estimate"],
        declaration_accepted=row["declaration_accepted"],
        disclose_name=row["disclose_name"],
        withdrawn_at=row["withdrawn_at"],
    )


async def _visible(request: Request, proposal_id: int) -> ProposalOut:
    return proposal_out(await policy.get_visible_proposal(request.user, proposal_id))


class ProposalApiController(Controller):
    path = "/api/v1"
    tags = ["proposals"]

    @post(
        "/scenarios/{scenario_id:int}/proposals",
        name="api:proposals:create",
        operation_id="createProposal",
        status_code=201,
        guards=[requires_approved_member],
        raises=WRITE_RAISES,
    )
    async def create(self, request: Request, scenario_id: Id) -> ProposalOut:
        """Create the caller's company's draft on an open scenario (one per company and scenario:
        409 for a second one, and after the deadline). The company leads it with a 100 % share."""
        pid = await ps.create_draft(scenario_id, actor_of(request))
        return await _visible(request, pid)

    @patch(
        "/proposals/{proposal_id:int}",
        name="api:proposals:update",
        operation_id="updateProposal",
        guards=[requires_approved_member],
        raises=WRITE_RAISES,
    )
    async def update(self, request: Request, proposal_id: Id, data: JsonBody[ProposalPatch]) -> ProposalOut:
        """Change any subset of the working copy (an autosave). A submitted proposal stays
        submitted: the last submitted version counts until it is submitted again."""
        await ps.save_proposal(proposal_id, actor_of(request), data.changes())
        return await _visible(request, proposal_id)

    @post(
        "/proposals/{proposal_id:int}/submit",
        name="api:proposals:submit",
        operation_id="submitProposal",
        status_code=200,
        description=SUBMIT_DESCRIPTION,
        guards=[requires_approved_member],
        raises=WRITE_RAISES,
    )
    async def submit(self, request: Request, proposal_id: Id) -> ReceiptOut:
        """Validate everything (409 lists every missing item in ``errors``) and submit: a new
        version, the receipt number (kept on re-submission), the content hash. ``warnings`` says
        when the cost is above the scenario's budget. Submitting content identical to the
        submitted version changes nothing and answers that version's receipt with ``unchanged``.
        What submit requires: ``SUBMIT_DESCRIPTION`` (the OpenAPI description)."""
        r = await ps.submit_proposal(proposal_id, actor_of(request))
        return ReceiptOut(
            proposal_id=r.proposal_id,
            number=r.number,
            version=r.version,
            submitted_at=r.submitted_at,
            content_hash=r.content_hash,
            warnings=list(r.warnings),
            unchanged=r.unchanged,
        )

    @post(
        "/proposals/{proposal_id:int}/withdraw",
        name="api:proposals:withdraw",
        operation_id="withdrawProposal",
        status_code=200,
        guards=[requires_approved_member],
        raises=WRITE_RAISES,
    )
    async def withdraw(
        self, request: Request, proposal_id: Id, data: JsonBody[WithdrawIn | None] = None
    ) -> ProposalOut:
        """Withdraw a submitted proposal before the deadline (it may be submitted again)."""
        await ps.withdraw_proposal(proposal_id, actor_of(request), data.reason if data else "")
        return await _visible(request, proposal_id)

    @get(
        "/proposals",
        name="api:proposals:list",
        operation_id="listProposals",
        guards=[requires_login],
        raises=READ_RAISES,
    )
    async def index(
        self,
        request: Request,
        scenario_id: ScenarioQuery = None,
        page: PageQuery = 1,
        page_size: PageSizeQuery = DEFAULT_PAGE_SIZE,
    ) -> ProposalPage:
        """The proposals the caller may see: members their company's own and consortium
        proposals (drafts included); staff their department's submitted ones (sealed scenarios
        only after the deadline); admins all submitted ones (same seal)."""
        result = await policy.list_visible_proposals(
            request.user, scenario_id=scenario_id, page=page, page_size=page_size
        )
        return ProposalPage(
            items=[ProposalSummaryOut(**_summary_fields(r)) for r in result.items],
            total=result.total,
            page=result.page,
            page_size=result.page_size,
            pages=result.pages,
        )

    @get(
        "/proposals/{proposal_id:int}",
        name="api:proposals:detail",
        operation_id="getProposal",
        guards=[requires_login],
        raises=READ_RAISES,
    )
    async def detail(self, request: Request, proposal_id: Id) -> ProposalOut:
        """One proposal with its consortium; 404 for anyone who may not see it."""
        return await _visible(request, proposal_id)

    @get(
        "/proposals/{proposal_id:int}/versions",
        name="api:proposals:versions",
        operation_id="listProposalVersions",
        guards=[requires_login],
        raises=READ_RAISES,
    )
    async def versions(self, request: Request, proposal_id: Id) -> list[VersionOut]:
        """The submitted versions, newest first (the first one is the version that counts)."""
        if not await policy.can_see_proposal(request.user, proposal_id):
            raise NotFound(policy.NOT_FOUND_MESSAGE)
        rows = (
            await ProposalVersion.select(
                ProposalVersion.version, ProposalVersion.submitted_at, ProposalVersion.content_hash
            )
            .where(ProposalVersion.proposal == proposal_id)
            .order_by(ProposalVersion.version, ascending=False)
        )
        return [VersionOut(**r) for r in rows]

    @post(
        "/proposals/{proposal_id:int}/members",
        name="api:proposals:members:invite",
        operation_id="inviteConsortiumMember",
        status_code=201,
        guards=[requires_approved_member],
        raises=WRITE_RAISES,
    )
    async def invite(self, request: Request, proposal_id: Id, data: JsonBody[InviteIn]) -> ProposalOut:
        """The lead invites an approved member company with a role and work share (percent)."""
        await pc.invite_member(proposal_id, actor_of(request), data.company_id, data.role, data.work_share)
        return await _visible(request, proposal_id)

    @post(
        "/proposals/{proposal_id:int}/invitation",
        name="api:proposals:invitation:answer",
        operation_id="answerConsortiumInvitation",
        status_code=200,
        guards=[requires_approved_member],
        raises=WRITE_RAISES,
    )
    async def answer(self, request: Request, proposal_id: Id, data: JsonBody[AnswerIn]) -> AnswerOut:
        """A manager of the invited company accepts or declines (``reason`` optional). A company
        that declines no longer sees the proposal."""
        await pc.answer_invitation(proposal_id, actor_of(request), data.accept, data.reason)
        return AnswerOut(proposal_id=proposal_id, status="accepted" if data.accept else "declined")
