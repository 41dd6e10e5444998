"""Rules of the two new tables: one setting per user and kind; an invitation's channel is
``in_app`` or ``email``."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

from marketplace.core.ddl import check_constraint_sql, unique_index_sql

ID = "2026-12-03T19:34:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "notification setting and scenario invitation constraints"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="marketplace", description=DESCRIPTION)

    async def add_constraints():
        engine = engine_finder()
        await engine.run_ddl(
            unique_index_sql("notification_setting", "notification_setting_unique", ["user", "kind"])
        )
        for sql in check_constraint_sql(
            engine.engine_type,
            "scenario_invitation",
            "scenario_invitation_channel_valid",
            "{channel} IN ('in_app','email')",
        ):
            await engine.run_ddl(sql)

    manager.add_raw(add_constraints)
    return manager
