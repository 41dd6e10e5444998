"""Benchmark of the open data export (``make bench-ocds``): how long building every OCDS release
of the demo programme takes, in process, with the kept connections the app has.

A fresh SQLite database in a temporary folder gets the migrations and the demo data
(``marketplace seed-demo``, in child processes); then ``opendata.services.export_package`` (what
``GET /api/v1/ocds/package.json``, ``/api/v1/ocds/releases`` and ``marketplace export-ocds``
run) is timed over the rounds: p50 and max. Not a test: it reports.
Usage:
    .venv/bin/python bench/bench_ocds.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-ocds-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite'}",
        "MARKETPLACE_VAR_DIR": str(tmp / "var"),
        "MARKETPLACE_ENV": "test",
    }
    marketplace = Path(sys.executable).parent / "marketplace"
    for command in (["migrate"], ["seed-demo"]):
        subprocess.run([str(marketplace), *command], env=env, check=True, capture_output=True)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    from marketplace.cli import _bootstrap_db, _start_database_pool, _stop_database_pool
    from marketplace.opendata import services

    _bootstrap_db()

    async def run() -> tuple[list[float], dict]:
        await _start_database_pool()
        try:
            package = await services.export_package("http://bench")
            times = []
            for _ in range(args.rounds):
                start = time.perf_counter()
                await services.export_package("http://bench")
                times.append(time.perf_counter() - start)
            return times, package
        finally:
            await _stop_database_pool()

    times, package = asyncio.run(run())
    scenarios = len({r["ocid"] for r in package["releases"]})
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print("| data | releases | p50 | max |")
    print("|---|---|---|---|")
    print(
        f"| demo, {scenarios} public scenarios (SQLite) | {len(package['releases'])} | "
        f"{statistics.median(times) * 1000:.0f} ms | {max(times) * 1000:.0f} ms |"
    )


if __name__ == "__main__":
    main()
