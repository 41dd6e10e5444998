"""Reference data in memory (``core.refcache``): read once, never stale after a change.

The taxonomy and the departments are kept in memory by every process; a change made anywhere
(an admin form, another process on another host, SQL by hand, a rolled-back transaction) must
show on the next page, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from marketplace.core.audit import SYSTEM
from marketplace.core.db import write_transaction
from marketplace.departments.services import departments_cache, list_department_refs
from marketplace.taxonomy.services import capability_rows_cache, list_capability_tree, save_capability
from marketplace.taxonomy.tables import Capability
from tests.factories import make_capability, make_department

MARKETPLACE = Path(sys.executable).parent / "marketplace"


@pytest.fixture
async def taxonomy(db):
    group = await make_capability(key="grp-ai", name="人工智能")
    asr = await make_capability(parent=group, key="cap-asr", name="语音识别")
    await make_department(key="dept-data", name="园区大数据管理局")
    return {"group": group, "asr": asr}


async def catalog(client) -> str:
    response = await client.get("/scenarios")
    assert response.status_code == 200
    return response.text


async def test_pages_read_the_taxonomy_once_until_it_changes(taxonomy, client):
    assert "语音识别" in await catalog(client)
    loads = capability_rows_cache.loads
    for _ in range(5):
        assert "语音识别" in await catalog(client)
    assert capability_rows_cache.loads == loads  # five pages, no reload: nothing changed

    await save_capability(
        capability_id=taxonomy["asr"],
        key="cap-asr",
        name="智能语音识别",
        name_en="ASR",
        synonyms="",
        description="",
        parent_id=taxonomy["group"],
        actor=SYSTEM,
    )
    page = await catalog(client)
    assert "智能语音识别" in page  # the admin's change, on the very next page
    assert capability_rows_cache.loads == loads + 1


async def test_a_change_by_sql_by_hand_is_seen_at_once(taxonomy, client):
    assert "语音识别" in await catalog(client)
    # Not through any service: the database's triggers tell the caches.
    await Capability.raw("UPDATE capability SET name = {} WHERE key = {}", "语音转写", "cap-asr")
    assert "语音转写" in await catalog(client)


async def test_a_rolled_back_change_never_reaches_the_cache(taxonomy, client):
    assert "语音识别" in await catalog(client)
    with pytest.raises(RuntimeError):
        async with write_transaction():
            await Capability.update({Capability.name: "未提交的名称"}).where(Capability.id == taxonomy["asr"])
            # Inside the transaction its own change is seen, and not kept for anyone else.
            tree = await list_capability_tree()
            assert tree[0]["children"][0]["name"] == "未提交的名称"
            raise RuntimeError("the use case failed")
    page = await catalog(client)
    assert "语音识别" in page
    assert "未提交的名称" not in page


async def test_another_process_changing_departments_is_seen_by_this_one(taxonomy, client, tmp_path):
    """Another host on the same database: here a ``marketplace import`` in its own process."""
    assert [d.name for d in await list_department_refs()] == ["园区大数据管理局"]
    loads = departments_cache.loads
    await list_department_refs()
    assert departments_cache.loads == loads

    data = tmp_path / "departments.json"
    data.write_text(
        json.dumps({"departments": [{"key": "dept-new", "name": "园区新设部门"}]}, ensure_ascii=False),
        encoding="utf-8",
    )
    subprocess.run(
        [str(MARKETPLACE), "import", str(data)],
        env=os.environ.copy(),  # the same DATABASE_URL as this test
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert "园区新设部门" in [d.name for d in await list_department_refs()]
    assert "园区新设部门" in await catalog(client)


async def test_callers_cannot_change_the_kept_values(taxonomy):
    tree = await list_capability_tree()
    tree[0]["children"].clear()
    tree[0]["name"] = "改掉"
    again = await list_capability_tree()
    assert again[0]["name"] == "人工智能"
    assert [c["name"] for c in again[0]["children"]] == ["语音识别"]
