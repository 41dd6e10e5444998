"""The ``matches`` and ``eval-matching`` commands, run as an operator would (subprocesses with
their own temporary DATABASE_URL), and the quality targets on the labelled set."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.matching.test_services import CATALOG

ROOT = Path(__file__).resolve().parents[2]
LABELLED = ROOT / "tests" / "data" / "matching_eval.json"


def run(args, env, check=True):
    proc = subprocess.run(
        [sys.executable, "-m", "marketplace.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def operator_env(tmp_path_factory):
    """A throwaway operator database with the small catalog imported."""
    tmp = tmp_path_factory.mktemp("matching-cli")
    env = dict(os.environ)
    env.pop("TEST_DATABASE_URL", None)
    env.update(
        DATABASE_URL=f"sqlite:///{tmp / 'operator.sqlite'}",
        MARKETPLACE_VAR_DIR=str(tmp / "var"),
        MARKETPLACE_ENV="test",
    )
    catalog = tmp / "catalog.json"
    catalog.write_text(json.dumps(CATALOG, ensure_ascii=False), encoding="utf-8")
    run(["migrate"], env)
    run(["import", str(catalog)], env)
    return env


def test_matches_json(operator_env):
    out = run(["matches", "--scenario", "sc-hotline", "--json"], operator_env).stdout
    rows = json.loads(out)
    assert rows[0]["company_key"] == "co-voice"
    for row in rows:
        assert {"company_key", "company_id", "score", "explanation"} <= set(row)
        assert isinstance(row["company_id"], int) and isinstance(row["explanation"], str)
    scores = [r["score"] for r in rows]
    assert scores == sorted(scores, reverse=True)
    assert "co-pending" not in [r["company_key"] for r in rows]


def test_matches_by_numeric_id_with_limit(operator_env):
    first = json.loads(run(["matches", "--scenario", "sc-hotline", "--json"], operator_env).stdout)
    # sc-hotline is the first scenario of a fresh import, so its id is 1
    by_id = json.loads(run(["matches", "--scenario", "1", "--limit", "2", "--json"], operator_env).stdout)
    assert [r["company_key"] for r in by_id] == [r["company_key"] for r in first[:2]]


def test_matches_with_consortium(operator_env):
    """No company covers more than one of sc-dust's three needs: the team of three is
    suggested; the companies listed all reach the threshold, and --all adds those below it."""
    from marketplace.matching.fit import RECOMMEND_AT

    out = json.loads(run(["matches", "--scenario", "sc-dust", "--json", "--consortium"], operator_env).stdout)
    assert out["consortium"]["min_size"] == 3 and out["consortium"]["needed"]
    assert all(row["score"] >= RECOMMEND_AT and row["band"] for row in out["matches"])
    everyone = json.loads(run(["matches", "--scenario", "sc-dust", "--json", "--all"], operator_env).stdout)
    below = [row for row in everyone if row["score"] < RECOMMEND_AT]
    assert below and all(row["band"] is None for row in below)
    assert len(everyone) == len(out["matches"]) + len(below)


def test_matches_table_and_unknown_key(operator_env):
    out = run(["matches", "--scenario", "sc-hotline"], operator_env).stdout
    assert "园声智能科技有限公司" in out and "所需能力覆盖" in out
    bad = run(["matches", "--scenario", "no-such"], operator_env, check=False)
    assert bad.returncode != 0 and "找不到场景" in bad.stderr


def test_eval_matching_meets_the_targets_and_leaves_the_operator_database_alone(tmp_path):
    env = dict(os.environ)
    env.pop("TEST_DATABASE_URL", None)
    operator_db = tmp_path / "operator.sqlite"
    env.update(
        DATABASE_URL=f"sqlite:///{operator_db}",
        MARKETPLACE_VAR_DIR=str(tmp_path / "var"),
        MARKETPLACE_ENV="test",
    )
    result = json.loads(run(["eval-matching", str(LABELLED), "--json"], env).stdout)
    assert not operator_db.exists(), "the evaluation must not create or touch the operator's database"
    assert result["import_problems"] == []
    assert result["judged"] >= 30 and result["companies"] >= 40
    methods = {m["name"]: m for m in result["methods"]}
    full, baseline = methods["full"], methods["baseline"]
    assert full["ndcg5"] >= 0.85
    assert full["recall10_g2"] >= 0.95
    assert full["ndcg5"] >= baseline["ndcg5"] + 0.1  # clearly above the baseline
    assert full["recall10_g1"] > baseline["recall10_g1"]
    # every ablation is reported beside them
    for name in (
        "legacy",
        "no_words",
        "no_generic",
        "no_inferred",
        "no_links",
        "no_context",
        "no_coverage",
        "no_text",
        "no_track",
        "no_dictionary",
        "no_partial_credit",
        "no_evidence",
        "text_only",
        "text_only_no_dictionary",
    ):
        assert methods[name]["ndcg5"] is not None
    # the dictionary is what makes text relevance robust to wording
    assert methods["text_only"]["ndcg5"] > methods["text_only_no_dictionary"]["ndcg5"]
    # the fit threshold keeps every strong match of this set and lists few wrong ones
    assert result["fit"]["grade2_kept"] >= 0.95 and result["fit"]["grade0_shown"] < 0.1


def test_labelled_set_is_well_formed():
    data = json.loads(LABELLED.read_text(encoding="utf-8"))
    companies = {c["key"] for c in data["companies"]}
    scenarios = {s["key"]: s for s in data["scenarios"]}
    assert len(companies) >= 40 and len(data["judgments"]) >= 30
    for key, grades in data["judgments"].items():
        assert scenarios[key]["status"] == "open"
        assert set(grades) <= companies
        assert set(grades.values()) <= {1, 2}
    assert sum(1 for g in data["judgments"].values() if 2 not in g.values()) >= 1  # a consortium case
