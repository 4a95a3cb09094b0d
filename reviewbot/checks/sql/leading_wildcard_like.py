"""leading-wildcard-like: LIKE / ILIKE patterns that start with `%`, which no b-tree index serves."""

from __future__ import annotations

from sqlglot import exp

from reviewbot.model.rule import SqlRule
from reviewbot.sql.migrations import Role, role_of

_PASS_THROUGH = (exp.Lower, exp.Upper, exp.Paren)


def leading_literal(node: exp.Expression | None) -> str | None:
    """The constant text a pattern expression starts with, when it starts with one."""
    while node is not None:
        if isinstance(node, exp.Literal):
            return str(node.this) if node.is_string else None
        if isinstance(node, exp.DPipe):
            node = node.this
        elif isinstance(node, exp.Concat):
            node = node.expressions[0] if node.expressions else None
        elif isinstance(node, _PASS_THROUGH):
            node = node.this
        else:
            return None
    return None


def _filters_rows(node: exp.Expression) -> bool:
    """Whether the match decides which rows are read (WHERE, JOIN ... ON, HAVING), rather than
    computing a value for rows already read (`CASE WHEN x LIKE '%y' ...` in a select list)."""
    parent = node.parent
    while parent is not None:
        if isinstance(parent, (exp.Where, exp.Having, exp.Join)):
            return True
        if isinstance(parent, (exp.Select, exp.Case, exp.Update, exp.Delete)):
            return False
        parent = parent.parent
    return False


class LeadingWildcardLike(SqlRule):
    id = "leading-wildcard-like"

    def visit_Like(self, node: exp.Like) -> None:
        self._check(node, "LIKE")

    def visit_ILike(self, node: exp.ILike) -> None:
        self._check(node, "ILIKE")

    def _check(self, node: exp.Like | exp.ILike, operator: str) -> None:
        prefix = leading_literal(node.expression)
        if prefix is None or not prefix.startswith("%") or not _filters_rows(node):
            return
        statement = self.context.statement
        if statement is None or role_of(self.context.document, statement) != Role.QUERY:
            return
        self.report(
            node,
            f"`{operator}` with a pattern starting with `%` cannot use a b-tree index and reads "
            "every row; match a prefix (`'term%'`), or use full-text search or a trigram index "
            "(`pg_trgm`) for substring search.",
        )
