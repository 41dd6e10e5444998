"""The clock's work: an open scenario closes by itself when its proposal deadline passes (the
periodic task, and the commands), reminders go out 7 days and 1 day before, never twice."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from marketplace.core import clock
from marketplace.core.audit import Actor
from marketplace.core.tables import AuditEvent
from marketplace.notifications.tables import Notification
from marketplace.proposals.tables import Proposal
from marketplace.scenarios import periodic, publishing, questions
from marketplace.scenarios.periodic import PeriodicRunner, reminder_window, run_periodic_tasks
from marketplace.scenarios.tables import Scenario
from tests.factories import make_scenario
from tests.scenarios.helpers import NOW, complete_input, make_world

MARKETPLACE = Path(sys.executable).parent / "marketplace"

DEADLINE = NOW + dt.timedelta(days=20)


async def _open_scenario(w) -> int:
    sid = await publishing.create_scenario_draft(w.actor(w.author), complete_input(w))
    await publishing.submit_for_review(sid, w.actor(w.author))
    await publishing.approve_scenario_for_publication(sid, w.actor(w.cdo_x))
    return sid


async def _status(sid: int) -> tuple[str, str]:
    row = await Scenario.select(Scenario.status, Scenario.public_status).where(Scenario.id == sid).first()
    return row["status"], row["public_status"]


async def test_the_scenario_closes_by_itself_at_the_deadline(db):
    w = await make_world()
    sid = await _open_scenario(w)
    clock.set_now(DEADLINE - dt.timedelta(seconds=1))
    assert (await run_periodic_tasks()).closed == []
    assert await _status(sid) == ("open", "open")
    clock.set_now(DEADLINE)
    assert (await run_periodic_tasks()).closed == [sid]
    assert await _status(sid) == ("closed", "closed")
    event = await AuditEvent.select().where(AuditEvent.action == "scenario.close").first()
    assert (event["actor_label"], event["entity_id"]) == ("system", sid)
    assert (await run_periodic_tasks()).closed == []  # idempotent


async def test_the_runner_in_the_app_closes_it_without_anyone_asking(db):
    w = await make_world()
    sid = await _open_scenario(w)
    clock.set_now(DEADLINE + dt.timedelta(minutes=1))
    runner = PeriodicRunner(interval=3600)
    await runner.start()
    for _ in range(200):  # the first round runs at once; wait for it without sleeping a fixed time
        if (await _status(sid))[0] == "closed":
            break
        await asyncio.sleep(0.01)
    await runner.stop()
    assert await _status(sid) == ("closed", "closed")


async def test_the_app_lifespan_starts_and_stops_the_runner():
    from marketplace.app import create_app

    app = create_app()  # the production shape; tests' in-loop apps (use_pool=False) leave it out
    assert "PeriodicRunner.start" in [getattr(h, "__qualname__", "") for h in app.on_startup]
    assert "PeriodicRunner.stop" in [getattr(h, "__qualname__", "") for h in app.on_shutdown]
    test_app = create_app(use_pool=False)
    assert not any("PeriodicRunner" in getattr(h, "__qualname__", "") for h in test_app.on_startup)


async def test_the_commands_close_expired_scenarios(db):
    """``marketplace close-expired`` and ``marketplace tick`` in a real process (real clock)."""
    w = await make_world()
    clock.set_now(None)
    real_now = dt.datetime.now(dt.UTC)
    first = await make_scenario(
        "open", department=w.dept_x, proposal_deadline=real_now - dt.timedelta(hours=1)
    )
    second = await make_scenario(
        "open", department=w.dept_x, proposal_deadline=real_now - dt.timedelta(hours=1)
    )
    later = await make_scenario(
        "open", department=w.dept_x, proposal_deadline=real_now + dt.timedelta(days=3)
    )
    done = subprocess.run(
        [str(MARKETPLACE), "close-expired"],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "已截止 2 个场景" in done.stdout
    assert (await _status(first))[0] == "closed" and (await _status(second))[0] == "closed"
    assert (await _status(later))[0] == "open"
    tick = subprocess.run(
        [str(MARKETPLACE), "tick"], env=os.environ.copy(), capture_output=True, text=True, timeout=120
    )
    assert tick.returncode == 0, tick.stderr
    assert "已截止 0 个场景" in tick.stdout


async def test_reminders_7_days_and_1_day_before_never_twice(db):
    w = await make_world()
    sid = await _open_scenario(w)
    await Proposal(scenario=sid, company=w.company_b, status="draft").save()  # B is interested through it
    await Notification.delete(force=True)

    async def reminders(user_id):
        rows = (
            await Notification.select(Notification.title, Notification.dedupe_key)
            .where((Notification.user == user_id) & (Notification.kind == "deadline_reminder"))
            .order_by(Notification.id)
        )
        return [r["title"] for r in rows]

    clock.set_now(DEADLINE - dt.timedelta(days=8))
    await run_periodic_tasks()
    assert await reminders(w.member_a) == []
    clock.set_now(DEADLINE - dt.timedelta(days=6, hours=23))
    await run_periodic_tasks()
    await run_periodic_tasks()
    clock.advance(dt.timedelta(days=3))
    await run_periodic_tasks()
    title7 = "距方案截止不足 7 天：河道漂浮物发现慢、处置滞后"
    assert await reminders(w.member_a) == [title7]  # matching capability
    assert await reminders(w.member_b) == [title7]  # draft proposal
    assert await reminders(w.pending) == []
    assert await reminders(w.author) == []
    clock.set_now(DEADLINE - dt.timedelta(hours=20))
    await run_periodic_tasks()
    await run_periodic_tasks()
    title1 = "距方案截止不足 1 天：河道漂浮物发现慢、处置滞后"
    assert await reminders(w.member_a) == [title7, title1]
    clock.set_now(DEADLINE + dt.timedelta(minutes=1))
    await run_periodic_tasks()
    assert await reminders(w.member_a) == [title7, title1]


async def test_an_extended_deadline_gets_its_own_reminders(db):
    w = await make_world()
    sid = await _open_scenario(w)
    clock.set_now(DEADLINE - dt.timedelta(days=5))
    await run_periodic_tasks()
    await publishing.extend_scenario_deadline(
        sid, w.actor(w.author), DEADLINE + dt.timedelta(days=10), "延期十天。"
    )
    clock.set_now(DEADLINE + dt.timedelta(days=5))
    await run_periodic_tasks()
    count = await Notification.count().where(
        (Notification.user == w.member_a) & (Notification.kind == "deadline_reminder")
    )
    assert count == 2


async def test_reminders_include_companies_that_asked(db):
    w = await make_world()
    sid = await _open_scenario(w)
    await questions.ask_question(sid, Actor(user_id=w.member_b), "请问数据格式？")
    clock.set_now(DEADLINE - dt.timedelta(days=2))
    assert await periodic.send_deadline_reminders() == 3  # A's two users, B's one


def test_reminder_windows():
    deadline = NOW
    assert reminder_window(deadline, NOW - dt.timedelta(days=8)) is None
    assert reminder_window(deadline, NOW - dt.timedelta(days=7))[0] == "7d"
    assert reminder_window(deadline, NOW - dt.timedelta(days=1, seconds=1))[0] == "7d"
    assert reminder_window(deadline, NOW - dt.timedelta(days=1))[0] == "1d"
    assert reminder_window(deadline, NOW) is None


async def test_one_periodic_round_at_a_time_across_processes(db):
    """The app's rounds take the periodic lock (an advisory lock on PostgreSQL, a file lock on
    SQLite): while another process holds it, a round is skipped; once released, it runs."""
    from marketplace.core.locks import ProcessLock

    w = await make_world()
    sid = await _open_scenario(w)
    clock.set_now(DEADLINE + dt.timedelta(minutes=1))
    other_host = ProcessLock(periodic.LOCK_NAME)
    assert await other_host.try_acquire()
    try:
        assert await periodic.run_periodic_round() is None
        assert await _status(sid) == ("open", "open")
    finally:
        await other_host.release()
    report = await periodic.run_periodic_round()
    assert report is not None and report.closed == [sid]
