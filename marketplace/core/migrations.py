"""Run the Piccolo migrations from code (``marketplace migrate``, tests, ``make run``)."""

from __future__ import annotations

from piccolo.apps.migrations.commands.forwards import run_forwards


async def migrate() -> None:
    response = await run_forwards(app_name="all", migration_id="all", fake=False)
    if not response.success:
        raise RuntimeError(f"migration failed: {response.message}")
