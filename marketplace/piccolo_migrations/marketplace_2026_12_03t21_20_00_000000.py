"""The change journal (``change_journal``) that the public change feed pages through."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-03T21:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "change journal for the public change feed"


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
    manager.add_table(class_name="ChangeJournal", tablename="change_journal", schema=None, columns=None)
    for name, column_class, params in (
        ("kind", Varchar, column_params(length=20, default="", index=True)),
        ("entity_id", Integer, column_params(default=0)),
        ("created_at", Timestamptz, column_params(default=TimestamptzNow())),
    ):
        manager.add_column(
            table_class_name="ChangeJournal",
            tablename="change_journal",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
