"""Several app hosts on one database (issue 15): two real ``marketplace serve`` processes, each
with its own ``MARKETPLACE_VAR_DIR`` (nothing on disk shared), on one database (a PostgreSQL
database on the test cluster in the PostgreSQL run, one SQLite file in the SQLite run) and one
Meilisearch, with the same ``SECRET_KEY``. Host A runs two workers (metrics in multiprocess mode).

A member signs in on host A and uses the session on host B; uploads a file on A (with A's CSRF
token) and downloads it from B. Both hosts run the periodic tasks every 0.3 s, yet each deadline
reminder is written once and mailed once; both hosts' metrics show rounds they ran. The hosts log
JSON lines carrying the request id each response returns.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.ops.conftest import MARKETPLACE, REPO_ROOT, OpsEnv, run_script

STARTUP_TIMEOUT = 90.0
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
    b"\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)

SETUP = r"""
import asyncio, datetime as dt, json
from marketplace.core import clock
from tests.accounts.helpers import PASSWORD, make_user
from tests.factories import make_company, make_proposal, make_scenario

async def main():
    scenario = await make_scenario(
        "open", public_status="open", title="工地扬尘智能监测", opened_at=clock.now(),
        proposal_deadline=clock.now() + dt.timedelta(days=3),  # inside the 7-day reminder window
    )
    out = {"scenario": scenario, "password": PASSWORD, "members": []}
    for n in (1, 2):
        company = await make_company(name=f"第{n}家企业", status="approved")
        email = f"member{n}@example.com"
        await make_user(email, company=company, is_company_manager=True)
        proposal = await make_proposal(scenario, company)
        out["members"].append({"email": email, "proposal": proposal})
    print(json.dumps(out))

asyncio.run(main())
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Host:
    def __init__(self, name: str, env: OpsEnv, base: Path, workers: int) -> None:
        self.name = name
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.var_dir = base / name / "var"
        self.var_dir.mkdir(parents=True)
        self.log_path = base / name / "server.log"
        self.env = {
            **env,
            "MARKETPLACE_VAR_DIR": str(self.var_dir),
            "PORT": str(self.port),
            "MARKETPLACE_TICK_SECONDS": "0.3",
            "LOG_FORMAT": "json",
        }
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [str(MARKETPLACE), "serve", "--workers", str(workers)],
                env=self.env,
                cwd=REPO_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(
                    f"host {self.name} exited with {self.proc.returncode}\n{self.log()}", pytrace=False
                )
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2, trust_env=False).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        pytest.fail(
            f"host {self.name} did not answer within {STARTUP_TIMEOUT:.0f} s\n{self.log()}", pytrace=False
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=15)

    def metric(self, name: str, **labels: str) -> float:
        text = httpx.get(f"{self.url}/metrics", timeout=10, trust_env=False).text
        return sum(
            s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
        )


@pytest.fixture
def hosts(ops_env: OpsEnv, tmp_path: Path) -> Iterator[tuple[Host, Host]]:
    a = b = None
    try:
        a = Host("a", ops_env, tmp_path, workers=2)
        b = Host("b", ops_env, tmp_path, workers=1)
        a.wait_ready()
        b.wait_ready()
        yield a, b
    finally:
        for host in (a, b):
            if host is not None:
                host.stop()


def _csrf(page: httpx.Response) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert match, page.text[:500]
    return match.group(1)


def _reminders(env: OpsEnv) -> list[dict]:
    return env.query(
        'SELECT n."user" AS user_id, n.dedupe_key AS dedupe_key, n.email_status AS email_status '
        "FROM notification n WHERE n.kind = 'deadline_reminder' ORDER BY n.id"
    )


def test_two_hosts_share_sessions_and_attachments_and_send_each_reminder_once(ops_env, hosts):
    world = run_script(SETUP, ops_env)
    a, b = hosts
    member = world["members"][0]
    proposal = member["proposal"]

    # Never through a proxy; one cookie jar for both hosts (cookies ignore ports).
    with httpx.Client(timeout=30, trust_env=False) as http:
        # Signed in on A ...
        login = http.get(f"{a.url}/login")
        signed_in = http.post(
            f"{a.url}/login",
            data={"_csrf_token": _csrf(login), "email": member["email"], "password": world["password"]},
        )
        assert signed_in.status_code == 303, signed_in.text[:500]
        # ... the session works on B.
        on_b = http.get(f"{b.url}/member/proposals/{proposal}")
        assert on_b.status_code == 200 and "工地扬尘智能监测" in on_b.text

        # A form from B, posted to A (same secret: B's CSRF token is good on A): upload on A.
        upload = http.post(
            f"{a.url}/member/proposals/{proposal}/attachments",
            data={"_csrf_token": _csrf(on_b)},
            files={"attachment": ("现场照片.png", PNG, "image/png")},
        )
        assert upload.status_code == 303, upload.text[:500]
        # Download from B: the file is in the database, not on A's disk.
        page_b = http.get(f"{b.url}/member/proposals/{proposal}").text
        link = re.search(rf'href="(/member/proposals/{proposal}/attachments/\d+)"', page_b)
        assert link, "no download link on B's page"
        download = http.get(f"{b.url}{link.group(1)}", headers={"X-Request-ID": "two-hosts-download"})
        assert download.status_code == 200 and download.content == PNG
        assert download.headers["x-request-id"] == "two-hosts-download"
        assert not any(p.is_file() and p.read_bytes() == PNG for p in a.var_dir.rglob("*"))

        # Host A's two workers add up their counts (multiprocess mode): every request is counted.
        for _ in range(12):
            assert http.get(f"{a.url}/scenarios/999999", headers={"Connection": "close"}).status_code == 404
        assert (
            a.metric("marketplace_http_requests_total", route="/scenarios/{scenario_id}", status="404") == 12
        )

    # Both hosts tick every 0.3 s; wait until both members' reminders are mailed and each host
    # has run rounds of its own.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done = [r for r in _reminders(ops_env) if r["email_status"] == "sent"]
        ran = [h.metric("marketplace_periodic_rounds_total", outcome="ran") for h in (a, b)]
        if len(done) >= 2 and all(n >= 3 for n in ran):
            break
        time.sleep(0.5)
    time.sleep(1.5)  # a few more rounds on both hosts: nothing more may be sent
    reminders = _reminders(ops_env)
    assert len(reminders) == 2, reminders
    assert len({(r["user_id"], r["dedupe_key"]) for r in reminders}) == 2
    assert {r["email_status"] for r in reminders} == {"sent"}
    mails = [p for h in (a, b) for p in (h.var_dir / "mail").glob("*.eml")]
    assert len(mails) == 2, [p.name for p in mails]
    assert {"member1@example.com", "member2@example.com"} == {
        re.search(r"^To: (.+)$", p.read_text(), re.M).group(1).strip() for p in mails
    }
    for host in (a, b):
        assert host.metric("marketplace_periodic_rounds_total", outcome="ran") >= 3, host.name

    # JSON logs with the request id the response carried.
    lines = [json.loads(line) for line in b.log().splitlines() if line.startswith("{")]
    assert any(
        line["logger"] == "marketplace.access"
        and line["request_id"] == "two-hosts-download"
        and line["status"] == 200
        for line in lines
    )
    assert all("time" in line and "level" in line for line in lines)
