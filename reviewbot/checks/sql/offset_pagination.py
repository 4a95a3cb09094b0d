"""offset-pagination: OFFSET taken from a parameter or a large constant."""

from __future__ import annotations

from sqlglot import exp

from reviewbot.model.rule import SqlRule
from reviewbot.sql.migrations import Role, role_of

_VARIABLE = (exp.Placeholder, exp.Parameter, exp.Column, exp.Var)


class OffsetPagination(SqlRule):
    id = "offset-pagination"

    def visit_Offset(self, node: exp.Offset) -> None:
        value = node.expression
        if value is None:
            return
        statement = self.context.statement
        if statement is None or role_of(self.context.document, statement) != Role.QUERY:
            return
        threshold = int(self.options.get("max-offset", 1000))
        if isinstance(value, exp.Literal):
            if value.is_string or not str(value.this).isdigit() or int(value.this) < threshold:
                return
            what = f"a large constant ({value.this})"
        elif isinstance(value, _VARIABLE) or value.find(*_VARIABLE) is not None:
            what = "a page parameter"
        else:
            return
        self.report(
            node,
            f"`OFFSET` with {what} makes the database read and discard every skipped row, so "
            "deep pages get slower and rows shift between pages as data changes; paginate by "
            "key instead (`WHERE (created_at, id) < (:last_created_at, :last_id) ORDER BY "
            "created_at DESC, id DESC LIMIT :n`).",
        )
