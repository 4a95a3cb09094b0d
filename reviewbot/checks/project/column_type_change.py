"""column-type-change: ALTER COLUMN ... TYPE on an existing table (table rewrite under lock)."""

from __future__ import annotations

from sqlglot import exp

from reviewbot.model.registry import ProjectRule
from reviewbot.sql.migrations import Role, is_synthesized, role_of
from reviewbot.sql.names import display
from reviewbot.sql.reporting import report_site
from reviewbot.sql.schema import Site, TypeChange, catalog_of

T = exp.DataType.Type
_STRINGS = frozenset({T.VARCHAR, T.NVARCHAR, T.TEXT})


def _params(dtype: exp.DataType) -> list[int]:
    out = []
    for param in dtype.expressions:
        value = param.this if isinstance(param, exp.DataTypeParam) else param
        if isinstance(value, exp.Literal) and str(value.this).isdigit():
            out.append(int(value.this))
    return out


def is_binary_compatible(old: exp.DataType, new: exp.DataType) -> bool:
    """Postgres changes that need no table rewrite: widening varchar, to text, widening numeric."""
    if old.this == new.this and _params(old) == _params(new):
        return True
    if old.this in _STRINGS and new.this in _STRINGS:
        new_length = _params(new)
        if new.this == T.TEXT or not new_length:
            return True
        old_length = _params(old)
        return bool(old_length) and old.this != T.TEXT and new_length[0] >= old_length[0]
    if old.this == T.DECIMAL and new.this == T.DECIMAL:
        old_params, new_params = _params(old), _params(new)
        if not new_params:
            return True
        if len(old_params) == 2 and len(new_params) == 2:
            return new_params[1] == old_params[1] and new_params[0] >= old_params[0]
    return False


class ColumnTypeChange(ProjectRule):
    id = "column-type-change"

    def check(self) -> None:
        for change in catalog_of(self.project).type_changes:
            document = change.document
            if document.dialect == "sqlite" or change.same_migration:
                continue
            if role_of(document, change.statement) != Role.UP:
                continue
            if change.old is not None and is_binary_compatible(change.old, change.new):
                continue
            if change.node.args.get("collate") and (
                change.old is None or change.old.this == change.new.this
            ):
                # `TYPE varchar(255) COLLATE "C"`: a collation change rebuilds indexes on the
                # column but rewrites no rows.
                continue
            if document.attributes.get("opaque_type"):
                # An Alembic type this rule cannot map (`MediumText()`): the change is unknown.
                continue
            if isinstance(change.node, exp.ModifyColumn) and (
                change.old is None or change.old.this == change.new.this
            ):
                # MySQL's MODIFY restates the type even to change only nullability or a default.
                continue
            report_site(
                self, Site.of_node(document, change.statement, change.node), self._message(change)
            )

    @staticmethod
    def _message(change: TypeChange) -> str:
        dialect = change.document.dialect
        old = f" from `{change.old.sql(dialect=dialect).lower()}`" if change.old is not None else ""
        new = change.new.sql(dialect=dialect).lower()
        target = f"`{display(change.table)}.{change.column}`"
        how = (
            "add a new column with `op.add_column`, backfill it in batches, switch the code, "
            "then drop the old one"
            if is_synthesized(change.document) == "alembic"
            else "add a new column, backfill it in batches, switch the code over, then drop the "
            "old column"
        )
        return (
            f"Changing {target}{old} to `{new}` rewrites the whole table while holding a lock "
            f"that blocks reads and writes, and breaks code expecting the old type; {how}."
        )
