"""Files that earlier versions wrote under ``var/attachments/`` and ``var/proposal_attachments/``
are copied into ``stored_file`` (the folders are left in place: remove them once the upgrade is
done). A file already copied, or missing, is passed over, so the step can run again."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Bytea, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

ID = "2026-12-03T20:30:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "attachments: copy the files from var/ into the database"

# (attachment table, folder under var/ where earlier versions kept its files)
LEGACY_FOLDERS = (("scenario_attachment", "attachments"), ("proposal_attachment", "proposal_attachments"))


class LegacyFile(Table, tablename="stored_file", schema=None):
    name = Varchar(length=80)
    content_type = Varchar(length=100)
    size = Integer()
    content = Bytea()
    created_at = Timestamptz(default=TimestamptzNow())


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="marketplace", description=DESCRIPTION)

    async def copy_legacy_files():
        from marketplace.settings import get_settings

        var_dir = get_settings().var_dir
        for table, folder in LEGACY_FOLDERS:
            kind = "content_type" if table == "proposal_attachment" else "'application/pdf'"
            rows = await LegacyFile.raw(f"SELECT stored_name, {kind} AS content_type FROM {table}")
            for row in rows:
                path = var_dir / folder / row["stored_name"]
                if path.is_file() and not await LegacyFile.exists().where(LegacyFile.name == row["stored_name"]):
                    content = path.read_bytes()
                    await LegacyFile.insert(
                        LegacyFile(
                            name=row["stored_name"],
                            content_type=row["content_type"],
                            size=len(content),
                            content=content,
                        )
                    )

    manager.add_raw(copy_legacy_files)
    return manager
