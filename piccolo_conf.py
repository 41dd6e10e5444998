"""The only place that picks the database engine (from ``DATABASE_URL`` via settings)."""

from piccolo.conf.apps import AppRegistry

from marketplace.core.db import RecoveringPostgresEngine
from marketplace.core.sqlite_pool import PooledSQLiteEngine
from marketplace.settings import get_settings


def _make_engine() -> PooledSQLiteEngine | RecoveringPostgresEngine:
    db = get_settings().database
    if db.is_sqlite:
        assert db.sqlite_path is not None  # settings always give SQLite a file path
        db.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        # A busy timeout lets a second writer wait for the lock instead of failing at once.
        # Piccolo's SQLiteEngine, plus a pool of kept connections once the app starts it.
        return PooledSQLiteEngine(path=str(db.sqlite_path), timeout=30)
    # Recovers on the first request after an outage (see marketplace.core.db).
    return RecoveringPostgresEngine(
        config={
            "host": db.host,
            "port": db.port,
            "user": db.user,
            "password": db.password,
            "database": db.database,
        }
    )


DB = _make_engine()

APP_REGISTRY = AppRegistry(apps=["marketplace.piccolo_app"])
