"""The reference data versions table (``reference_version``); its triggers come in the next
migration (Piccolo runs a migration's raw SQL before its new tables)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import BigInt, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-03T19:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "reference data versions for the in-memory caches"


def column_params(**changes):
    return {
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
        **changes,
    }


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="marketplace", description=DESCRIPTION)
    manager.add_table(class_name="ReferenceVersion", tablename="reference_version", schema=None, columns=None)
    manager.add_column(
        table_class_name="ReferenceVersion",
        tablename="reference_version",
        column_name="name",
        db_column_name="name",
        column_class_name="Varchar",
        column_class=Varchar,
        params=column_params(length=40, default="", unique=True),
        schema=None,
    )
    manager.add_column(
        table_class_name="ReferenceVersion",
        tablename="reference_version",
        column_name="version",
        db_column_name="version",
        column_class_name="BigInt",
        column_class=BigInt,
        params=column_params(default=0),
        schema=None,
    )

    return manager
