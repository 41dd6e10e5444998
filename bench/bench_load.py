"""Load benchmark (``make bench-load``): the site's pages and API under wrk, beside a minimal page.

For each database asked for (SQLite with one worker, PostgreSQL with two, by default both), in
a temporary folder removed afterwards:
  * a fresh database (SQLite file, or a throwaway cluster from ``scripts/pg-cluster.sh``),
    ``marketplace migrate`` and ``marketplace seed-demo`` (the demo data ``make run`` serves);
  * ``marketplace serve --workers N`` in production mode (templates compiled once, no
    auto-reload), with its managed Meilisearch, and the indexes caught up before measuring;
  * the minimal Litestar page (``bench/minimal``: a Jinja template with a 20-item list) served by
    uvicorn with the same number of workers, measured first and last in the same run; the
    baseline is the mean of the two;
  * wrk (Debian package ``wrk``) on each URL in turn: the public pages, the member home signed in
    (the session cookie of a demo member), the API list and search.

Every figure is printed beside its ratio to the minimal page (requests per second), as a
Markdown table for BENCHMARKS.md. Not a test: nothing asserts, it reports. Usage:
    .venv/bin/python bench/bench_load.py [--databases sqlite,postgres] [--duration 10]
        [--connections 32] [--threads 2]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MARKETPLACE = BIN / "marketplace"
DEMO_PASSWORD = "bench-" + secrets.token_hex(8)
MEMBER = "member@example.com"
QUERY = "数据"


@dataclass
class Result:
    name: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(url: str, timeout: float = 120.0, ready=lambda body: True) -> None:  # type: ignore[no-untyped-def]
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            response = httpx.get(url, timeout=2)
            if response.status_code == 200 and ready(response):
                return
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer in {timeout:.0f} s")


@contextlib.contextmanager
def process(cmd: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    with log.open("w") as out:
        proc = subprocess.Popen(
            cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@contextlib.contextmanager
def database(kind: str, folder: Path) -> Iterator[str | None]:
    """None for SQLite (the default file under MARKETPLACE_VAR_DIR), else a PostgreSQL URL."""
    if kind == "sqlite":
        yield None
        return
    script = ROOT / "scripts" / "pg-cluster.sh"
    folder.chmod(0o755)  # as root the server runs as the postgres user, who must reach its folder
    cluster = folder / "pg"
    url = subprocess.run(
        [str(script), "start", str(cluster), str(free_port())], check=True, capture_output=True, text=True
    ).stdout.strip()
    try:
        yield url
    finally:
        subprocess.run([str(script), "stop", str(cluster)], check=False, capture_output=True)


def run_cli(args: list[str], env: dict[str, str]) -> None:
    subprocess.run([str(MARKETPLACE), *args], env=env, cwd=ROOT, check=True, capture_output=True)


def sign_in(base: str) -> str:
    """The Cookie header of a signed-in demo member (through the login form, like a browser)."""
    import httpx

    with httpx.Client(base_url=base, timeout=10) as client:
        page = client.get("/login")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
        assert token, "no CSRF token on /login"
        response = client.post(
            "/login", data={"email": MEMBER, "password": DEMO_PASSWORD, "_csrf_token": token.group(1)}
        )
        assert response.status_code == 303, (response.status_code, response.text[:300])
        assert client.get("/member").status_code == 200
        return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


def wrk(name: str, url: str, args: argparse.Namespace, headers: list[str] = ()) -> Result:  # type: ignore[assignment]
    cmd = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{args.duration}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    for header in headers:
        cmd += ["-H", header]
    out = subprocess.run([*cmd, url], check=True, capture_output=True, text=True).stdout

    def latency(pct: str) -> float:
        match = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        assert match, out
        value, unit = float(match.group(1)), match.group(2)
        return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(match.group(1))
    if match := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        errors += sum(int(g) for g in match.groups())
    result = Result(name, rps, latency("50"), latency("99"), errors, total)
    print(
        f"  {name}: {rps:.0f} req/s, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, {errors} errors",
        flush=True,
    )
    return result


def measure(kind: str, workers: int, args: argparse.Namespace) -> list[Result]:
    folder = Path(tempfile.mkdtemp(prefix=f"bench-load-{kind}-"))
    try:
        with database(kind, folder) as url:
            env = {k: v for k, v in os.environ.items() if not k.startswith("MEILI_")}
            env.update(
                MARKETPLACE_VAR_DIR=str(folder / "var"),
                MARKETPLACE_DEMO_PASSWORD=DEMO_PASSWORD,
                SECRET_KEY=secrets.token_urlsafe(32),
                MARKETPLACE_ENV="development",
                PYTHONUNBUFFERED="1",
            )
            env.pop("DATABASE_URL", None)
            if url:
                env["DATABASE_URL"] = url
            print(f"\n{kind}: migrate + seed-demo", flush=True)
            run_cli(["migrate"], env)
            run_cli(["seed-demo"], env)
            # Served as in production (no template auto-reload); plain HTTP here, so cookies
            # are not marked Secure (wrk sends them either way).
            serve_env = env | {"MARKETPLACE_ENV": "production", "COOKIE_SECURE": "false"}
            port, minimal_port = free_port(), free_port()
            base = f"http://127.0.0.1:{port}"
            minimal_base = f"http://127.0.0.1:{minimal_port}"
            serve = [str(MARKETPLACE), "serve", "--port", str(port), "--workers", str(workers)]
            minimal = [
                str(BIN / "uvicorn"), "--app-dir", str(ROOT / "bench" / "minimal"), "app:app",
                "--host", "127.0.0.1", "--port", str(minimal_port), "--workers", str(workers),
            ]  # fmt: skip
            with (
                process(serve, serve_env, folder / "serve.log"),
                process(minimal, env, folder / "minimal.log"),
            ):
                wait_until(f"{base}/healthz", ready=lambda r: r.json()["search"].get("pending") == 0)
                wait_until(minimal_base + "/")
                cookie = sign_in(base)
                import httpx

                scenario = httpx.get(f"{base}/api/v1/scenarios?status=open").json()["items"][0]["id"]
                q = urllib.parse.quote(QUERY)
                targets = [
                    ("`/`", "/", []),
                    ("`/scenarios`", "/scenarios", []),
                    (f"`/scenarios?q={QUERY}`", f"/scenarios?q={q}", []),
                    ("`/scenarios/{id}`", f"/scenarios/{scenario}", []),
                    ("`/companies`", "/companies", []),
                    ("`/member` (signed in)", "/member", [f"Cookie: {cookie}"]),
                    ("`GET /api/v1/scenarios`", "/api/v1/scenarios", []),
                    (f"`GET /api/v1/scenarios?q={QUERY}`", f"/api/v1/scenarios?q={q}", []),
                ]
                for _, path, headers in targets:  # warm-up: every worker compiles its templates
                    wrk("warm-up", base + path, argparse.Namespace(**{**vars(args), "duration": 1}), headers)
                print(
                    f"{kind}, {workers} worker(s): wrk -t{args.threads} -c{args.connections} -d{args.duration}s"
                )
                results = [wrk("minimal page (first)", minimal_base + "/", args)]
                results += [wrk(name, base + path, args, headers) for name, path, headers in targets]
                results.append(wrk("minimal page (last)", minimal_base + "/", args))
                return results
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def table(kind: str, workers: int, results: list[Result]) -> str:
    first, last = results[0], results[-1]
    baseline = (first.requests_per_s + last.requests_per_s) / 2
    lines = [
        f"**{kind}, {workers} worker{'s' if workers > 1 else ''}** (minimal page: first {first.requests_per_s:,.0f}, "
        f"last {last.requests_per_s:,.0f} req/s; baseline {baseline:,.0f})",
        "",
        "| URL | req/s | ratio to the minimal page | p50 | p99 | errors / requests |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        name = r.name if r not in (first, last) else f"minimal page ({'first' if r is first else 'last'})"
        lines.append(
            f"| {name} | {r.requests_per_s:,.0f} | {r.requests_per_s / baseline:.2f} | {r.p50_ms:.1f} ms "
            f"| {r.p99_ms:.1f} ms | {r.errors} / {r.requests:,} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--duration", type=int, default=10, help="seconds per URL")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: scripts/system-deps.sh installs it (Debian package wrk)")
    workers = {"sqlite": 1, "postgres": 2}
    for kind in args.databases.split(","):
        results = measure(kind, workers[kind], args)
        load = os.getloadavg()
        print(
            f"\nMachine: {os.cpu_count()} CPUs, {platform.machine()}, Python {platform.python_version()}; "
            f"load average after the run {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}\n"
        )
        print(table(kind, workers[kind], results), flush=True)


if __name__ == "__main__":
    main()
