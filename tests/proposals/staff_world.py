"""A world for the staff side of proposals: a sealed and an open scenario of department X, one
of department Y, submitted proposals with versions (content and hash from the real
``canonical_content``), a two-company consortium with an SME, a draft, and a PDF attachment
(stored in the database). The clock is frozen; ``deadline`` is the sealed scenario's proposal deadline."""

from __future__ import annotations

import datetime as dt
import hashlib

from marketplace.core import clock, files
from marketplace.proposals.services import canonical_content, content_hash
from marketplace.proposals.tables import Proposal, ProposalAttachment, ProposalVersion
from tests.accounts.helpers import make_user
from tests.factories import make_company, make_department, make_proposal, make_scenario

PDF = b"%PDF-1.4\n% staff world attachment\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
START = dt.datetime(2026, 6, 1, 2, tzinfo=dt.UTC)


async def add_version(proposal_id: int, summary: str) -> int:
    """Changes the working copy's summary and records it as a new submitted version."""
    row = await Proposal.select(Proposal.version).where(Proposal.id == proposal_id).first()
    version = (
        row["version"] + 1
        if await ProposalVersion.exists().where(ProposalVersion.proposal == proposal_id)
        else 1
    )
    await Proposal.update({Proposal.summary: summary}).where(Proposal.id == proposal_id)
    content = await canonical_content(proposal_id)
    digest = content_hash(content)
    await ProposalVersion.insert(
        ProposalVersion(
            proposal=proposal_id,
            version=version,
            content=content,
            content_hash=digest,
            submitted_at=clock.now(),
        )
    )
    await Proposal.update(
        {Proposal.version: version, Proposal.content_hash: digest, Proposal.submitted_at: clock.now()}
    ).where(Proposal.id == proposal_id)
    return version


async def add_attachment_file(proposal_id: int, filename: str = "技术方案.pdf", content: bytes = PDF) -> int:
    stored = await files.store_file(content, files.PDF)
    row = ProposalAttachment(
        proposal=proposal_id,
        filename=filename,
        stored_name=stored,
        content_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    await row.save()
    return row.id


async def make_staff_world() -> dict:
    clock.set_now(START)
    deadline = START + dt.timedelta(days=5)
    w: dict = {"deadline": deadline}
    w["dept_x"] = await make_department(key="dept-x", name="部门X")
    w["dept_y"] = await make_department(key="dept-y", name="部门Y")
    w["lead"] = await make_company(name="金鸡湖数字集团", size="large")
    w["sme"] = await make_company(name="星湖小微科技", size="sme")
    w["solo"] = await make_company(name="独行科技", size="sme")
    w["outsider"] = await make_company(name="局外科技", size="large")
    common = {"public_status": "open", "opened_at": START, "proposal_deadline": deadline}
    w["sealed"] = await make_scenario(
        "open", department=w["dept_x"], title="密封的数据治理场景", sealed=True, **common
    )
    w["open"] = await make_scenario("open", department=w["dept_x"], title="公开征集的热线场景", **common)
    w["other"] = await make_scenario("open", department=w["dept_y"], title="部门Y的场景", **common)
    w["p_sealed"] = await make_proposal(
        w["sealed"],
        w["lead"],
        status="submitted",
        number="SYQ-2026-000101",
        members=[(w["sme"], 40, "accepted")],
        summary="密封方案初稿",
    )
    await make_proposal(w["sealed"], w["outsider"], status="draft", summary="密封场景草稿")
    w["att"] = await add_attachment_file(w["p_sealed"])
    await add_version(w["p_sealed"], "密封方案初稿")
    await add_version(w["p_sealed"], "密封方案终稿：数据治理一体化")
    w["p_open"] = await make_proposal(
        w["open"], w["solo"], status="submitted", number="SYQ-2026-000102", summary="热线工单智能分类方案"
    )
    await add_version(w["p_open"], "热线工单智能分类方案")
    w["p_draft"] = await make_proposal(w["open"], w["lead"], status="draft", summary="热线草稿")
    w["p_other"] = await make_proposal(
        w["other"], w["solo"], status="submitted", number="SYQ-2026-000103", summary="部门Y的方案"
    )
    await add_version(w["p_other"], "部门Y的方案")
    w["users"] = {
        "staff_x": await make_user("x@example.com", role="staff", department=w["dept_x"]),
        "evaluator_x": await make_user(
            "e@example.com", role="staff", department=w["dept_x"], is_evaluator=True
        ),
        "staff_y": await make_user("y@example.com", role="staff", department=w["dept_y"]),
        "admin": await make_user("admin@example.com", role="admin"),
        "lead": await make_user("lead@example.com", company=w["lead"], is_company_manager=True),
        "sme": await make_user("sme@example.com", company=w["sme"]),
        "outsider": await make_user("out@example.com", company=w["outsider"]),
    }
    return w
