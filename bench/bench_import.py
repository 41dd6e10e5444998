"""Import benchmark (``make bench-import``): ``marketplace import`` of N generated scenarios, twice.

In a temporary folder removed afterwards: a fresh database (SQLite by default; ``--database
postgres`` uses a throwaway cluster from ``scripts/pg-cluster.sh``), ``marketplace migrate``, then
one import file holding 12 departments, a two-level taxonomy (10 groups × 8 capabilities with
synonyms) and N scenarios (titles and texts of about 160 Chinese characters, two to four
capability words each: names, synonyms, English names and one unknown word in five, so the
mapping and the tags both work). ``marketplace import FILE --json`` runs twice as a child process,
as an operator runs it; the second run must change nothing. Wall-clock time of each, and the
rate. Not a test: it reports. Usage:
    .venv/bin/python bench/bench_import.py [--scenarios 100000] [--database sqlite|postgres]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKETPLACE = Path(sys.executable).parent / "marketplace"
sys.path.insert(0, str(ROOT / "bench"))

from bench_load import database  # noqa: E402  (the throwaway PostgreSQL cluster)

DOMAINS = ["一网通办", "一网统管", "一网提优", "一网协同"]
WORDS = ["数据", "平台", "智能", "协同", "监测", "预警", "服务", "治理", "分析", "调度", "感知", "审批"]
FILLER = "针对当前业务中存在的痛点，部门希望借助数据和技术手段提升效率与服务质量，并在试点中验证效果。"


def catalog(n: int, seed: int = 15) -> dict:
    rng = random.Random(seed)
    departments = [
        {"key": f"dept-{i}", "name": f"园区第{i}部门", "short_name": f"第{i}部"} for i in range(12)
    ]
    capabilities = []
    words: list[str] = []
    for g in range(10):
        children = []
        for c in range(8):
            name, synonym, english = f"能力{g}-{c}", f"同义{g}-{c}", f"CAP{g}X{c}"
            children.append({"key": f"cap-{g}-{c}", "name": name, "name_en": english, "synonyms": [synonym]})
            words += [name, synonym, english]
        capabilities.append({"key": f"grp-{g}", "name": f"能力组{g}", "children": children})
    scenarios = []
    for i in range(n):
        picked = rng.sample(words, rng.randint(2, 4))
        if i % 5 == 0:
            picked.append(f"新词{i % 97}")
        w = rng.sample(WORDS, 3)
        scenarios.append(
            {
                "key": f"sc-{i}",
                "title": f"{w[0]}{w[1]}{w[2]}场景{i}",
                "summary": f"{w[1]}与{w[2]}的应用。",
                "description": f"{FILLER}重点是{w[0]}和{w[2]}。{FILLER}",
                "domain": rng.choice(DOMAINS),
                "department": f"dept-{rng.randrange(12)}",
                "required_capabilities": picked,
                "status": rng.choice(["open"] * 6 + ["closed", "evaluating", "awarded", "completed"]),
                "deadline": f"2027-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                "budget_min": rng.randint(10, 100) * 10_000,
                "budget_max": rng.randint(100, 300) * 10_000,
                "pilot_months": rng.choice([3, 6, 12]),
            }
        )
    return {"departments": departments, "capabilities": capabilities, "scenarios": scenarios}


def run_import(path: Path, env: dict[str, str]) -> tuple[float, dict]:
    started = time.monotonic()
    done = subprocess.run(
        [str(MARKETPLACE), "import", str(path), "--json"], env=env, cwd=ROOT, capture_output=True, text=True
    )
    elapsed = time.monotonic() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"import failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return elapsed, json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=100_000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-import-"))
    try:
        with database(args.database, folder) as url:
            env = {k: v for k, v in os.environ.items() if not k.startswith("MEILI_")}
            env["MARKETPLACE_VAR_DIR"] = str(folder / "var")
            env.pop("DATABASE_URL", None)
            if url:
                env["DATABASE_URL"] = url
            subprocess.run([str(MARKETPLACE), "migrate"], env=env, cwd=ROOT, check=True, capture_output=True)
            path = folder / "catalog.json"
            path.write_text(json.dumps(catalog(args.scenarios), ensure_ascii=False), encoding="utf-8")
            size = path.stat().st_size / 1e6
            print(f"{args.database}: {args.scenarios:,} scenarios, file {size:.0f} MB", flush=True)
            rows = []
            for label in ("first run (creates)", "second run (changes nothing)"):
                elapsed, report = run_import(path, env)
                s = "scenarios"
                counts = (
                    report["created"][s],
                    report["updated"][s],
                    report["unchanged"][s],
                    len(report["failures"]),
                )
                rows.append((label, elapsed, counts))
                print(f"  {label}: {elapsed:.1f} s, created/updated/unchanged/failed {counts}", flush=True)
    finally:
        with contextlib.suppress(Exception):
            shutil.rmtree(folder, ignore_errors=True)
    print(
        f"\nMachine: {os.cpu_count()} CPUs, {platform.machine()}, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f}\n"
    )
    print(
        f"| {args.database}, {args.scenarios:,} scenarios | wall clock | scenarios/s | created / updated / unchanged / failed |"
    )
    print("|---|---|---|---|")
    for label, elapsed, counts in rows:
        print(
            f"| {label} | {elapsed:.1f} s | {args.scenarios / elapsed:,.0f} | {' / '.join(f'{c:,}' for c in counts)} |"
        )


if __name__ == "__main__":
    main()
