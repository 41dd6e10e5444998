"""The public change feed: which public scenarios and companies changed, in order, with a
stable cursor, so other systems can follow the programme without scraping.

It pages through ``core.tables.ChangeJournal`` (every change the search outbox sees, kept) by
id. Each changed row is re-read through the public reads the pages use
(``get_public_scenario``, ``get_public_company``), so only public records go out:

* ``updated`` with the record as the public API shows it now;
* ``removed`` (a tombstone: the id only) when a company that was public is no longer (its
  profile unpublished, the company suspended or deleted). A scenario, once public, stays
  public (its end shows as a status: cancelled, unsuccessful, completed), so changes to
  scenarios that never were public (drafts, reviews) are left out, tombstones included.

A row changed several times within one page appears once, at its latest change. Entries show
after ``SETTLE`` (a few seconds), so a transaction that commits a little after a later one cannot
be skipped by a follower that already read past it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from marketplace.companies.services import get_public_company
from marketplace.companies.tables import Company
from marketplace.core import clock
from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.core.tables import ChangeJournal
from marketplace.scenarios.services import get_public_scenario

SETTLE = dt.timedelta(seconds=5)
MAX_CHANGES_PAGE = 200
DEFAULT_CHANGES_PAGE = 50
CHANGE_CURSOR_PATTERN = r"^[0-9]{1,18}$"
_CURSOR = re.compile(CHANGE_CURSOR_PATTERN)


@dataclass(frozen=True)
class Change:
    id: int
    change: str  # updated | removed
    changed_at: dt.datetime
    record: Any  # ScenarioDetail / CompanyDetail; None when removed


@dataclass(frozen=True)
class ChangePage:
    items: list[Change]
    next_since: str  # send it as ``since`` next time
    has_more: bool


def _after(since: str | None) -> int:
    if not since:
        return 0
    if not _CURSOR.fullmatch(since):
        raise ValidationFailed("since 参数无效：请使用上一页返回的 next_since。", {"since": "游标无效。"})
    return int(since)


async def _journal(kind: str, after: int, limit: int) -> tuple[list[dict], bool]:
    rows = (
        await ChangeJournal.select(ChangeJournal.id, ChangeJournal.entity_id, ChangeJournal.created_at)
        .where(
            (ChangeJournal.kind == kind)
            & (ChangeJournal.id > after)
            & (ChangeJournal.created_at <= clock.now() - SETTLE)
        )
        .order_by(ChangeJournal.id)
        .limit(limit + 1)
    )
    return rows[:limit], len(rows) > limit


def _latest_per_entity(rows: list[dict]) -> list[dict]:
    latest = {r["entity_id"]: r for r in rows}
    return sorted(latest.values(), key=lambda r: r["id"])


async def list_scenario_changes(since: str | None, limit: int) -> ChangePage:
    """Public scenarios changed after the cursor (``ValidationFailed`` for a bad cursor)."""
    after = _after(since)
    rows, more = await _journal("scenario", after, limit)
    items = []
    for row in _latest_per_entity(rows):
        try:
            record = await get_public_scenario(row["entity_id"])
        except NotFound:
            continue  # never public: not part of the public feed
        items.append(Change(row["entity_id"], "updated", row["created_at"], record))
    return ChangePage(items, str(rows[-1]["id"]) if rows else str(after), more)


async def list_company_changes(since: str | None, limit: int) -> ChangePage:
    """Public companies changed after the cursor, with tombstones for those no longer public."""
    after = _after(since)
    rows, more = await _journal("company", after, limit)
    items = []
    for row in _latest_per_entity(rows):
        try:
            record = await get_public_company(row["entity_id"])
        except NotFound:
            if await _never_public(row["entity_id"]):
                continue
            items.append(Change(row["entity_id"], "removed", row["created_at"], None))
            continue
        items.append(Change(row["entity_id"], "updated", row["created_at"], record))
    return ChangePage(items, str(rows[-1]["id"]) if rows else str(after), more)


async def _never_public(company_id: int) -> bool:
    """A company that was never approved (an applicant) was never in the directory."""
    row = await Company.select(Company.approved_at).where(Company.id == company_id).first()
    return row is not None and row["approved_at"] is None
