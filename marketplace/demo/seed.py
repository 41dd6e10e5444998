"""``seed_demo``: load the demo data, idempotently, through the same importer operators use.

Deadlines in the demo file are relative (``deadline_in_days``) so the demo stays current; they
are turned into dates (17:00 park time) on the day of seeding, so re-running on the same day
changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from marketplace.companies.credit_code import demo_credit_code
from marketplace.core import clock
from marketplace.core.audit import Actor
from marketplace.importing.services import ImportReport, import_catalog

DEMO_FILE = Path(__file__).with_name("demo_data.json")
SEED_ACTOR = Actor(label="seed-demo", role="system")


def demo_import_data(today: dt.date | None = None) -> dict:
    """The demo file in the import format, relative deadlines resolved against ``today``."""
    data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    today = today or clock.to_park_time(clock.now()).date()
    for company in data["companies"]:
        company.setdefault("credit_code", demo_credit_code(company["key"]))
    for scenario in data["scenarios"]:
        days = scenario.get("deadline_in_days")
        if days is not None and scenario.get("status") not in ("draft", "in_review", "changes_requested"):
            # Scenarios are open for about six weeks; spread the opening days so "newest" means something.
            opened = today + dt.timedelta(days=min(days - 42, -1 - len(scenario["key"]) % 9))
            scenario.setdefault("opened_at", opened.isoformat())
        for rel, absolute in (
            ("deadline_in_days", "deadline"),
            ("question_deadline_in_days", "question_deadline"),
        ):
            days = scenario.pop(rel, None)
            if days is not None:
                scenario[absolute] = (today + dt.timedelta(days=days)).isoformat()
    return data


async def seed_demo(today: dt.date | None = None) -> ImportReport:
    report = await import_catalog(demo_import_data(today), SEED_ACTOR)
    if report.ok:  # proposals, evaluations, outcomes and pilots for scenarios past their deadline
        from marketplace.demo.seed_evaluation import seed_evaluation
        from marketplace.demo.seed_questions import seed_questions

        await seed_evaluation()
        await seed_questions()
    return report


# --- demo accounts ------------------------------------------------------------------------------

DEMO_ACCOUNTS: tuple[tuple[str, str, str | None, dict[str, bool]], ...] = (
    # email, role, where, flags
    ("admin@example.com", "admin", None, {}),
    ("staff@example.com", "staff", "dept:1", {}),
    ("cdo@example.com", "staff", "dept:1", {"is_cdo": True}),
    ("evaluator@example.com", "staff", "dept:1", {"is_evaluator": True}),
    ("staff2@example.com", "staff", "dept:2", {}),
    ("member@example.com", "member", "company:large", {}),
    ("member2@example.com", "member", "company:sme", {}),
    ("pending@example.com", "member", "company:pending", {}),
)
DEMO_NAMES = {
    "admin@example.com": "协会管理员",
    "staff@example.com": "王磊",
    "cdo@example.com": "陈静",
    "evaluator@example.com": "刘洋",
    "staff2@example.com": "赵敏",
    "member@example.com": "周强",
    "member2@example.com": "吴婷",
    "pending@example.com": "孙浩",
}


def demo_password(var_dir: Path, env_value: str | None) -> tuple[str, bool]:
    """The demo accounts' password: ``MARKETPLACE_DEMO_PASSWORD`` if set, else one generated
    once and kept in ``var/demo_password`` (mode 600) so re-seeding keeps it. Returns
    (password, newly generated)."""
    import os
    import secrets

    if env_value:
        return env_value, False
    path = var_dir / "demo_password"
    if path.exists():
        return path.read_text().strip(), False
    var_dir.mkdir(parents=True, exist_ok=True)
    password = "demo-" + secrets.token_urlsafe(12)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(password)
    return password, True


async def seed_demo_accounts(password: str) -> list[str]:
    """Create the demo accounts that do not exist yet (and set their password); returns the
    emails created or updated."""
    from collections import Counter

    from marketplace.accounts.passwords import hash_password, verify_password
    from marketplace.accounts.tables import User
    from marketplace.companies.tables import Company
    from marketplace.departments.tables import Department

    data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    busiest = [k for k, _ in Counter(s["department"] for s in data["scenarios"]).most_common(2)]
    departments: dict[str | None, int] = {}
    for i, key in enumerate(busiest):
        department = await Department.select(Department.id).where(Department.key == key).first()
        assert department is not None  # a department of the demo file, just imported
        departments[f"dept:{i + 1}"] = department["id"]
    companies: dict[str | None, int] = {}
    for label, condition in (
        ("company:large", (Company.size == "large") & (Company.status == "approved")),
        ("company:sme", (Company.size == "sme") & (Company.status == "approved")),
        ("company:pending", Company.status == "pending"),
    ):
        row = (
            await Company.select(Company.id)
            .where(condition & Company.key.is_not_null())
            .order_by(Company.key)
            .first()
        )
        assert row is not None  # the demo file has companies of every kind
        companies[label] = row["id"]
    changed = []
    for email, role, where, flags in DEMO_ACCOUNTS:
        existing = await User.select(User.id, User.password_hash).where(User.email == email).first()
        if existing and verify_password(existing["password_hash"], password):
            continue
        values: dict[str, Any] = {
            "role": role,
            "display_name": DEMO_NAMES[email],
            "password_hash": hash_password(password),
            "department": departments.get(where),
            "company": companies.get(where),
            "is_company_manager": role == "member",
            "active": True,
            **flags,
        }
        if existing:
            await User.update({getattr(User, k): v for k, v in values.items()}).where(
                User.id == existing["id"]
            )
        else:
            await User(email=email, **values).save()
        changed.append(email)
    return changed
