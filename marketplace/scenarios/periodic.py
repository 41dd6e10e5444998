"""Work done by the clock, not by a user: open scheduled scenarios, close those past their
proposal deadline, send deadline reminders, mail pending notifications.

``run_periodic_tasks`` does one round (the ``marketplace tick`` command and tests call it);
``PeriodicRunner`` repeats it every minute inside the app (started and stopped by the app's
lifespan) under a lock shared by every process on the database, so one round runs at a time
across workers and hosts. Every step is idempotent as well: the status machine refuses a second
close, a reminder's dedupe key refuses a second reminder, a notification's mail is claimed
before it is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from dataclasses import dataclass, field

from marketplace.core import clock
from marketplace.core.audit import SYSTEM, Actor
from marketplace.core.db import write_transaction
from marketplace.core.locks import ProcessLock
from marketplace.core.metrics import PERIODIC_ROUNDS
from marketplace.notifications.services import Message, deliver_pending_emails, notify
from marketplace.scenarios import audience
from marketplace.scenarios.links import scenario_page
from marketplace.scenarios.publishing import open_scheduled_scenarios
from marketplace.scenarios.services import close_expired_scenarios
from marketplace.scenarios.tables import Scenario
from marketplace.settings import get_settings

log = logging.getLogger(__name__)

LOCK_NAME = "periodic"
REMINDER_WINDOWS = (("1d", dt.timedelta(days=1), "1 天"), ("7d", dt.timedelta(days=7), "7 天"))


def reminder_window(deadline: dt.datetime, now: dt.datetime) -> tuple[str, str] | None:
    """Which reminder is due for a deadline: '1d' in its last day, '7d' in the six days before
    that, None otherwise (passed, or more than 7 days away)."""
    left = deadline - now
    if left <= dt.timedelta(0):
        return None
    for key, span, label in REMINDER_WINDOWS:
        if left <= span:
            return key, label
    return None


async def send_deadline_reminders(now: dt.datetime | None = None) -> int:
    """Remind interested members 7 days and 1 day before an open scenario's proposal deadline.

    Never twice: the dedupe key names the scenario, the window and the deadline itself (so an
    extended deadline gets its own reminders). Returns how many notifications were written.
    """
    now = now or clock.now()
    rows = await Scenario.select(Scenario.id, Scenario.title, Scenario.proposal_deadline).where(
        (Scenario.status == "open")
        & (Scenario.proposal_deadline > now)
        & (Scenario.proposal_deadline <= now + dt.timedelta(days=7))
    )
    written = 0
    for row in rows:
        window = reminder_window(row["proposal_deadline"], now)
        if window is None:
            continue
        key, label = window
        deadline = row["proposal_deadline"]
        park = clock.to_park_time(deadline)
        try:
            async with write_transaction():
                users = await audience.with_followers(row["id"], await audience.interested_members(row["id"]))
                written += len(
                    await notify(
                        users,
                        Message(
                            "deadline_reminder",
                            f"距方案截止不足 {label}：{row['title']}",
                            f"方案提交截止时间为 {park:%Y-%m-%d %H:%M}（北京时间），截止后不能再提交或修改方案。",
                            scenario_page(row["id"]),
                        ),
                        dedupe_key=f"reminder:{row['id']}:{key}:{deadline.isoformat()}",
                    )
                )
        except Exception:  # e.g. another worker wrote the same reminder first (unique key): next round
            log.exception("deadline reminders for scenario %s failed", row["id"])
    return written


@dataclass
class TickReport:
    opened: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    reminders: int = 0
    mailed: int = 0


async def run_periodic_tasks(actor: Actor = SYSTEM) -> TickReport:
    """One round of every clock-driven task, each step on its own (one failing does not stop
    the others; the failure is logged and retried next round)."""
    report = TickReport()
    steps = (
        ("opened", lambda: open_scheduled_scenarios(actor)),
        ("closed", lambda: close_expired_scenarios(actor)),
        ("reminders", send_deadline_reminders),
        ("mailed", deliver_pending_emails),
    )
    for name, step in steps:
        try:
            setattr(report, name, await step())
        except Exception:  # keep the other steps and the next rounds going
            log.exception("periodic task %s failed", name)
    return report


async def run_periodic_round(lock_timeout: float = 0.0) -> TickReport | None:
    """``run_periodic_tasks`` under the periodic lock (``core.locks``: an advisory lock on
    PostgreSQL, a file lock on SQLite), so that however many app processes and hosts tick, one
    round runs at a time. None when another process holds the lock for ``lock_timeout`` seconds
    (its round does the work). The steps stay idempotent on their own (dedupe keys, claims), so a
    round that follows right after another's finds nothing left to do."""
    lock = ProcessLock(LOCK_NAME)
    got = await (lock.acquire(lock_timeout) if lock_timeout else lock.try_acquire())
    if not got:
        PERIODIC_ROUNDS.labels("skipped").inc()
        log.debug("periodic round skipped: another process is running one")
        return None
    try:
        report = await run_periodic_tasks()
    finally:
        await lock.release()
    PERIODIC_ROUNDS.labels("ran").inc()
    did_something = report.opened or report.closed or report.reminders or report.mailed
    log.log(
        logging.INFO if did_something else logging.DEBUG,
        "periodic round: opened %d, closed %d, reminders %d, mailed %d",
        len(report.opened),
        len(report.closed),
        report.reminders,
        report.mailed,
        extra={"reminders": report.reminders, "mailed": report.mailed},
    )
    return report


class PeriodicRunner:
    """Runs ``run_periodic_round`` every ``interval`` seconds (``MARKETPLACE_TICK_SECONDS``,
    default 60) in the app's event loop."""

    def __init__(self, interval: float | None = None):
        self.interval = interval if interval is not None else get_settings().ops.tick_seconds
        self._task: asyncio.Task | None = None

    async def _loop(self) -> None:
        while True:
            try:
                await run_periodic_round()
            except Exception:  # the lock's database call failed: try again next round
                log.exception("periodic round failed")
            await asyncio.sleep(self.interval)

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="marketplace-periodic")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
