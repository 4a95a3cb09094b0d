"""select-star: `SELECT *` projections, which break when columns change and fetch too much."""

from __future__ import annotations

from sqlglot import exp

from reviewbot.model.rule import SqlRule
from reviewbot.python.vocabulary import is_test_path


class SelectStar(SqlRule):
    id = "select-star"

    def visit_Select(self, node: exp.Select) -> None:
        document = self.context.document
        if document.origin == "python" and is_test_path(document.path):
            # Queries written in tests check whole rows on purpose; it is application SQL that
            # breaks when the schema changes.
            return
        if isinstance(node.parent, exp.Exists):
            # `EXISTS (SELECT * ...)` reads no columns; the star there is idiomatic.
            return
        for projection in node.expressions:
            star: exp.Star | exp.Column | None = (
                projection if isinstance(projection, exp.Star) else None
            )
            if isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):
                star = projection
            if star is not None:
                self.report(
                    star,
                    "`SELECT *` returns whatever columns the table has today; list the columns "
                    "the code uses so schema changes cannot silently change the result.",
                )
