"""The importer: upsert by key, synonym mapping onto the taxonomy, unmapped words kept as tags,
bad records reported by key while the rest land, and a second run that changes nothing."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

from marketplace.companies.tables import Company, CompanyCapability
from marketplace.core.audit import SYSTEM
from marketplace.core.tables import AuditEvent, Outbox
from marketplace.importing.services import import_catalog
from marketplace.scenarios.tables import Scenario, ScenarioCapability, ScenarioCriterion
from marketplace.taxonomy.tables import Capability

DATA = Path(__file__).parent.parent / "data" / "import_small.json"


def load() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))


async def _snapshot() -> dict:
    return {
        "scenarios": await Scenario.select().order_by(Scenario.id).output(load_json=True),
        "companies": await Company.select().order_by(Company.id).output(load_json=True),
        "company_caps": await CompanyCapability.select().order_by(CompanyCapability.id),
        "scenario_caps": await ScenarioCapability.select().order_by(ScenarioCapability.id),
        "criteria": await ScenarioCriterion.select().order_by(ScenarioCriterion.id),
        "audit": await AuditEvent.count(),
        "outbox": await Outbox.count(),
    }


async def test_bad_records_are_named_and_the_rest_land(db):
    report = await import_catalog(load(), SYSTEM)
    failures = {(f.section, f.key): f.reason for f in report.failures}
    assert set(failures) == {("companies", "co-sense"), ("companies", "co-bad"), ("scenarios", "sc-nodept")}
    assert "校验位" in failures[("companies", "co-sense")]
    assert "giant" in failures[("companies", "co-bad")]
    assert "dept-none" in failures[("scenarios", "sc-nodept")]
    assert await Company.count() == 1
    assert {r["key"] for r in await Scenario.select(Scenario.key)} == {"sc-hotline", "sc-dust"}
    assert report.created == {"departments": 2, "capabilities": 2, "companies": 1, "scenarios": 2}


async def test_synonyms_map_onto_the_taxonomy_and_unknown_words_become_tags(db):
    report = await import_catalog(load(), SYSTEM)
    caps = {r["key"]: r["id"] for r in await Capability.select(Capability.key, Capability.id)}
    voice = await Company.select().where(Company.key == "co-voice").output(load_json=True).first()
    declared = {
        r["capability"]
        for r in await CompanyCapability.select().where(CompanyCapability.company == voice["id"])
    }
    assert declared == {caps["cap-asr"], caps["cap-nlp"]}  # "ASR" and "文本分析" are synonyms
    assert voice["tags"] == ["数字人"]
    hotline = await Scenario.select().where(Scenario.key == "sc-hotline").output(load_json=True).first()
    required = {
        r["capability"]: r["weight"]
        for r in await ScenarioCapability.select().where(ScenarioCapability.scenario == hotline["id"])
    }
    assert required == {caps["cap-asr"]: 50, caps["cap-nlp"]: 50}  # "智能语音", "NLP"
    assert hotline["tags"] == ["区块链存证"]
    assert report.unmapped_words == {"co-voice": ["数字人"], "sc-hotline": ["区块链存证"]}


async def test_mapping_ignores_case_width_and_spaces(db):
    data = load()
    data["companies"] = [{"key": "co-x", "name": "宽度测试公司", "capabilities": [" ａｓｒ ", "nlp"]}]
    data["scenarios"] = []
    await import_catalog(data, SYSTEM)
    assert await CompanyCapability.count() == 2


async def test_second_run_changes_nothing(db):
    await import_catalog(load(), SYSTEM)
    before = await _snapshot()
    report = await import_catalog(load(), SYSTEM)
    assert sum(report.created.values()) == 0 and sum(report.updated.values()) == 0
    assert report.unchanged == {"departments": 2, "capabilities": 2, "companies": 1, "scenarios": 2}
    assert await _snapshot() == before


async def test_changed_record_updates_in_place(db):
    await import_catalog(load(), SYSTEM)
    data = load()
    data["scenarios"][0]["title"] = "12345热线工单智能分派（第二期）"
    data["scenarios"][0]["required_capabilities"] = ["ASR"]
    report = await import_catalog(data, SYSTEM)
    assert report.updated["scenarios"] == 1 and report.created["scenarios"] == 0
    row = await Scenario.select().where(Scenario.key == "sc-hotline").first()
    assert row["title"].endswith("（第二期）")
    weights = [
        r["weight"] for r in await ScenarioCapability.select().where(ScenarioCapability.scenario == row["id"])
    ]
    assert weights == [100]


async def test_weights_split_evenly_and_default_criteria_add_up(db):
    data = load()
    data["scenarios"][0]["required_capabilities"] = ["ASR", "NLP", "颗粒物传感网络"]
    await import_catalog(data, SYSTEM)
    row = await Scenario.select(Scenario.id).where(Scenario.key == "sc-hotline").first()
    weights = sorted(
        r["weight"] for r in await ScenarioCapability.select().where(ScenarioCapability.scenario == row["id"])
    )
    assert weights == [33, 33, 34]
    criteria = await ScenarioCriterion.select().where(ScenarioCriterion.scenario == row["id"])
    assert sum(c["weight"] for c in criteria) == 100


async def test_criteria_that_do_not_add_up_are_refused(db):
    data = load()
    bad = copy.deepcopy(data["scenarios"][0])
    bad["key"] = "sc-badweights"
    bad["criteria"] = [{"name": "方案", "weight": 50}, {"name": "成本", "weight": 40}]
    data["scenarios"].append(bad)
    report = await import_catalog(data, SYSTEM)
    assert [(f.key, "100" in f.reason) for f in report.failures if f.section == "scenarios"] == [
        ("sc-nodept", False),
        ("sc-badweights", True),
    ]
    assert not await Scenario.exists().where(Scenario.key == "sc-badweights")


async def test_duplicate_keys_and_bad_file_shapes_are_reported(db):
    data = load()
    data["departments"].append(dict(data["departments"][0]))
    data["extra"] = []
    report = await import_catalog(data, SYSTEM)
    reasons = {(f.section, f.key) for f in report.failures}
    assert ("departments", "dept-data") in reasons and ("file", "extra") in reasons
    report = await import_catalog(["not", "an", "object"], SYSTEM)
    assert report.failures[0].section == "file"


async def test_records_are_audited_and_enqueued_for_search(db):
    await import_catalog(load(), SYSTEM)
    actions = {r["action"] for r in await AuditEvent.select(AuditEvent.action)}
    assert {"department.import", "capability.import", "company.import", "scenario.import"} <= actions
    kinds = sorted((r["kind"]) for r in await Outbox.select(Outbox.kind))
    assert kinds.count("company") == 1 and kinds.count("scenario") == 2


def test_cli_import_names_the_bad_record_and_exits_1(tmp_path):
    """The command an operator runs: prints the bad keys, exits 1, and the good records land."""
    import os

    env = dict(os.environ)
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    env["MARKETPLACE_VAR_DIR"] = str(tmp_path)
    exe = Path(sys.executable).with_name("marketplace")
    subprocess.run([exe, "migrate"], env=env, check=True, capture_output=True)
    result = subprocess.run([exe, "import", str(DATA), "--json"], env=env, capture_output=True, text=True)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout[result.stdout.index("{") :])
    assert {f["key"] for f in report["failures"]} == {"co-sense", "co-bad", "sc-nodept"}
    assert report["created"]["scenarios"] == 2
    again = subprocess.run([exe, "import", str(DATA), "--json"], env=env, capture_output=True, text=True)
    report = json.loads(again.stdout[again.stdout.index("{") :])
    assert sum(report["created"].values()) + sum(report["updated"].values()) == 0


async def test_a_record_refused_by_the_database_is_undone_alone_within_its_batch(db):
    """Records share a transaction (batches), each in its own savepoint: a company the database
    refuses (its name is taken) is reported alone, and the records after it in the same batch
    still land (on PostgreSQL a failed statement would otherwise abort the whole batch)."""
    data = load()
    template = next(c for c in data["companies"] if c["key"] == "co-voice")
    companies = []
    for i in range(30):
        record = copy.deepcopy(template) | {"key": f"co-batch-{i}", "name": f"批量企业{i}有限公司"}
        record.pop("credit_code", None)
        companies.append(record)
    companies[13]["name"] = companies[12]["name"]
    data["companies"] = companies

    report = await import_catalog(data, SYSTEM)

    refused = [f for f in report.failures if f.section == "companies"]
    assert [f.key for f in refused] == ["co-batch-13"]
    assert "违反数据库约束" in refused[0].reason
    keys = {r["key"] for r in await Company.select(Company.key)}
    assert keys == {f"co-batch-{i}" for i in range(30)} - {"co-batch-13"}
    assert report.created["companies"] == 29

    again = await import_catalog(data, SYSTEM)  # a second run changes nothing
    assert again.created["companies"] == 0 and again.updated["companies"] == 0
    assert again.unchanged["companies"] == 29


async def test_a_record_refused_after_part_of_it_was_written_leaves_nothing(db):
    """A capability group whose child has children of its own is refused after the group row
    was written: the savepoint takes the group (and its audit event) back."""
    data = {
        "capabilities": [
            {"key": "grp-ok", "name": "好的分组", "children": [{"key": "cap-ok", "name": "好的能力"}]},
            {
                "key": "grp-deep",
                "name": "太深的分组",
                "children": [
                    {"key": "cap-mid", "name": "中间", "children": [{"key": "cap-low", "name": "更下一层"}]}
                ],
            },
            {"key": "grp-after", "name": "之后的分组"},
        ]
    }
    audit_before = await AuditEvent.count()
    report = await import_catalog(data, SYSTEM)
    assert [(f.section, f.key) for f in report.failures] == [("capabilities", "grp-deep")]
    assert {r["key"] for r in await Capability.select(Capability.key)} == {"grp-ok", "cap-ok", "grp-after"}
    assert await AuditEvent.count() == audit_before + 3


async def test_progress_is_reported_per_batch(db):
    data = load()
    calls: list[tuple[str, int, int]] = []
    await import_catalog(
        data, SYSTEM, progress=lambda section, done, total: calls.append((section, done, total))
    )
    assert ("scenarios", len(data["scenarios"]), len(data["scenarios"])) in calls
    assert {c[0] for c in calls} == {"departments", "capabilities", "companies", "scenarios"}
