"""Quality evaluation on a labelled file: nDCG@5 and recall@10, beside the baseline, with ablations.

The labelled file is the import format plus two evaluation-only sections that the evaluation
strips before importing:

- ``"judgments": {"scenario_key": {"company_key": 2 | 1}}`` — 2 = can deliver alone,
  1 = partly relevant; unlisted companies are 0;
- ``"history"`` (optional): ``{"verified": {"company_key": ["capability_key", ...]},
  "awards": [{"scenario": key, "lead": company_key, "members": [company_key, ...]}]}`` —
  association verification and past park awards, which the import format cannot express; awards
  become selected proposals (lead plus accepted members) on scenarios the file marks
  awarded/piloting/completed, so the track-record signal can be measured.

``run_evaluation(path)`` never touches the operator's database: it runs this module in a child
process whose ``DATABASE_URL`` and ``MARKETPLACE_VAR_DIR`` point into a fresh temporary folder,
and the child refuses to start unless its database is inside the folder it was given.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

EVAL_ONLY_SECTIONS = ("judgments", "history")
SANDBOX_ENV = "MARKETPLACE_EVAL_SANDBOX"


# -- metrics (pure) ---------------------------------------------------------------------------


def dcg(grades: list[int]) -> float:
    return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(grades))


def ndcg_at(ranked: list, judgments: dict, k: int = 5) -> float:
    """nDCG@k with gains 2^grade - 1; 1.0 when the ideal list is empty (nothing to find)."""
    ideal = dcg(sorted(judgments.values(), reverse=True)[:k])
    if ideal == 0:
        return 1.0
    return dcg([judgments.get(c, 0) for c in ranked[:k]]) / ideal


def recall_at(ranked: list, relevant: set, k: int = 10) -> float | None:
    """Share of ``relevant`` found in the top k; None when there is nothing relevant."""
    if not relevant:
        return None
    return len(relevant & set(ranked[:k])) / len(relevant)


def summarize(rankings: dict[str, list], judgments: dict[str, dict[str, int]]) -> dict:
    """Macro averages over the judged scenarios of nDCG@5, recall@10 of grade 2 and of 1+."""
    ndcgs, r2, r1 = [], [], []
    for key, judged in judgments.items():
        ranked = rankings.get(key, [])
        ndcgs.append(ndcg_at(ranked, judged, 5))
        a = recall_at(ranked, {c for c, g in judged.items() if g >= 2}, 10)
        b = recall_at(ranked, {c for c, g in judged.items() if g >= 1}, 10)
        if a is not None:
            r2.append(a)
        if b is not None:
            r1.append(b)
    mean = lambda xs: round(float(np.mean(xs)), 4) if xs else None  # noqa: E731
    return {"ndcg5": mean(ndcgs), "recall10_g2": mean(r2), "recall10_g1": mean(r1), "scenarios": len(ndcgs)}


# -- methods ----------------------------------------------------------------------------------


def ablations():
    from marketplace.matching.scoring import MatchConfig

    full = MatchConfig()
    return [
        ("full", "本方法（全部信号）", full),
        ("legacy", "旧引擎（1e71db7：字符二元组+概念词典，相对文本分）", MatchConfig.legacy()),
        ("no_words", "去掉结巴分词（只用字符二元组）", full.with_(words=False)),
        ("no_generic", "去掉通用词过滤（停用词与文档频率）", full.with_(generic=False)),
        ("no_inferred", "去掉从文字推断的能力与需求", full.with_(inferred=False)),
        ("no_links", "去掉语料共现学到的概念关联", full.with_(learned_links=False)),
        ("no_context", "能力覆盖不看文字是否相关", full.with_(context=0.0)),
        ("relative_text", "文本分相对最佳企业（不校准）", full.with_(absolute_text=False)),
        ("no_coverage", "去掉能力覆盖", full.with_(w_coverage=0.0)),
        ("no_text", "去掉文本相关", full.with_(w_text=0.0)),
        ("no_track", "去掉业绩", full.with_(w_track=0.0)),
        ("no_dictionary", "去掉领域概念词典", full.with_(concepts=False)),
        ("no_taxonomy_terms", "去掉分类名称与同义词的文本概念", full.with_(taxonomy_concepts=False)),
        ("no_partial_credit", "去掉分类部分得分（仅同一能力）", full.with_(taxonomy_credit=False)),
        ("no_evidence", "去掉证据加权", full.with_(evidence_weighting=False)),
        ("coverage_only", "仅能力覆盖", full.with_(w_text=0.0, w_track=0.0)),
        ("text_only", "仅文本相关（含概念）", full.with_(w_coverage=0.0, w_track=0.0)),
        (
            "text_only_no_dictionary",
            "仅文本相关，去掉领域概念词典",
            full.with_(w_coverage=0.0, w_track=0.0, concepts=False),
        ),
        (
            "text_only_bigrams",
            "仅文本相关，只用字符二元组（无任何概念）",
            full.with_(w_coverage=0.0, w_track=0.0, concepts=False, taxonomy_concepts=False),
        ),
    ]


def evaluate_data(data, judgments: dict[str, dict[str, int]], *, k: int = 10) -> dict:
    """Every method on already-loaded ``MatchingData``: {"methods": [...]} best first as listed."""
    from marketplace.matching.baseline import BaselineRanker
    from marketplace.matching.scoring import MatchEngine

    # As in the service: only approved members enter the engine and are ranked.
    companies = [c for c in data.companies if data.company_status.get(c.id) == "approved"]
    ranked_mask = np.ones(len(companies), dtype=bool)
    keys = [c.key for c in companies]
    s_pos = {s.key: i for i, s in enumerate(data.scenarios)}
    missing = sorted(k_ for k_ in judgments if k_ not in s_pos)
    judged = {k_: v for k_, v in judgments.items() if k_ in s_pos}
    results = []

    def run(name, label, ranker):
        rankings = {}
        for key in judged:
            order = ranker.rank_companies(s_pos[key], company_mask=ranked_mask, limit=k)
            order = order[0] if isinstance(order, tuple) else order
            rankings[key] = [keys[i] for i in order]
        results.append({"name": name, "label": label, **summarize(rankings, judged), "rankings": rankings})

    fit_report = None
    for name, label, config in ablations():
        engine = MatchEngine(data.taxonomy, companies, data.scenarios, config)
        run(name, label, engine)
        if name == "full":
            fit_report = threshold_report(engine, judged, s_pos, keys)
            run("baseline", "基线：字符二元组 TF-IDF（仅描述）", BaselineRanker(companies, data.scenarios))
    return {
        "methods": results,
        "missing_scenarios": missing,
        "companies": int(ranked_mask.sum()),
        "judged": len(judged),
        "fit": fit_report,
    }


# -- calibration and threshold (pure) ---------------------------------------------------------


def calibrate(totals: np.ndarray, relevant: np.ndarray, *, iterations: int = 100) -> tuple[float, float]:
    """Logistic regression of ``relevant`` (0/1) on the engine total: (slope, midpoint) of
    ``P = 1 / (1 + exp(-slope x (total - midpoint)))``, by Newton's method."""
    x = np.asarray(totals, dtype=np.float64)
    y = np.asarray(relevant, dtype=np.float64)
    a, b = 1.0, 0.0
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-(a * x + b)))
        w = p * (1 - p)
        h = np.array([[np.sum(w * x * x), np.sum(w * x)], [np.sum(w * x), np.sum(w)]]) + 1e-9 * np.eye(2)
        g = np.array([np.sum((y - p) * x), np.sum(y - p)])
        step = np.linalg.solve(h, g)
        a, b = a + step[0], b + step[1]
        if np.abs(step).max() < 1e-10:
            break
    return float(a), float(-b / a) if a else 0.0


def choose_threshold(
    fits: np.ndarray, grades: np.ndarray, *, keep_strong: float = 0.95, keep_partial: float = 0.5
) -> int:
    """The highest whole fit that still keeps ``keep_strong`` of the grade-2 pairs and
    ``keep_partial`` of the grade-1 pairs above it (a partial fit is still worth showing)."""
    fits, grades = np.asarray(fits, dtype=np.float64), np.asarray(grades)

    def floor_keeping(values: np.ndarray, keep: float) -> float:
        if not len(values) or keep <= 0:
            return np.inf
        return float(np.sort(values)[min(int(np.floor((1 - keep) * len(values))), len(values) - 1)])

    at = min(floor_keeping(fits[grades >= 2], keep_strong), floor_keeping(fits[grades == 1], keep_partial))
    return 0 if not np.isfinite(at) else int(np.floor(at))


def threshold_report(engine, judged: dict, s_pos: dict, keys: list) -> dict:
    """How the fit and the recommendation threshold behave on this file: every company of every
    judged scenario (unlisted companies are grade 0)."""
    from marketplace.matching.fit import FIT_MIDPOINT, FIT_SLOPE, RECOMMEND_AT, fits_of

    totals, grades, shown = [], [], []
    for key, judged_one in judged.items():
        total = engine.scenario_signals(s_pos[key]).total
        totals.append(total)
        grades.append(np.array([judged_one.get(k, 0) for k in keys]))
        shown.append(int((np.rint(fits_of(total)) >= RECOMMEND_AT).sum()))
    t, g = np.concatenate(totals), np.concatenate(grades)
    fits = np.rint(fits_of(t))
    above = fits >= RECOMMEND_AT
    slope, midpoint = calibrate(t, g >= 1)
    share = lambda mask: round(float(mask.mean()), 4) if mask.size else None  # noqa: E731
    return {
        "slope": FIT_SLOPE,
        "midpoint": FIT_MIDPOINT,
        "threshold": RECOMMEND_AT,
        "grade2_kept": share(above[g >= 2]),
        "grade1_kept": share(above[g == 1]),
        "grade0_shown": share(above[g == 0]),
        "precision_shown": share(g[above] >= 1),
        "shown_per_scenario": round(float(np.mean(shown)), 2) if shown else 0.0,
        "scenarios_without_recommendation": int(sum(1 for n in shown if n == 0)),
        "fitted_here": {
            "slope": round(slope, 3),
            "midpoint": round(midpoint, 4),
            "threshold": choose_threshold(100 / (1 + np.exp(-slope * (t - midpoint))), g),
        },
    }


# -- the sandboxed run ------------------------------------------------------------------------


async def _apply_history(history: dict) -> list[str]:
    """Verified evidence and past awards from the file's ``history`` (evaluation only)."""
    from marketplace.companies.tables import Company, CompanyCapability
    from marketplace.proposals.tables import Proposal, ProposalMember
    from marketplace.scenarios.tables import Scenario
    from marketplace.taxonomy.tables import Capability

    problems = []
    companies = {r["key"]: r["id"] for r in await Company.select(Company.key, Company.id)}
    caps = {r["key"]: r["id"] for r in await Capability.select(Capability.key, Capability.id)}
    scenarios = {r["key"]: r for r in await Scenario.select(Scenario.key, Scenario.id, Scenario.status)}
    for company_key, cap_keys in (history.get("verified") or {}).items():
        for cap_key in cap_keys:
            if company_key not in companies or cap_key not in caps:
                problems.append(f"verified: 未知的 {company_key}/{cap_key}")
                continue
            await CompanyCapability.update({CompanyCapability.evidence: "verified"}).where(
                (CompanyCapability.company == companies[company_key])
                & (CompanyCapability.capability == caps[cap_key])
            )
    for award in history.get("awards") or []:
        sc = scenarios.get(award.get("scenario"))
        lead = companies.get(award.get("lead"))
        if sc is None or lead is None:
            problems.append(f"awards: 未知的场景或企业 {award}")
            continue
        proposal = Proposal(
            scenario=sc["id"], company=lead, status="selected", outcome_published=True, summary="(评测数据)"
        )
        await proposal.save()
        await ProposalMember.insert(
            ProposalMember(proposal=proposal.id, company=lead, is_lead=True, status="accepted", work_share=50)
        )
        for member in award.get("members") or []:
            if member in companies:
                await ProposalMember.insert(
                    ProposalMember(
                        proposal=proposal.id, company=companies[member], status="accepted", work_share=10
                    )
                )
            else:
                problems.append(f"awards: 未知的企业 {member}")
    return problems


async def _child_main(path: Path) -> dict:
    from marketplace.core.audit import Actor
    from marketplace.core.migrations import migrate
    from marketplace.importing.services import import_catalog
    from marketplace.matching.services import load_matching_data

    raw = json.loads(await asyncio.to_thread(path.read_text, encoding="utf-8"))
    judgments = raw.get("judgments") or {}
    history = raw.get("history") or {}
    data = {k: v for k, v in raw.items() if k not in EVAL_ONLY_SECTIONS}
    await migrate()
    report = await import_catalog(data, Actor(label="eval-matching", role="system"))
    problems = [f"{f.section} {f.key}: {f.reason}" for f in report.failures]
    problems += await _apply_history(history)
    loaded = await load_matching_data()
    result = evaluate_data(loaded, judgments)
    result["import_problems"] = problems
    return result


def run_evaluation(path: Path, *, timeout: float = 600) -> dict:
    """Evaluate the labelled file in a child process on a fresh temporary SQLite database."""
    with tempfile.TemporaryDirectory(prefix="marketplace-eval-") as tmp:
        sandbox = Path(tmp)
        env = dict(os.environ)
        env.pop("TEST_DATABASE_URL", None)
        env.update(
            {
                "DATABASE_URL": f"sqlite:///{sandbox / 'eval.sqlite'}",
                "MARKETPLACE_VAR_DIR": str(sandbox / "var"),
                "MARKETPLACE_ENV": "test",
                SANDBOX_ENV: str(sandbox),
            }
        )
        out = sandbox / "result.json"
        proc = subprocess.run(
            [sys.executable, "-m", "marketplace.matching.evaluate", str(Path(path).resolve()), str(out)],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"evaluation failed:\n{proc.stderr[-4000:]}")
        return json.loads(out.read_text(encoding="utf-8"))


def _main(argv: list[str]) -> int:
    path, out = Path(argv[0]), Path(argv[1])
    sandbox = os.environ.get(SANDBOX_ENV)
    from marketplace.settings import get_settings

    db = get_settings().database
    if (
        not sandbox
        or not db.is_sqlite
        or db.sqlite_path is None
        or Path(sandbox).resolve() not in db.sqlite_path.resolve().parents
    ):
        print("refusing to run: the evaluation database must be inside the sandbox folder", file=sys.stderr)
        return 2
    import piccolo_conf  # noqa: F401  (engine from the sandbox DATABASE_URL)

    result = asyncio.run(_child_main(path))
    out.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
