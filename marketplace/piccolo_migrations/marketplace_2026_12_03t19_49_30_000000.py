"""Company status gains "rejected" (an admin turned the membership application down, with a
reason; the company may correct it and apply again); a user follows a scenario once."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

from marketplace.core.ddl import check_constraint_sql, drop_check_constraint_sql, unique_index_sql

ID = "2026-12-03T19:49:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "portal basics: constraints"

REPLACED = [
    ("company", "company_status_valid", "{status} IN ('pending','approved','suspended','rejected')"),
]

UNIQUES = [
    ("scenario_follow", "scenario_follow_unique", ["scenario", "user"]),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="marketplace", description=DESCRIPTION)

    async def replace_rules():
        engine = engine_finder()
        for table, name, condition in REPLACED:
            for sql in drop_check_constraint_sql(engine.engine_type, table, name):
                await engine.run_ddl(sql)
            for sql in check_constraint_sql(engine.engine_type, table, name, condition):
                await engine.run_ddl(sql)
        for table, name, columns in UNIQUES:
            await engine.run_ddl(unique_index_sql(table, name, columns))

    manager.add_raw(replace_rules)
    return manager
