"""leading-wildcard-like: LIKE / ILIKE patterns that start with `%`, which no b-tree index serves."""

from __future__ import annotations

from sqlglot import exp

from reviewbot.rule import SqlRule
from reviewbot.sqlkit.migrations import Role, role_of

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


class LeadingWildcardLike(SqlRule):
    id = "leading-wildcard-like"

    def visit_Like(self, node: exp.Like) -> None:
        self._check(node, "LIKE")

    def visit_ILike(self, node: exp.ILike) -> None:
        self._check(node, "ILIKE")

    def _check(self, node: exp.Like | exp.ILike, operator: str) -> None:
        prefix = leading_literal(node.expression)
        if prefix is None or not prefix.startswith("%"):
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
