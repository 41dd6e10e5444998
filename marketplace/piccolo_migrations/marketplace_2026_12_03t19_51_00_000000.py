"""Triggers that give ``reference_version`` a new version whenever reference data changes.

Any insert, update or delete of ``capability`` or ``department`` gives the kind's row a new
random version in the same transaction (SQLite: row triggers; PostgreSQL: statement triggers,
TRUNCATE included), so every process's in-memory copy (``core.refcache``) sees the change on its
next read, whoever wrote it."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T19:51:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "reference data version triggers"

KINDS = ("capability", "department")
# A random 53-bit version: a database put back from a backup never repeats an older copy's one.
RANDOM = {"sqlite": "random()", "postgres": "floor(random() * 9007199254740991)::bigint"}

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION reference_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO reference_version (name, version)
    VALUES (TG_ARGV[0], floor(random() * 9007199254740991)::bigint)
    ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version;
    RETURN NULL;
END $$
"""


def trigger_sql(engine_type: str, kind: str) -> list[str]:
    if engine_type == "postgres":
        return [
            f'CREATE TRIGGER "{kind}_reference_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE '
            f'ON "{kind}" FOR EACH STATEMENT EXECUTE FUNCTION reference_version_bump(\'{kind}\')'
        ]
    return [
        f'CREATE TRIGGER "{kind}_reference_version_{event.lower()}" AFTER {event} ON "{kind}" '
        f"BEGIN INSERT INTO reference_version (name, version) VALUES ('{kind}', random()) "
        f"ON CONFLICT (name) DO UPDATE SET version = excluded.version; END"
        for event in ("INSERT", "UPDATE", "DELETE")
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="marketplace", description=DESCRIPTION)

    async def add_triggers():
        engine = engine_finder()
        if engine.engine_type == "postgres":
            await engine.run_ddl(PG_FUNCTION)
        for kind in KINDS:
            for sql in trigger_sql(engine.engine_type, kind):
                await engine.run_ddl(sql)
            await engine.run_ddl(
                f"INSERT INTO reference_version (name, version) VALUES ('{kind}', {RANDOM[engine.engine_type]})"
            )

    manager.add_raw(add_triggers)
    return manager
