"""set-not-null-on-existing-table: `ALTER COLUMN ... SET NOT NULL` scans the table under an
ACCESS EXCLUSIVE lock unless a validated CHECK constraint already proves the column is filled."""

from __future__ import annotations

import re

from sqlglot import exp

from reviewbot.model.rule import SqlRule
from reviewbot.sql.migrations import (
    Role,
    column_created_in_same_migration,
    is_synthesized,
    migration_of,
    role_of,
)
from reviewbot.sql.names import display, ident, table_key

_VALIDATES = re.compile(
    r"^\s*ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(?P<table>[\w.\"]+)\s+"
    r"(?:VALIDATE\s+CONSTRAINT\b|ADD\s+(?:CONSTRAINT\s+\S+\s+)?CHECK\b(?P<check>.*))",
    re.IGNORECASE | re.DOTALL,
)


def _validates_on(key: str, text: str) -> bool:
    """An earlier statement of the migration that validates a constraint on the same table
    (`VALIDATE CONSTRAINT`, or a CHECK added without NOT VALID): Postgres 12+ then skips the scan."""
    match = _VALIDATES.match(text)
    if match is None:
        return False
    table = match.group("table").replace('"', "").lower()
    if table != key and table.rsplit(".", 1)[-1] != key.rsplit(".", 1)[-1]:
        return False
    check = match.group("check")
    return check is None or "NOT VALID" not in check.upper()


class SetNotNullOnExistingTable(SqlRule):
    id = "set-not-null-on-existing-table"

    def visit_AlterColumn(self, node: exp.AlterColumn) -> None:
        if node.args.get("allow_null") is not False:
            return
        document = self.context.document
        statement = self.context.statement
        alter = node.parent
        if document.dialect != "postgres" or statement is None or not isinstance(alter, exp.Alter):
            return
        if role_of(document, statement) != Role.UP:
            return
        key = table_key(alter.this, document.dialect)
        column = ident(node.this)
        if key is None or column_created_in_same_migration(document, key, column):
            return
        if self._proven(key):
            return
        if is_synthesized(document) == "alembic":
            fix = (
                f'first `op.create_check_constraint("{column}_not_null", "{display(key)}", '
                f'"{column} IS NOT NULL", postgresql_not_valid=True)`, then `op.execute("ALTER '
                f'TABLE {display(key)} VALIDATE CONSTRAINT {column}_not_null")` (in a later '
                "migration on a busy table), then `nullable=False`"
            )
        else:
            fix = (
                f"first `ADD CONSTRAINT {column}_not_null CHECK ({column} IS NOT NULL) NOT VALID`, "
                f"then `VALIDATE CONSTRAINT {column}_not_null` (which only takes a SHARE UPDATE "
                "EXCLUSIVE lock), then `SET NOT NULL`, which then skips the scan (Postgres 12+)"
            )
        self.report(
            node,
            f"`SET NOT NULL` on `{column}` scans all of `{display(key)}` under an ACCESS "
            f"EXCLUSIVE lock, blocking reads and writes; {fix}.",
        )

    def _proven(self, key: str) -> bool:
        migration = migration_of(self.context.document)
        statement = self.context.statement
        if migration is None or statement is None:
            return False
        for document in migration.unit.documents:
            for earlier in document.statements:
                if document is self.context.document and earlier.start >= statement.start:
                    break
                if _validates_on(key, earlier.text):
                    return True
        return False
