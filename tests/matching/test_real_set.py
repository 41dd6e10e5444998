"""The real-text labelled matching set (tests/data/matching_real, described in MATCHING_REAL.md).

What an evaluator relies on: enough scenarios and companies, every entry traceable to a public
source address, at least one strong fit per scenario, a split that is disjoint, complete and
fixed by its recorded rule, evaluation files that are current with the source, and records that
the real import accepts as they are.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from marketplace.core.audit import Actor
from marketplace.importing.services import SECTIONS, import_catalog
from marketplace.matching.evaluate import EVAL_ONLY_SECTIONS
from marketplace.scenarios.tables import Scenario

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    "build_matching_real", ROOT / "scripts" / "build_matching_real.py"
)
assert _spec and _spec.loader
build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build)

MIN_SCENARIOS = 40
MIN_COMPANIES = 60
SOURCE = build.load_source()
HALF_FILES = {half: build.FOLDER / f"{half}.json" for half in build.HALVES}


def half(name: str) -> dict:
    return json.loads(HALF_FILES[name].read_text(encoding="utf-8"))


def test_the_set_is_big_enough_and_keys_are_unique():
    scenarios = [s["key"] for s in SOURCE["scenarios"]]
    companies = [c["key"] for c in SOURCE["companies"]]
    assert len(scenarios) >= MIN_SCENARIOS
    assert len(companies) >= MIN_COMPANIES
    assert len(set(scenarios)) == len(scenarios)
    assert len(set(companies)) == len(companies)
    sizes = {c["size"] for c in SOURCE["companies"]}
    assert sizes == {"large", "sme"}, "a mix of large firms and SMEs"


@pytest.mark.parametrize("section", ["scenarios", "companies"])
def test_every_entry_keeps_its_public_source_address(section):
    for record in SOURCE[section]:
        sources = record.get("sources") or []
        assert sources, f"{record['key']} has no source address"
        for url in sources:
            assert url.startswith(("http://", "https://")), (record["key"], url)


def test_every_scenario_has_a_strong_fit_and_grades_are_0_1_2():
    companies = {c["key"] for c in SOURCE["companies"]}
    for scenario in SOURCE["scenarios"]:
        judged = SOURCE["judgments"].get(scenario["key"], {})
        assert 2 in judged.values(), f"{scenario['key']} has no company graded 2"
        assert set(judged.values()) <= {0, 1, 2}
        assert set(judged) <= companies, f"{scenario['key']} grades an unknown company"
    assert set(SOURCE["judgments"]) <= {s["key"] for s in SOURCE["scenarios"]}


def test_the_split_is_disjoint_complete_even_and_follows_its_recorded_rule():
    keys = [s["key"] for s in SOURCE["scenarios"]]
    recorded = SOURCE["split"]
    tuning, test = recorded["tuning"], recorded["test"]
    assert not set(tuning) & set(test)
    assert sorted(tuning + test) == sorted(keys)
    assert len(tuning) == len(test)
    assert recorded["salt"] == build.SALT
    assert build.split_keys(keys) == {"tuning": tuning, "test": test}


def test_the_evaluation_files_are_current_with_the_source():
    for path, text in build.build().items():
        assert path.read_text(encoding="utf-8") == text, (
            f"run python scripts/build_matching_real.py ({path.name})"
        )


@pytest.mark.parametrize("name", build.HALVES)
def test_each_half_has_the_shape_eval_matching_loads(name):
    data = half(name)
    assert set(data) - set(EVAL_ONLY_SECTIONS) <= set(SECTIONS)
    scenario_keys = [s["key"] for s in data["scenarios"]]
    assert scenario_keys == SOURCE["split"][name]
    assert list(data["judgments"]) == scenario_keys
    company_keys = {c["key"] for c in data["companies"]}
    for judged in data["judgments"].values():
        assert set(judged.values()) <= {1, 2} and 2 in judged.values()
        assert set(judged) <= company_keys
    for record in data["companies"] + data["scenarios"]:
        assert "sources" not in record


@pytest.mark.parametrize("name", build.HALVES)
async def test_each_half_imports_through_the_real_import_without_a_failure(db, name):
    data = {k: v for k, v in half(name).items() if k not in EVAL_ONLY_SECTIONS}
    report = await import_catalog(data, Actor(label="test", role="system"))
    assert report.ok, report.failures[:5]
    assert report.created["companies"] == len(data["companies"])
    assert report.created["scenarios"] == len(data["scenarios"])
    # Every capability a scenario requires is a code of the demo taxonomy: nothing is left over.
    assert not any(key in report.unmapped_words for key in SOURCE["split"][name])
    assert await Scenario.count() == len(data["scenarios"])
