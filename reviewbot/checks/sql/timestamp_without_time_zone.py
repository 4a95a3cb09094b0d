"""timestamp-without-time-zone: Postgres columns declared `timestamp` (without time zone)."""

from __future__ import annotations

from sqlglot import exp

from reviewbot.model.rule import SqlRule
from reviewbot.sql.migrations import Role, is_synthesized, role_of
from reviewbot.sql.names import ident


class TimestampWithoutTimeZone(SqlRule):
    id = "timestamp-without-time-zone"

    def visit_ColumnDef(self, node: exp.ColumnDef) -> None:
        self._check(node, node.args.get("kind"), ident(node.this))

    def visit_AlterColumn(self, node: exp.AlterColumn) -> None:
        self._check(node, node.args.get("dtype"), ident(node.this))

    def _check(self, node: exp.Expression, dtype: exp.Expression | None, column: str) -> None:
        # sqlglot keeps no position on a type, so the finding spans the column definition.
        if not isinstance(dtype, exp.DataType) or dtype.this != exp.DataType.Type.TIMESTAMP:
            return
        document = self.context.document
        statement = self.context.statement
        # Only Postgres: MySQL's TIMESTAMP is stored in UTC, SQLite has no timestamp type.
        if document.dialect != "postgres" or statement is None:
            return
        if role_of(document, statement) in (None, Role.DOWN):
            return
        fix = (
            "use `sa.DateTime(timezone=True)`"
            if is_synthesized(document) == "alembic"
            else "use `timestamptz` (`timestamp with time zone`)"
        )
        self.report(
            node,
            f"`{column}` is a `timestamp` without time zone: it stores wall-clock time with no "
            f"offset, so values written from different time zones cannot be compared; {fix}.",
        )
