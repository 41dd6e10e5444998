from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Text
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-03T19:49:09:607622"
VERSION = "1.38.0"
DESCRIPTION = "portal basics: company rejection reason, e-mail change links"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="marketplace", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Company",
        tablename="company",
        column_name="rejection_reason",
        db_column_name="rejection_reason",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="OneTimeToken",
        tablename="one_time_token",
        column_name="new_email",
        db_column_name="new_email",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 254,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
