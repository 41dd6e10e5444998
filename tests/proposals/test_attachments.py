"""Proposal attachments: checked by content, size-limited, stored in the database with random names."""

from __future__ import annotations

import datetime as dt

import pytest

from marketplace.core import clock
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.core.tables import StoredFile
from marketplace.proposals import attachments as pa
from marketplace.proposals import services as ps
from marketplace.proposals.tables import ProposalAttachment
from marketplace.settings import get_settings
from tests.proposals.helpers import actor, proposal_world

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
    b"\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200
PE = b"MZ\x90\x00" + b"\x00" * 200


@pytest.fixture
async def w(db):
    clock.set_now(dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC))
    w = await proposal_world()
    w["pid"] = await ps.create_draft(w["scenario"], actor(w["lead_user"]))
    return w


async def stored() -> list[str]:
    return sorted(r["name"] for r in await StoredFile.select(StoredFile.name))


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("setup.pdf", ELF, "只能上传 PDF、PNG 图片、JPEG 图片 文件"),
        ("report.pdf", PE, "只能上传 PDF、PNG 图片、JPEG 图片 文件"),
        ("photo.png", b"GIF89a" + b"\x00" * 50, "只能上传"),
        ("empty.pdf", b"", "文件是空的。"),
        ("huge.pdf", b"%PDF-" + b"0" * pa.MAX_BYTES, "文件过大：最大 10 MB。"),
    ],
)
async def test_refused_files_store_nothing(w, name, content, message):
    with pytest.raises(ValidationFailed) as exc:
        await pa.add_attachment(w["pid"], actor(w["lead_user"]), name, content)
    assert message in exc.value.errors["attachment"]
    assert await stored() == [] and await ProposalAttachment.count() == 0


async def test_path_traversal_name_is_cleaned_and_nothing_is_written_outside_the_folder(w):
    var = get_settings().var_dir
    before = {p for p in var.rglob("*") if p.is_file()}
    aid = await pa.add_attachment(w["pid"], actor(w["lead_user"]), "../../etc/passwd.pdf", PDF)
    row = await ProposalAttachment.select().where(ProposalAttachment.id == aid).first()
    assert row["filename"] == "passwd.pdf" and row["content_type"] == "application/pdf"
    assert "/" not in row["stored_name"] and row["stored_name"] != "passwd.pdf"
    assert {p for p in var.rglob("*") if p.is_file()} == before  # nothing on this host's disk
    assert await stored() == [row["stored_name"]]
    assert not (var.parent / "etc").exists()


async def test_pdf_and_png_are_accepted_by_content_and_served_to_the_consortium_only(w):
    pdf = await pa.add_attachment(w["pid"], actor(w["lead_user"]), "方案说明", PDF)
    png = await pa.add_attachment(w["pid"], actor(w["lead_user"]), "架构图.jpg", PNG)
    rows = {r["id"]: r for r in await pa.list_attachments(w["pid"])}
    assert rows[pdf]["filename"] == "方案说明.pdf"
    assert (rows[png]["filename"], rows[png]["content_type"]) == ("架构图.jpg.png", "image/png")
    lead = await _user(w["lead_user"])
    content, _name, kind = await pa.open_attachment(w["pid"], png, lead)
    assert content == PNG and kind == "image/png"
    with pytest.raises(NotFound):
        await pa.open_attachment(w["pid"], png, await _user(w["sme_manager"]))


async def test_attachments_lock_at_the_deadline(w):
    clock.set_now(w["deadline"])
    with pytest.raises(Conflict):
        await pa.add_attachment(w["pid"], actor(w["lead_user"]), "late.pdf", PDF)
    assert await stored() == []


async def _user(user_id):
    from marketplace.accounts.credentials import _load_user

    return await _load_user(user_id, "session")
