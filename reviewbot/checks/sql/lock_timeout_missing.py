"""lock-timeout-missing: a migration that locks an existing table without `SET lock_timeout`."""

from __future__ import annotations

from sqlglot import exp

from reviewbot.model.rule import SqlRule
from reviewbot.sql.migrations import Role, migration_of, role_of
from reviewbot.sql.names import display, table_key

# Set on the migration's first document once reported: one finding per migration.
_REPORTED = "lock-timeout-missing:reported"


def sets_lock_timeout(node: exp.Expression | None) -> bool:
    """`SET [LOCAL|SESSION] lock_timeout = ...` as sqlglot parses it."""
    if not isinstance(node, exp.Set):
        return False
    for item in node.expressions:
        target = item.this
        if isinstance(target, exp.EQ):
            target = target.this
        if isinstance(target, exp.Expression) and target.name.lower() == "lock_timeout":
            return True
    return False


class LockTimeoutMissing(SqlRule):
    id = "lock-timeout-missing"

    def visit_Alter(self, node: exp.Alter) -> None:
        if str(node.args.get("kind") or "").upper() == "TABLE":
            self._check(node, node.this, "`ALTER TABLE`")

    def visit_Create(self, node: exp.Create) -> None:
        kind = str(node.args.get("kind") or "").upper()
        index = node.this
        if kind == "INDEX" and not node.args.get("concurrently") and isinstance(index, exp.Index):
            self._check(node, index.args.get("table"), "`CREATE INDEX`")
        elif kind == "TRIGGER":
            self._check(node, node.find(exp.Table), "`CREATE TRIGGER`")

    def _check(self, node: exp.Expression, table: exp.Expression | None, what: str) -> None:
        document = self.context.document
        statement = self.context.statement
        if (
            statement is None
            or node is not statement.expression
            or document.dialect != "postgres"
            or role_of(document, statement) != Role.UP
        ):
            return
        migration = migration_of(document)
        key = table_key(table, document.dialect)
        if migration is None or key is None or key in migration.unit.created_tables:
            return
        documents = migration.unit.documents or [document]
        if any(d.attributes.get(_REPORTED) for d in documents):
            return
        for other in documents:
            for earlier in other.statements:
                if other is document and earlier.start >= statement.start:
                    break
                if sets_lock_timeout(earlier.expression):
                    return
        documents[0].attributes[_REPORTED] = True
        self.report(
            node,
            f"{what} on `{display(key)}` needs a lock that waits behind every query running on "
            "the table, and while it waits every new query on the table queues behind it. Start "
            "the migration with `SET lock_timeout = '5s';` (`SET LOCAL` inside its transaction) "
            "so it fails fast and can be retried instead of stalling the application.",
        )
