"""Where Python hands SQL text to a database: one table for every rule and for SQL extraction."""

from __future__ import annotations

# Functions taking SQL text, resolved through imports and aliases; value: keyword names of the SQL.
RESOLVED_SINKS: dict[str, tuple[str, ...]] = {
    "sqlalchemy.text": ("text",),
    "sqlalchemy.sql.text": ("text",),
    "sqlalchemy.sql.expression.text": ("text",),
    "pandas.read_sql": ("sql",),
    "pandas.read_sql_query": ("sql",),
    "django.db.models.RawSQL": ("sql",),
    "django.db.models.expressions.RawSQL": ("sql",),
    "alembic.op.execute": ("sqltext",),
}
# Methods whose receiver cannot be typed statically (a DB-API cursor, a SQLAlchemy connection or
# session, an asyncpg connection, a Django manager); callers also require SQL-looking text.
METHOD_SINKS = frozenset(
    {
        "execute",
        "executemany",
        "executescript",
        "exec_driver_sql",
        "raw",
        "fetch",
        "fetchrow",
        "fetchval",
        "read_sql",
        "read_sql_query",
    }
)
