"""``seed_demo``: load the demo data, idempotently, through the same importer operators use.

Deadlines in the demo file are relative (``deadline_in_days``) so the demo stays current; they
are turned into dates (17:00 park time) on the day of seeding, so re-running on the same day
changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

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
        for rel, absolute in (("deadline_in_days", "deadline"), ("question_deadline_in_days", "question_deadline")):
            days = scenario.pop(rel, None)
            if days is not None:
                scenario[absolute] = (today + dt.timedelta(days=days)).isoformat()
    return data


async def seed_demo(today: dt.date | None = None) -> ImportReport:
    return await import_catalog(demo_import_data(today), SEED_ACTOR)
