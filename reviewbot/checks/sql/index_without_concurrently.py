"""index-without-concurrently: CREATE/DROP INDEX in a Postgres migration that locks out writes."""

from __future__ import annotations

from sqlglot import exp

from reviewbot.model.rule import SqlRule
from reviewbot.sql.migrations import Role, is_synthesized, migration_of, role_of
from reviewbot.sql.names import display, ident, table_key


class IndexWithoutConcurrently(SqlRule):
    id = "index-without-concurrently"

    def _applies(self) -> bool:
        document = self.context.document
        statement = self.context.statement
        return (
            document.dialect == "postgres"
            and statement is not None
            and role_of(document, statement) == Role.UP
        )

    def visit_Create(self, node: exp.Create) -> None:
        if node is not self._statement() or str(node.args.get("kind") or "").upper() != "INDEX":
            return
        if node.args.get("concurrently") or not self._applies():
            return
        index = node.this
        if not isinstance(index, exp.Index):
            return
        key = table_key(index.args.get("table"), self.context.document.dialect)
        migration = migration_of(self.context.document)
        if key is None or migration is None or key in migration.unit.created_tables:
            return
        self.report(
            node,
            f"`CREATE INDEX` on `{display(key)}` blocks writes to the table until the index is "
            f"built; {self._how('create')}",
        )

    def visit_Drop(self, node: exp.Drop) -> None:
        if node is not self._statement() or str(node.args.get("kind") or "").upper() != "INDEX":
            return
        if node.args.get("concurrently") or not self._applies():
            return
        migration = migration_of(self.context.document)
        if migration is None:
            return
        names = [ident(t) for t in node.args.get("tables") or ()]
        if names and all(n in migration.unit.created_indexes for n in names):
            return
        self.report(
            node,
            "`DROP INDEX` takes an exclusive lock on the table, blocking reads and writes while "
            f"it waits for running queries; {self._how('drop')}",
        )

    def _statement(self) -> exp.Expression | None:
        return self.context.statement.expression if self.context.statement else None

    def _how(self, verb: str) -> str:
        if is_synthesized(self.context.document) == "alembic":
            return (
                f"pass `postgresql_concurrently=True` to `op.{verb}_index` and run it inside "
                "`with op.get_context().autocommit_block():`."
            )
        return (
            f"use `{verb.upper()} INDEX CONCURRENTLY` (outside a transaction) so the table stays "
            "writable."
        )
