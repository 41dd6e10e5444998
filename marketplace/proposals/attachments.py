"""Proposal attachments: PDF, PNG and JPEG only, judged by their content (a renamed executable is
refused whatever its name), at most ``MAX_BYTES`` each, stored in the database (``core.files``) under random names; the
uploaded name is only shown, cleaned of any path.

Only the lead company adds or removes them, while the scenario takes proposals (``Conflict``
after the deadline). They are served only to those who may see the proposal
(``policy.can_see_proposal``: the consortium now, staff by the visibility rules); ``NotFound``
for anyone else. The file is written in the same transaction as its row.
"""

from __future__ import annotations

import hashlib
from typing import Any

from piccolo.columns import Column

from marketplace.core import clock, files
from marketplace.core.audit import Actor, record
from marketplace.core.db import write_transaction
from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.core.outbox import enqueue
from marketplace.proposals.services import lock_for_write, member_of
from marketplace.proposals.tables import Proposal, ProposalAttachment

MAX_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 10
ALLOWED = (files.PDF, files.PNG, files.JPEG)


async def add_attachment(proposal_id: int, actor: Actor, filename: str, content: bytes) -> int:
    """Attach a file to the working copy; returns its id. ``ValidationFailed`` (field
    ``attachment``) for an empty, oversize or not PDF/PNG/JPEG file, or too many files."""
    member = await member_of(actor)
    kind, problem = files.check_upload(content, allowed=ALLOWED, max_bytes=MAX_BYTES)
    if problem:
        raise ValidationFailed(problem, {"attachment": problem})
    assert kind is not None  # check_upload gives the content type when it finds no problem
    name = files.clean_filename(filename, kind)
    async with write_transaction():
        proposal, _ = await lock_for_write(proposal_id, member)
        if (
            await ProposalAttachment.count().where(ProposalAttachment.proposal == proposal_id)
            >= MAX_ATTACHMENTS
        ):
            message = f"每份方案最多 {MAX_ATTACHMENTS} 个附件。"
            raise ValidationFailed(message, {"attachment": message})
        now = clock.now()
        row = ProposalAttachment(
            proposal=proposal_id,
            filename=name,
            stored_name=await files.store_file(content, kind),
            content_type=kind,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            uploaded_by=member.user_id,
            uploaded_at=now,
        )
        await row.save()
        await _touch(proposal, now)
        await record(
            actor,
            "proposal.attach",
            "proposal",
            proposal_id,
            after={"attachment": name, "size": len(content)},
        )
        await enqueue("proposal", proposal_id)
    return row.id


async def _touch(proposal: dict, now) -> None:
    values: dict[Column | str, Any] = {Proposal.updated_at: now}
    await Proposal.update(values).where(Proposal.id == proposal["id"])


async def remove_attachment(proposal_id: int, attachment_id: int, actor: Actor) -> None:
    member = await member_of(actor)
    async with write_transaction():
        proposal, _ = await lock_for_write(proposal_id, member)
        row = (
            await ProposalAttachment.select(ProposalAttachment.filename, ProposalAttachment.stored_name)
            .where((ProposalAttachment.id == attachment_id) & (ProposalAttachment.proposal == proposal_id))
            .first()
        )
        if row is None:
            raise NotFound("附件不存在。")
        await ProposalAttachment.delete().where(ProposalAttachment.id == attachment_id)
        # Earlier versions keep the file's hash; the file itself goes with the working copy.
        await files.delete_file(row["stored_name"])
        await _touch(proposal, clock.now())
        await record(
            actor, "proposal.detach", "proposal", proposal_id, before={"attachment": row["filename"]}
        )
        await enqueue("proposal", proposal_id)


async def list_attachments(proposal_id: int) -> list[dict]:
    return (
        await ProposalAttachment.select(
            ProposalAttachment.id,
            ProposalAttachment.filename,
            ProposalAttachment.content_type,
            ProposalAttachment.size,
            ProposalAttachment.sha256,
            ProposalAttachment.uploaded_at,
        )
        .where(ProposalAttachment.proposal == proposal_id)
        .order_by(ProposalAttachment.id)
    )


async def open_attachment(proposal_id: int, attachment_id: int, reader) -> tuple[bytes, str, str]:
    """(content, display name, content type) if ``reader`` may see the proposal, else ``NotFound``."""
    from marketplace.proposals.policy import can_see_proposal

    if not await can_see_proposal(reader, proposal_id):
        raise NotFound("附件不存在。")
    row = (
        await ProposalAttachment.select(
            ProposalAttachment.filename,
            ProposalAttachment.stored_name,
            ProposalAttachment.content_type,
        )
        .where((ProposalAttachment.id == attachment_id) & (ProposalAttachment.proposal == proposal_id))
        .first()
    )
    if row is None:
        raise NotFound("附件不存在。")
    content = await files.read_file(row["stored_name"])
    if content is None:
        raise NotFound("附件文件缺失。")
    return content, row["filename"], row["content_type"]
