"""PDF attachments: checked by content and size, stored in the database (every app host serves
them; nothing under the web root or one host's var/), served only to those allowed (everyone once
the scenario is public, before that its department's staff)."""

from __future__ import annotations

import pytest

from marketplace.core import files
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.tables import AuditEvent, StoredFile
from marketplace.scenarios import publishing
from marketplace.scenarios.tables import ScenarioAmendment, ScenarioAttachment
from marketplace.settings import get_settings
from tests.accounts.helpers import csrf_token, sign_in
from tests.scenarios.helpers import complete_input, make_world

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


async def _draft(w) -> int:
    return await publishing.create_scenario_draft(w.actor(w.author), complete_input(w))


async def test_a_pdf_is_stored_in_the_database_not_on_this_hosts_disk(db):
    w = await make_world()
    sid = await _draft(w)
    var = get_settings().var_dir
    before = {p for p in var.rglob("*") if p.is_file()}
    aid = await publishing.add_attachment(sid, w.actor(w.author), "../../河道数据说明.pdf", PDF)
    row = await ScenarioAttachment.select().where(ScenarioAttachment.id == aid).first()
    assert row["filename"] == "河道数据说明.pdf" and row["size"] == len(PDF)
    assert "/" not in row["stored_name"] and "河道" not in row["stored_name"]
    assert await files.read_file(row["stored_name"]) == PDF
    assert {p for p in var.rglob("*") if p.is_file()} == before
    assert await AuditEvent.count().where(AuditEvent.action == "scenario.attach") == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("fake.pdf", b"MZ\x90\x00 this is an executable", "只能上传 PDF 文件（文件内容不是 PDF）。"),
        ("page.pdf", b"<html><script>alert(1)</script></html>", "只能上传 PDF 文件（文件内容不是 PDF）。"),
        ("empty.pdf", b"", "文件是空的。"),
        ("huge.pdf", b"%PDF-" + b"0" * publishing.MAX_ATTACHMENT_BYTES, "文件过大：最大 5 MB。"),
    ],
)
async def test_only_real_pdfs_within_the_limit(db, name, content, message):
    w = await make_world()
    sid = await _draft(w)
    with pytest.raises(ValidationFailed) as info:
        await publishing.add_attachment(sid, w.actor(w.author), name, content)
    assert info.value.errors == {"attachment": message}
    assert await ScenarioAttachment.count() == 0 and await StoredFile.count() == 0


async def test_open_scenarios_get_attachments_only_through_an_amendment(db):
    w = await make_world()
    sid = await _draft(w)
    await publishing.submit_for_review(sid, w.actor(w.author))
    await publishing.approve_scenario_for_publication(sid, w.actor(w.cdo_x))
    with pytest.raises(Conflict):
        await publishing.add_attachment(sid, w.actor(w.author), "补充.pdf", PDF)
    await publishing.amend_scenario(
        sid, w.actor(w.author), complete_input(w), "补充数据字典。", attachment=("数据字典.pdf", PDF)
    )
    assert [r["filename"] for r in await ScenarioAttachment.select(ScenarioAttachment.filename)] == [
        "数据字典.pdf"
    ]
    entry = await ScenarioAmendment.select().output(load_json=True).first()
    assert entry["changes"]["labels"] == ["新增附件《数据字典.pdf》"]
    with pytest.raises(ValidationFailed):  # a bad file fails the whole amendment, nothing kept
        await publishing.amend_scenario(
            sid,
            w.actor(w.author),
            complete_input(w, pilot_months=9),
            "再补一个。",
            attachment=("x.pdf", b"GIF89a"),
        )
    assert await ScenarioAttachment.count() == 1 and await ScenarioAmendment.count() == 1
    assert await StoredFile.count() == 1


async def test_who_may_download(db, client):
    w = await make_world()
    sid = await _draft(w)
    aid = await publishing.add_attachment(sid, w.actor(w.author), "说明.pdf", PDF)
    url = f"/scenarios/{sid}/attachments/{aid}"
    assert (await client.get(url)).status_code == 404  # a draft's file: not for the public
    await sign_in(client, w.member_a)
    assert (await client.get(url)).status_code == 404
    await sign_in(client, w.staff_y)
    assert (await client.get(url)).status_code == 404  # nor for another department
    await sign_in(client, w.colleague)
    response = await client.get(url)
    assert response.status_code == 200 and response.content == PDF
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("attachment")
    await sign_in(client, w.admin)
    assert (await client.get(url)).status_code == 200

    await publishing.submit_for_review(sid, w.actor(w.author))
    await publishing.approve_scenario_for_publication(sid, w.actor(w.cdo_x))
    client.cookies.clear()
    response = await client.get(url)
    assert response.status_code == 200 and response.content == PDF  # public now
    page = (await client.get(f"/scenarios/{sid}")).text
    assert f'href="{url}"' in page and "说明.pdf" in page
    assert (await client.get(f"/scenarios/{sid}/attachments/{aid + 1}")).status_code == 404
    assert (await client.get(f"/scenarios/{sid + 1}/attachments/{aid}")).status_code == 404


async def test_upload_and_delete_through_the_page(db, client):
    w = await make_world()
    sid = await _draft(w)
    await sign_in(client, w.author)
    token = await csrf_token(client, f"/staff/scenarios/{sid}")
    bad = await client.post(
        f"/staff/scenarios/{sid}/attachments",
        data={"_csrf_token": token},
        files={"attachment": ("伪装.pdf", b"PK\x03\x04zip", "application/pdf")},
    )
    assert bad.status_code == 400 and "只能上传 PDF 文件" in bad.text
    assert 'id="f-attachment-error"' in bad.text
    ok = await client.post(
        f"/staff/scenarios/{sid}/attachments",
        data={"_csrf_token": token},
        files={"attachment": ("数据说明.pdf", PDF, "application/octet-stream")},
    )
    assert ok.status_code == 303
    aid = (await ScenarioAttachment.select(ScenarioAttachment.id).first())["id"]
    assert "数据说明.pdf" in (await client.get(f"/staff/scenarios/{sid}")).text
    gone = await client.post(f"/staff/scenarios/{sid}/attachments/{aid}/delete", data={"_csrf_token": token})
    assert gone.status_code == 303
    assert await ScenarioAttachment.count() == 0 and await StoredFile.count() == 0
