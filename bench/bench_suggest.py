"""Benchmark of the search that forgives pinyin typing (``make bench-suggest``), in process.

Measures, and prints as a Markdown table for BENCHMARKS.md:
  * the pinyin forms each search document now carries (``vocabulary.pinyin_forms`` over a title
    and two capability names): the cost the reindex pays per document;
  * building a suggestion vocabulary (the demo taxonomy and dictionary plus N generated public
    titles, ``suggest.MAX_TITLES`` at most), what a process does after the data changed;
  * ``suggest`` (as-you-type) and ``correct`` ("did you mean") on the queries of the issue:
    p50 / p95 over the rounds.

Pure functions over generated data: no database, no Meilisearch. Not a test: it reports.
Usage:
    .venv/bin/python bench/bench_suggest.py [--titles 5000] [--documents 20000] [--rounds 50]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from marketplace.search.pinyin import spell  # noqa: E402
from marketplace.search.vocabulary import Term, build, correct, dictionary_terms, pinyin_forms, suggest  # noqa: E402

QUERIES = [
    "数字挛生",
    "扬层",
    "shuzi luansheng",
    "yangchen",
    "szls",
    "shuz",
    "数字",
    "一网统办",
    "城市大恼",
    "ASR",
]
PARTS = [
    "数字孪生",
    "扬尘",
    "一网通办",
    "网格",
    "智能",
    "监测",
    "预警",
    "平台",
    "城市",
    "治理",
    "语音",
    "热线",
]
PARTS += ["工地", "河道", "交通", "信号", "企业", "画像", "政策", "数据", "共享", "园区", "建设", "应用"]


def _titles(n: int, rng: random.Random) -> list[str]:
    return ["".join(rng.sample(PARTS, 4)) + f"{i % 97}" for i in range(n)]


def _capabilities() -> list[str]:
    data = json.loads((ROOT / "marketplace/demo/demo_data.json").read_text(encoding="utf-8"))
    words: list[str] = []

    def walk(nodes):
        for node in nodes:
            words.extend([node["name"], *(node.get("synonyms") or [])])
            walk(node.get("children") or [])

    walk(data["capabilities"])
    return words


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--titles", type=int, default=5000)
    parser.add_argument("--documents", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    rng = random.Random(16)
    capabilities = _capabilities()

    docs = _titles(args.documents, rng)
    started = time.perf_counter()
    for title in docs:
        pinyin_forms(title, rng.sample(capabilities, 2))
    per_doc_ms = (time.perf_counter() - started) * 1000 / len(docs)

    terms = [Term(t, "scenario", i) for i, t in enumerate(_titles(args.titles, rng))]
    terms += [Term(w, "capability") for w in capabilities] + list(dictionary_terms())
    spell.cache_clear()
    started = time.perf_counter()
    vocabulary = build(terms)
    build_s = time.perf_counter() - started

    suggest_ms: list[float] = []
    correct_ms: list[float] = []
    for _ in range(args.rounds):
        for q in QUERIES:
            t0 = time.perf_counter()
            suggest(vocabulary, q)
            t1 = time.perf_counter()
            correct(vocabulary, q)
            t2 = time.perf_counter()
            suggest_ms.append((t1 - t0) * 1000)
            correct_ms.append((t2 - t1) * 1000)

    print(
        f"Machine: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, Python {platform.python_version()}"
    )
    print(f"Load average at the end: {os.getloadavg()[0]:.1f}\n")
    print("| measure | result |")
    print("| --- | --- |")
    print(
        f"| pinyin forms of one document (title + 2 capabilities), over {len(docs):,} titles | {per_doc_ms:.3f} ms |"
    )
    print(
        f"| vocabulary of {args.titles:,} titles + taxonomy + dictionary ({len(vocabulary):,} words), built | {build_s:.2f} s |"
    )
    print(
        f"| `suggest`, {len(QUERIES)} queries x {args.rounds} rounds, p50 / p95 | "
        f"{statistics.median(suggest_ms):.1f} / {_pct(suggest_ms, 0.95):.1f} ms |"
    )
    print(
        f"| `correct`, same queries, p50 / p95 | "
        f"{statistics.median(correct_ms):.1f} / {_pct(correct_ms, 0.95):.1f} ms |"
    )


if __name__ == "__main__":
    main()
