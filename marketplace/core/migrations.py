"""Run the Piccolo migrations from code (``marketplace migrate``, tests, ``make run``)."""

from __future__ import annotations

import contextlib
import io
import logging

from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.apps.migrations.tables import Migration

log = logging.getLogger(__name__)


async def _applied() -> int:
    try:
        return int(await Migration.count())
    except Exception:  # a fresh database has no migration table yet
        return 0


async def migrate() -> int:
    """Apply the migrations not yet run; return how many were applied. Piccolo's own progress
    lines (English) go to the debug log, so the command can report in the user's language."""
    before = await _applied()
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        response = await run_forwards(app_name="all", migration_id="all", fake=False)
    log.debug("%s", output.getvalue())
    if not response.success:
        raise RuntimeError(f"数据库迁移失败：{response.message}")
    return await _applied() - before
