"""Upgrading a site whose attachments were files under ``var/`` (before issue 15):
``marketplace migrate`` copies them into the database, so every host serves them."""

from __future__ import annotations

from pathlib import Path

from tests.ops.conftest import run_cli, run_script

FILES_IN_DB = "2026-12-03T20:30:00:000000"  # the migration that creates stored_file


def _migration_before(migration_id: str) -> str:
    """The newest migration before ``migration_id``: the schema of the version that kept files
    on disk, with every other table as the factories expect it."""
    folder = Path(__file__).parents[2] / "marketplace" / "piccolo_migrations"
    ids = sorted(
        line.split("=", 1)[1].strip().strip("\"'")
        for path in folder.glob("marketplace_*.py")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith(("ID =", "ID: str ="))
    )
    return [i for i in ids if i < migration_id][-1]


BEFORE_FILES_IN_DB = _migration_before(FILES_IN_DB)

OLD_SITE = r"""
import asyncio, json
from piccolo.apps.migrations.commands.forwards import run_forwards
from marketplace.settings import get_settings
from marketplace.scenarios.tables import ScenarioAttachment
from marketplace.proposals.tables import ProposalAttachment
from tests.factories import make_proposal, make_scenario

async def main():
    response = await run_forwards(app_name="marketplace", migration_id=MIGRATION, fake=False)
    assert response.success, response.message
    var = get_settings().var_dir
    scenario = await make_scenario("open", public_status="open")
    proposal = await make_proposal(scenario)
    (var / "attachments").mkdir(parents=True)
    (var / "proposal_attachments").mkdir(parents=True)
    (var / "attachments" / "a1.pdf").write_bytes(b"%PDF-1.4 scenario file %%EOF")
    (var / "proposal_attachments" / "p1.png").write_bytes(b"png bytes")
    await ScenarioAttachment.insert(ScenarioAttachment(scenario=scenario, filename="说明.pdf", stored_name="a1.pdf", size=28, sha256="x"))
    await ProposalAttachment.insert(ProposalAttachment(proposal=proposal, filename="图.png", stored_name="p1.png", content_type="image/png", size=9, sha256="y"))
    await ProposalAttachment.insert(ProposalAttachment(proposal=proposal, filename="丢失.pdf", stored_name="gone.pdf", content_type="application/pdf", size=9, sha256="z"))
    print(json.dumps({"ok": True}))

asyncio.run(main())
"""


def test_migrate_copies_the_old_attachment_files_into_the_database(blank_env):
    run_script(f"MIGRATION = {BEFORE_FILES_IN_DB!r}\n" + OLD_SITE, blank_env)
    done = run_cli(["migrate"], blank_env)
    assert "个数据库迁移" in done.stdout
    rows = blank_env.query("SELECT name, content_type, size, content FROM stored_file ORDER BY name")
    assert [(r["name"], r["content_type"], r["size"], bytes(r["content"])) for r in rows] == [
        ("a1.pdf", "application/pdf", 28, b"%PDF-1.4 scenario file %%EOF"),
        ("p1.png", "image/png", 9, b"png bytes"),
    ]  # a row whose file was already missing stays without one (its download says so)
    run_cli(["migrate"], blank_env)  # nothing left to do, nothing copied twice
    assert len(blank_env.query("SELECT name FROM stored_file")) == 2
