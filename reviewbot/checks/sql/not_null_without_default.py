"""not-null-without-default: ADD COLUMN ... NOT NULL without a default on an existing table."""

from __future__ import annotations

from sqlglot import exp

from reviewbot.model.rule import SqlRule
from reviewbot.sql.migrations import Role, created_in_same_migration, is_synthesized, role_of
from reviewbot.sql.names import display, ident, table_key

# Types whose values the database fills in itself.
_SELF_FILLING = frozenset(
    {exp.DataType.Type.SERIAL, exp.DataType.Type.BIGSERIAL, exp.DataType.Type.SMALLSERIAL}
)
# Constraints that give existing rows a value.
_FILLING_CONSTRAINTS = (
    exp.GeneratedAsIdentityColumnConstraint,
    exp.ComputedColumnConstraint,
    exp.AutoIncrementColumnConstraint,
)


def _has_default(column: exp.ColumnDef) -> bool:
    for constraint in column.args.get("constraints") or ():
        kind = constraint.args.get("kind")
        if isinstance(kind, exp.DefaultColumnConstraint):
            # `DEFAULT NULL` fills existing rows with NULL: the NOT NULL check still fails.
            return not isinstance(kind.this, exp.Null)
        if isinstance(kind, _FILLING_CONSTRAINTS):
            return True
    dtype = column.args.get("kind")
    return isinstance(dtype, exp.DataType) and dtype.this in _SELF_FILLING


def _not_null(column: exp.ColumnDef) -> bool:
    for constraint in column.args.get("constraints") or ():
        kind = constraint.args.get("kind")
        if isinstance(kind, exp.NotNullColumnConstraint) and not kind.args.get("allow_null"):
            return True
        if isinstance(kind, exp.PrimaryKeyColumnConstraint):
            return True
    return False


class NotNullWithoutDefault(SqlRule):
    id = "not-null-without-default"

    def visit_Alter(self, node: exp.Alter) -> None:
        document = self.context.document
        statement = self.context.statement
        # MySQL fills a new NOT NULL column with the type's implicit default (0, '').
        if document.dialect == "mysql" or statement is None:
            return
        if role_of(document, statement) != Role.UP:
            return
        key = table_key(node.this, document.dialect)
        if key is None or created_in_same_migration(document, key):
            return
        for action in node.args.get("actions") or ():
            if isinstance(action, exp.ColumnDef) and _not_null(action) and not _has_default(action):
                self.report(action, self._message(display(key), ident(action.this)))

    def _message(self, table: str, column: str) -> str:
        fix = (
            "give the column a `server_default=` (or add it nullable, backfill, then set "
            "`nullable=False`)"
            if is_synthesized(self.context.document) == "alembic"
            else "add a `DEFAULT`, or add the column nullable, backfill it, then `SET NOT NULL`"
        )
        return (
            f"Adding NOT NULL column `{column}` without a default fails as soon as `{table}` has "
            f"rows; {fix}."
        )
