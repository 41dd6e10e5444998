"""Search benchmark (``make bench-search``): 100,000 generated scenarios, in one run on one machine.

Measures, and prints as a Markdown table for BENCHMARKS.md:
  * a full ``reindex`` (fresh indexes + swap) of every scenario;
  * Meilisearch's own latency for the exact multi-search request the API sends (p50/p95, round
    trip from Python, plus Meilisearch's reported processing time);
  * the same queries through ``GET /api/v1/scenarios`` on a real ``marketplace serve`` (p50/p95,
    then throughput and latency with 16 concurrent clients);
  * the database fallback's latency (the same API with Meilisearch unreachable).

Everything runs in a temporary folder (SQLite database, managed Meilisearch) that is removed
afterwards. Not a test: nothing asserts, it reports. Usage:
    .venv/bin/python bench/bench_search.py [--scenarios 100000] [--rounds 20] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUERIES = [
    {"q": "通办"},
    {"q": "一网通办"},
    {"q": "数字孪生"},
    {"q": "孪生"},
    {"q": "网格"},
    {"q": "语音识别"},
    {"q": "ASR"},
    {"q": "12345热线"},
    {"q": "城市大脑"},
    {"q": "智能 分拨"},
    {"q": "孪生", "domain": "一网统管"},
    {"q": "通办", "status": "open", "sort": "deadline"},
    {"q": "视频分析", "deadline": "90d"},
    {"domain": "一网协同"},
    {"status": "open", "page": "3"},
]

WORDS = [
    "一网通办",
    "一网统管",
    "一网提优",
    "一网协同",
    "数字孪生",
    "城市大脑",
    "免申即享",
    "12345热线",
    "网格化",
    "跨省通办",
    "智能分拨",
    "视频分析",
    "语音识别",
    "自然语言处理",
    "企业开办",
    "河道监测",
    "交通信号",
    "营商环境",
    "惠企政策",
    "公文流转",
    "数据共享",
    "事件处置",
    "电子证照",
    "物联感知",
    "大模型",
    "知识图谱",
    "客服",
    "审批",
    "预警",
    "监管",
    "养老",
    "社区",
    "园区",
    "工单",
    "巡检",
]
FILLER = "针对当前业务中存在的痛点，部门希望借助数据和技术手段提升效率与服务质量，并在试点中验证效果。"


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def ms(values: list[float]) -> str:
    return f"{pct(values, 0.5) * 1000:.1f} / {pct(values, 0.95) * 1000:.1f}"


# --------------------------------------------------------------------------------------------


async def generate(n: int) -> None:
    from marketplace.core import clock
    from marketplace.core.audit import SYSTEM
    from marketplace.core.db import engine as db_engine
    from marketplace.core.migrations import migrate
    from marketplace.demo.seed import seed_demo
    from marketplace.scenarios.tables import Scenario, ScenarioCapability
    from marketplace.taxonomy.tables import Capability

    await migrate()
    report = await seed_demo()  # departments, taxonomy, companies (and the demo scenarios)
    assert report.ok, report.failures
    departments = [r["department"] for r in await Scenario.select(Scenario.department).distinct()]
    caps = [r["id"] for r in await Capability.select(Capability.id).where(Capability.parent.is_not_null())]
    rng = random.Random(7)
    now = clock.now()
    statuses = ["open"] * 6 + ["closed", "evaluating", "awarded", "completed"]
    domains = ["一网通办", "一网统管", "一网提优", "一网协同"]
    batch = 1000
    db = db_engine()
    for start in range(0, n, batch):
        rows = []
        for i in range(start, min(n, start + batch)):
            words = rng.sample(WORDS, 4)
            status = rng.choice(statuses)
            opened = now - dt.timedelta(days=rng.randint(1, 700), seconds=rng.randint(0, 86400))
            rows.append(
                Scenario(
                    key=f"bench-{i}",
                    title=f"{words[0]}{words[1]}场景{i}",
                    summary=f"{words[2]}与{words[3]}的应用。",
                    description=f"{FILLER}重点是{words[0]}、{words[2]}和{rng.choice(WORDS)}。{FILLER}",
                    expected_outcome=f"{words[1]}效率提升 {rng.randint(10, 60)}%。",
                    domain=rng.choice(domains),
                    department=rng.choice(departments),
                    status="draft",
                    public_status=status,
                    proposal_deadline=opened + dt.timedelta(days=rng.randint(20, 120)),
                    opened_at=opened,
                    budget_min=rng.randint(10, 100) * 10_000,
                    budget_max=rng.randint(100, 300) * 10_000,
                    pilot_months=rng.choice([3, 6, 12]),
                )
            )
        async with db.transaction():
            await Scenario.insert(*rows)
        ids = [
            r["id"]
            for r in await Scenario.select(Scenario.id).where(
                Scenario.key.is_in([f"bench-{i}" for i in range(start, min(n, start + batch))])
            )
        ]
        links = [
            ScenarioCapability(scenario=sid, capability=c, weight=50)
            for sid in ids
            for c in rng.sample(caps, 2)
        ]
        async with db.transaction():
            await ScenarioCapability.insert(*links)
        if (start // batch) % 10 == 9:
            print(f"  generated {start + batch:,} scenarios", flush=True)
    _ = SYSTEM


async def reindex(engine) -> tuple[float, int]:
    from marketplace.search.reindex import rebuild

    started = time.monotonic()
    results = await rebuild(engine, ("scenario",), batch=10_000)
    return time.monotonic() - started, results[0].documents


def raw_meili(engine, rounds: int) -> tuple[list[float], list[float]]:
    """The multi-search request the API sends for each query, straight to Meilisearch."""
    import httpx

    from marketplace.scenarios.params import parse_scenario_filters
    from marketplace.search.queries import scenario_queries

    bodies = [{"queries": scenario_queries(engine, parse_scenario_filters(q))} for q in QUERIES]
    times, processing = [], []
    headers = {"Authorization": f"Bearer {engine.config.master_key}", "Accept-Encoding": "identity"}
    with httpx.Client(base_url=engine.config.url, headers=headers, timeout=10) as client:
        for body in bodies:  # warm-up
            client.post("/multi-search", json=body).raise_for_status()
        for _ in range(rounds):
            for body in bodies:
                t = time.perf_counter()
                result = client.post("/multi-search", json=body).json()
                times.append(time.perf_counter() - t)
                processing.append(sum(r["processingTimeMs"] for r in result["results"]) / 1000)
    return times, processing


def api_sequential(base: str, rounds: int, queries=QUERIES) -> list[float]:
    import httpx

    times = []
    with httpx.Client(base_url=base, headers={"Accept-Encoding": "identity"}, timeout=30) as client:
        for q in queries:
            client.get("/api/v1/scenarios", params=q).raise_for_status()
        for _ in range(rounds):
            for q in queries:
                t = time.perf_counter()
                response = client.get("/api/v1/scenarios", params=q)
                times.append(time.perf_counter() - t)
                response.raise_for_status()
    return times


def api_concurrent(base: str, clients: int, per_client: int) -> tuple[float, list[float]]:
    import httpx

    times: list[float] = []
    lock = threading.Lock()

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        local = []
        with httpx.Client(base_url=base, headers={"Accept-Encoding": "identity"}, timeout=30) as client:
            for _ in range(per_client):
                q = rng.choice(QUERIES)
                t = time.perf_counter()
                client.get("/api/v1/scenarios", params=q).raise_for_status()
                local.append(time.perf_counter() - t)
        with lock:
            times.extend(local)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return len(times) / elapsed, times


def start_server(env: dict, port: int, log: Path) -> subprocess.Popen:
    import urllib.request

    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "marketplace"), "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=open(log, "wb"),  # noqa: SIM115 - the server process keeps the log open
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
                f"http://127.0.0.1:{port}/healthz", timeout=2
            ) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"server did not start; see {log}")


def stop_server(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenarios", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-search-"))
    os.environ.update(
        {
            "MARKETPLACE_VAR_DIR": str(tmp / "var"),
            "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite'}",
            "MARKETPLACE_ENV": "bench",
        }
    )
    for key in ("MEILI_URL", "MEILI_MASTER_KEY", "MEILI_INDEX_PREFIX"):
        os.environ.pop(key, None)
    import piccolo_conf  # noqa: F401
    from marketplace.search.client import SearchEngine
    from marketplace.search.server import ManagedMeilisearch, free_port
    from marketplace.settings import get_settings

    server = None
    procs: list[subprocess.Popen] = []
    try:
        print(f"Generating {args.scenarios:,} scenarios in {tmp} ...", flush=True)
        t = time.monotonic()
        asyncio.run(generate(args.scenarios))
        generate_s = time.monotonic() - t
        server = ManagedMeilisearch.for_var_dir(tmp / "var").start()
        os.environ.update({"MEILI_URL": server.url, "MEILI_MASTER_KEY": server.key})
        get_settings.cache_clear()
        engine = SearchEngine(get_settings().search)
        print("Reindexing ...", flush=True)
        reindex_s, docs = asyncio.run(reindex(engine))
        print(f"  {docs:,} documents in {reindex_s:.1f} s", flush=True)

        print("Meilisearch, the API's own requests ...", flush=True)
        raw, processing = raw_meili(engine, args.rounds)

        port = free_port()
        env = dict(os.environ, PORT=str(port), MEILI_INDEXER="true")
        procs.append(start_server(env, port, tmp / "api.log"))
        base = f"http://127.0.0.1:{port}"
        print("API, sequential ...", flush=True)
        api = api_sequential(base, args.rounds)
        print("API, 16 concurrent clients ...", flush=True)
        throughput, concurrent = api_concurrent(base, 16, max(20, args.rounds * 3))
        stop_server(procs.pop())

        port = free_port()
        env = dict(
            os.environ, PORT=str(port), MEILI_URL=f"http://127.0.0.1:{free_port()}", MEILI_TIMEOUT="0.5"
        )
        procs.append(start_server(env, port, tmp / "fallback.log"))
        print("Database fallback ...", flush=True)
        fallback = api_sequential(f"http://127.0.0.1:{port}", max(2, args.rounds // 10))
        stop_server(procs.pop())

        machine = (
            f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"load average at the end {os.getloadavg()[0]:.1f} (the machine may be shared)"
        )
        raw50, api50 = pct(raw, 0.5), pct(api, 0.5)
        raw95, api95 = pct(raw, 0.95), pct(api, 0.95)
        rows = [
            ("Scenarios generated (SQLite)", f"{docs:,} public, in {generate_s:.0f} s"),
            ("Full reindex (fresh index + swap)", f"{reindex_s:.1f} s (target < 60 s)"),
            ("Meilisearch, the API's multi-search, round trip p50 / p95", f"{ms(raw)} ms"),
            ("Meilisearch processingTimeMs p50 / p95", f"{ms(processing)} ms"),
            ("GET /api/v1/scenarios p50 / p95 (sequential)", f"{ms(api)} ms"),
            (
                "API ÷ Meilisearch",
                f"p50 {api50 / raw50:.2f}x (target ≤ 1.5x), p95 {api95 / raw95:.2f}x (target ≤ 2x)",
            ),
            ("API, 16 concurrent clients", f"{throughput:.0f} requests/s, p50 / p95 {ms(concurrent)} ms"),
            ("Database fallback p50 / p95", f"{ms(fallback)} ms"),
        ]
        print()
        print(f"Machine: {machine}. Queries: {len(QUERIES)} kinds × {args.rounds} rounds.")
        print("| measure | result |\n| --- | --- |")
        for name, value in rows:
            print(f"| {name} | {value} |")
        (tmp / "results.json").write_text(
            json.dumps(
                {
                    "reindex_s": reindex_s,
                    "docs": docs,
                    "raw_ms": [x * 1000 for x in raw],
                    "api_ms": [x * 1000 for x in api],
                    "concurrent_rps": throughput,
                    "fallback_ms": [x * 1000 for x in fallback],
                }
            )
        )
    finally:
        for proc in procs:
            stop_server(proc)
        if server is not None:
            server.stop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"kept {tmp}")


if __name__ == "__main__":
    main()
