"""Constraints of the publishing tables: valid notification mail states, positive attachment
sizes (raw, as SQLite cannot add CHECK constraints to an existing table)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

from marketplace.core.ddl import check_constraint_sql

ID = "2026-11-25T22:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "publishing constraints"

CHECKS = [
    ("notification", "notification_email_status_valid",
     "{email_status} IN ('none','pending','sending','sent','failed')"),
    ("scenario_attachment", "scenario_attachment_size_positive", "{size} > 0"),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="marketplace", description=DESCRIPTION)

    async def add_constraints():
        engine = engine_finder()
        for table, name, condition in CHECKS:
            for sql in check_constraint_sql(engine.engine_type, table, name, condition):
                await engine.run_ddl(sql)

    manager.add_raw(add_constraints)
    return manager
