"""update-without-where: UPDATE or DELETE with no WHERE clause, outside migrations and tests."""

from __future__ import annotations

from sqlglot import exp

from reviewbot.model.rule import SqlRule
from reviewbot.sql.migrations import Role, role_of
from reviewbot.sql.names import display, table_key


class UpdateWithoutWhere(SqlRule):
    id = "update-without-where"

    def visit_Update(self, node: exp.Update) -> None:
        self._check(node, "UPDATE", "changes")

    def visit_Delete(self, node: exp.Delete) -> None:
        self._check(node, "DELETE", "deletes")

    def _check(self, node: exp.Update | exp.Delete, verb: str, does: str) -> None:
        if node.args.get("where") is not None or node.args.get("limit") is not None:
            return
        document = self.context.document
        statement = self.context.statement
        # A migration backfilling or clearing a whole table does so on purpose, and so does test
        # code (role None).
        if statement is None or role_of(document, statement) != Role.QUERY:
            return
        key = table_key(node.this, document.dialect)
        target = f"`{verb} {display(key)}`" if key else f"`{verb}`"
        self.report(
            node,
            f"{target} without `WHERE` {does} every row of the table; add the `WHERE` "
            "clause that selects the rows meant (use `WHERE true` to make a deliberate "
            "full-table change explicit).",
        )
