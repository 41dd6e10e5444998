from piccolo.columns import JSON, BigInt, Bytea, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class AuditEvent(Table, tablename="audit_event"):
    """One state-changing action: who (user id and role), what, on which entity, before -> after."""

    id: Serial  # added by Piccolo; declared for the type checker

    occurred_at = Timestamptz(default=TimestamptzNow(), index=True)
    actor_user_id = Integer(null=True, default=None)
    actor_label = Varchar(length=200, default="system")
    actor_role = Varchar(length=20, default="system")
    action = Varchar(length=80, index=True)
    entity_type = Varchar(length=40)
    entity_id = Integer(index=True)
    before = JSON(null=True, default=None)
    after = JSON(null=True, default=None)
    reason = Text(default="")
    ip_address = Varchar(length=64, default="")


class Outbox(Table, tablename="outbox"):
    """A change to an indexed row, written in the same transaction as the change itself.

    The search indexer re-reads the current row by ``(kind, entity_id)``; ``processed_at`` is set
    only when the search engine confirmed the update.
    """

    id: Serial  # added by Piccolo; declared for the type checker

    created_at = Timestamptz(default=TimestamptzNow())
    kind = Varchar(length=20)
    entity_id = Integer()
    processed_at = Timestamptz(null=True, default=None, index=True)
    attempts = Integer(default=0)
    last_error = Text(default="")


class StoredFile(Table, tablename="stored_file"):
    """The bytes of an uploaded file, kept in the database so that every app host serves every
    attachment (no host's disk holds one alone) and a database backup holds them all.

    ``name`` is random (never the uploaded name); attachment rows refer to it as ``stored_name``.
    """

    id: Serial  # added by Piccolo; declared for the type checker

    name = Varchar(length=80, unique=True)
    content_type = Varchar(length=100)
    size = Integer()
    content = Bytea()
    created_at = Timestamptz(default=TimestamptzNow())


class ReferenceVersion(Table, tablename="reference_version"):
    """The version of one kind of reference data (``capability``, ``department``).

    Database triggers (migration 2026-12-03T19:50) give the kind's row a new random version in
    the same transaction as any insert, update or delete of its table, whoever writes (services,
    import, seed, a restore, SQL by hand). Every process compares the version with the one its
    in-memory copy was read at (``core.refcache``): one row read per request tells every worker
    on every host that the data changed. Random rather than counted, so that a database put
    back from a backup or a snapshot never repeats a version an older copy was read at.
    """

    id: Serial  # added by Piccolo; declared for the type checker

    name = Varchar(length=40, unique=True)
    version = BigInt(default=0)


class ChangeJournal(Table, tablename="change_journal"):
    """Every change to a row the public lists show (the ``core.outbox`` kinds), kept: unlike the
    outbox, whose processed rows are purged, the journal is what the public change feed
    (``/api/v1/changes/...``) pages through by ``id``. It names the row, never its content; the
    feed re-reads the row and shows it only if it is public now, else a tombstone."""

    id: Serial  # added by Piccolo; declared for the type checker

    kind = Varchar(length=20, index=True)
    entity_id = Integer()
    created_at = Timestamptz(default=TimestamptzNow())
