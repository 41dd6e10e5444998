"""``marketplace backup DIR`` and ``marketplace restore DIR`` round trip, on the run's database
(SQLite in the SQLite run, PostgreSQL through pg_dump in the PostgreSQL run): a scenario and its
attachment come back after they were changed and deleted, and search finds the scenario again
(the restore rebuilds the indexes)."""

from __future__ import annotations

import base64
import json

from tests.ops.conftest import run_cli, run_script, search_ids

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"

SETUP = r"""
import asyncio, datetime as dt, json
from marketplace.core import clock, files
from marketplace.scenarios.tables import ScenarioAttachment
from tests.factories import make_scenario

async def main():
    sid = await make_scenario(
        "open", public_status="open", title="河道漂浮物智能识别", summary="用视频识别河道漂浮物并自动派单。",
        proposal_deadline=clock.now() + dt.timedelta(days=30), opened_at=clock.now(),
    )
    name = await files.store_file(PDF, files.PDF)
    row = ScenarioAttachment(scenario=sid, filename="数据说明.pdf", stored_name=name, size=len(PDF), sha256="x")
    await row.save()
    print(json.dumps({"scenario": sid, "stored_name": name}))

asyncio.run(main())
"""

DAMAGE = r"""
import asyncio, json
from marketplace.core.tables import StoredFile
from marketplace.scenarios.tables import Scenario, ScenarioAttachment

async def main():
    await ScenarioAttachment.delete(force=True)
    await StoredFile.delete(force=True)
    await Scenario.update({Scenario.title: "已被改动的场景", Scenario.summary: "无"}, force=True)
    print(json.dumps({"ok": True}))

asyncio.run(main())
"""

READ = r"""
import asyncio, base64, json
from marketplace.core import files
from marketplace.scenarios.tables import Scenario, ScenarioAttachment

async def main():
    rows = await Scenario.select(Scenario.id, Scenario.title)
    attachments = await ScenarioAttachment.select(ScenarioAttachment.filename, ScenarioAttachment.stored_name)
    content = {a["filename"]: base64.b64encode(await files.read_file(a["stored_name"]) or b"").decode()
               for a in attachments}
    print(json.dumps({"scenarios": rows, "attachments": content}, ensure_ascii=False))

asyncio.run(main())
"""


def test_backup_and_restore_bring_back_data_attachments_and_search(ops_env, meili, tmp_path):
    world = run_script(f"PDF = {PDF!r}\n" + SETUP, ops_env)
    run_cli(["reindex"], ops_env)
    assert search_ids(meili, ops_env, "河道漂浮物") == [world["scenario"]]

    backup_dir = tmp_path / "backup-1"
    done = run_cli(["backup", str(backup_dir)], ops_env)
    assert "已备份到" in done.stdout
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    engine = "postgres" if ops_env.database_url.startswith("postgres") else "sqlite"
    assert manifest["engine"] == engine and (backup_dir / manifest["file"]).stat().st_size == manifest["size"]
    refused = run_cli(["backup", str(backup_dir)], ops_env, check=False)  # never over an old backup
    assert refused.returncode != 0 and "不是空目录" in refused.stderr

    run_script(DAMAGE, ops_env)
    run_cli(["reindex"], ops_env)
    assert search_ids(meili, ops_env, "河道漂浮物") == []
    assert run_script(READ, ops_env)["attachments"] == {}

    done = run_cli(["restore", str(backup_dir), "--yes"], ops_env)
    assert "已恢复" in done.stdout and "已重建搜索索引" in done.stdout
    after = run_script(READ, ops_env)
    assert after["scenarios"] == [{"id": world["scenario"], "title": "河道漂浮物智能识别"}]

    assert base64.b64decode(after["attachments"]["数据说明.pdf"]) == PDF
    assert search_ids(meili, ops_env, "河道漂浮物") == [world["scenario"]]


def test_restore_refuses_a_damaged_backup_and_leaves_the_database_alone(ops_env, tmp_path):
    world = run_script(f"PDF = {PDF!r}\n" + SETUP, ops_env)
    backup_dir = tmp_path / "backup-2"
    run_cli(["backup", str(backup_dir)], ops_env)
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    copy = backup_dir / manifest["file"]
    copy.write_bytes(copy.read_bytes()[:-10] + b"0123456789")
    refused = run_cli(["restore", str(backup_dir), "--yes"], ops_env, check=False)
    assert refused.returncode != 0 and "已损坏" in refused.stderr
    assert [r["id"] for r in run_script(READ, ops_env)["scenarios"]] == [world["scenario"]]
    missing = run_cli(["restore", str(tmp_path)], ops_env, check=False)
    assert missing.returncode != 0 and "不是 marketplace backup 生成的备份" in missing.stderr
