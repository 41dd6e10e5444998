"""Database constraints that Piccolo cannot declare portably.

Piccolo adds table constraints with ``ALTER TABLE ... ADD CONSTRAINT``, which SQLite does not
support. These helpers emit the same rule for both engines: a real CHECK constraint on
PostgreSQL, a pair of BEFORE INSERT/UPDATE triggers that abort on SQLite. Conditions name their
columns as ``{column}`` placeholders. Migrations call these with literal conditions, so a
migration keeps meaning what it meant when it was written.
"""

from __future__ import annotations


def check_constraint_sql(engine_type: str, table: str, name: str, condition: str) -> list[str]:
    """SQL statements enforcing ``condition`` on every row written to ``table``.

    Both engines' errors name the rule (``name``), so callers can tell which one refused a write.
    """
    if engine_type == "postgres":
        plain = condition.replace("{", '"').replace("}", '"')
        return [f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" CHECK ({plain})']
    qualified = condition.replace("{", 'NEW."').replace("}", '"')
    return [
        f'CREATE TRIGGER "{name}_{event.lower()}" BEFORE {event} ON "{table}" '
        f"WHEN NOT ({qualified}) "
        f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {name}'); END"
        for event in ("INSERT", "UPDATE")
    ]


def unique_index_sql(table: str, name: str, columns: list[str]) -> str:
    cols = ", ".join(f'"{c}"' for c in columns)
    return f'CREATE UNIQUE INDEX "{name}" ON "{table}" ({cols})'


def drop_check_constraint_sql(engine_type: str, table: str, name: str) -> list[str]:
    """Undo ``check_constraint_sql`` (to replace a rule with a new version of it)."""
    if engine_type == "postgres":
        return [f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"']
    return [f'DROP TRIGGER IF EXISTS "{name}_{event}"' for event in ("insert", "update")]
