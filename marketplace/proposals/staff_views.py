"""Staff pages of proposals (HTML): a scenario's proposals, one proposal with its version
history, its attachments, and the CSV export. Read only.

Who sees what is decided by ``policy`` in the queries: staff their own department's
scenarios, admins every department, never drafts, and for a sealed scenario nothing before its
deadline (the list page shows the notice instead; the detail page, the attachment download and
the export answer as if the proposal did not exist, or 409 for the export).
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get
from litestar.exceptions import ValidationException
from litestar.params import PathParameter, QueryParameter
from litestar.response import Response, Template

from marketplace.core.errors import NotFound
from marketplace.proposals import attachments, exports, policy
from marketplace.proposals.services import FIELD_LABELS, required_capabilities
from marketplace.proposals.tables import ProposalVersion
from marketplace.web.errors import path_id_out_of_range
from marketplace.web.forms import file_download
from marketplace.web.guards import requires_staff_or_admin
from marketplace.web.params import MAX_ID

Id = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
PRIVATE_FILE_HEADERS = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
TEXT_SECTIONS = (
    "summary",
    "understanding",
    "approach",
    "data_needs",
    "team",
    "pilot_plan",
    "success_indicators",
)


async def _versions(proposal_id: int) -> list[dict]:
    return (
        await ProposalVersion.select(
            ProposalVersion.version,
            ProposalVersion.submitted_at,
            ProposalVersion.content_hash,
        )
        .where(ProposalVersion.proposal == proposal_id)
        .order_by(ProposalVersion.version, ascending=False)
    )


class StaffProposalController(Controller):
    path = "/staff"
    guards = [requires_staff_or_admin]
    include_in_schema = False
    exception_handlers = {ValidationException: path_id_out_of_range}

    @get("/scenarios/{scenario_id:int}/proposals", name="staff:proposals")
    async def scenario_proposals(self, request: Request, scenario_id: Id) -> Template:
        scenario = await policy.get_scenario_for_proposals(request.user, scenario_id)
        rows = (
            []
            if scenario["sealed_now"]
            else await policy.all_visible_proposals(request.user, scenario_id=scenario_id)
        )
        return Template(
            "staff/proposals.html",
            context={
                "scenario": scenario,
                "proposals": rows,
                "labels": exports.STAFF_STATUS_LABELS,
                "sealed_notice": policy.SEALED_NOTICE,
            },
        )

    @get("/scenarios/{scenario_id:int}/proposals.csv", name="staff:proposals:csv")
    async def export(self, request: Request, scenario_id: Id) -> Response:
        filename, body = await exports.export_scenario_proposals(request.user, scenario_id)
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={**PRIVATE_FILE_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'},
        )

    @get("/proposals/{proposal_id:int}", name="staff:proposals:detail")
    async def proposal(
        self,
        request: Request,
        proposal_id: Id,
        version: Annotated[int | None, QueryParameter(ge=1, le=10_000)] = None,
    ) -> Template:
        proposal = await policy.get_visible_proposal(request.user, proposal_id)
        versions = await _versions(proposal_id)
        shown = versions[0]["version"] if versions and version is None else version
        content = None
        if shown is not None:
            row = (
                await ProposalVersion.select(ProposalVersion.content)
                .where((ProposalVersion.proposal == proposal_id) & (ProposalVersion.version == shown))
                .first()
                .output(load_json=True)
            )
            if row is None:
                raise NotFound("该版本不存在。")
            content = row["content"]
        files = {a["sha256"]: a for a in await attachments.list_attachments(proposal_id)}
        capabilities = {
            str(c["capability"]): c["capability.name"]
            for c in await required_capabilities(proposal["scenario"])
        }
        return Template(
            "staff/proposal.html",
            context={
                "p": proposal,
                "versions": versions,
                "shown": shown,
                "latest": versions[0]["version"] if versions else None,
                "content": content,
                "files": files,
                "capability_names": capabilities,
                "labels": exports.STAFF_STATUS_LABELS,
                "field_labels": FIELD_LABELS,
                "text_sections": TEXT_SECTIONS,
            },
        )

    @get("/proposals/{proposal_id:int}/attachments/{attachment_id:int}", name="staff:proposals:attachment")
    async def attachment(self, request: Request, proposal_id: Id, attachment_id: Id) -> Response[bytes]:
        content, filename, content_type = await attachments.open_attachment(
            proposal_id, attachment_id, request.user
        )
        return file_download(content, filename, content_type, PRIVATE_FILE_HEADERS)
