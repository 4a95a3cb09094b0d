"""index-without-concurrently: CREATE/DROP INDEX in a Postgres migration that locks out writes."""

from __future__ import annotations

from sqlglot import exp

from reviewbot.model.findings import Fix
from reviewbot.model.rule import SqlRule
from reviewbot.sql.fixes import alembic_concurrently_fix, concurrently_fix, python_call_end
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
        fix = self._fix()
        self.report(
            node,
            f"`CREATE INDEX` on `{display(key)}` blocks writes to the table until the index is "
            f"built; {self._how('create', fix)}",
            existing_table=key,
            fix=fix,
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
        fix = self._fix()
        self.report(
            node,
            "`DROP INDEX` takes an exclusive lock on the table, blocking reads and writes while "
            f"it waits for running queries; {self._how('drop', fix)}",
            fix=fix,
        )

    def _statement(self) -> exp.Expression | None:
        return self.context.statement.expression if self.context.statement else None

    def _fix(self) -> Fix | None:
        document = self.context.document
        statement = self.context.statement
        assert statement is not None
        if is_synthesized(document) == "alembic":
            start = document.host_offset(statement.start)
            end = python_call_end(document.host.text, start)
            return alembic_concurrently_fix(document.host, start, end) if end else None
        return concurrently_fix(document, statement)

    def _how(self, verb: str, fix: Fix | None) -> str:
        if is_synthesized(self.context.document) == "alembic":
            return (
                f"pass `postgresql_concurrently=True` to `op.{verb}_index` and run it inside "
                "`with op.get_context().autocommit_block():`."
            )
        migration = migration_of(self.context.document)
        outside = OUTSIDE_TRANSACTION.get(migration.tool if migration else "", _GENERIC)
        # No automatic fix inside a transaction: CONCURRENTLY there fails, and moving the
        # statement out of it is a change to how the migration runs, for its author to make.
        why = "" if fix is not None else " (not fixed automatically: this file runs in one)"
        return (
            f"use `{verb.upper()} INDEX CONCURRENTLY` so the table stays writable; it cannot run "
            f"in a transaction block{why}: {outside}."
        )


_GENERIC = "run it on its own, outside the transaction your migration tool wraps the file in"
# How each tool runs one migration outside a transaction (it wraps each file in one otherwise).
OUTSIDE_TRANSACTION = {
    "alembic": "run it inside `with op.get_context().autocommit_block():`",
    "dbmate": "start the file with `-- migrate:up transaction:false`",
    "goose": "add `-- +goose NO TRANSACTION` at the top of the file",
    "sql-migrate": "use `-- +migrate Up notransaction`",
    "golang-migrate": (
        "give it a migration file of its own (Postgres runs a multi-statement file as one "
        "implicit transaction)"
    ),
    "flyway": "put it in its own migration with `executeInTransaction=false` in a `.sql.conf` file "
    "beside it",
    "diesel": "put it in its own migration with `run_in_transaction = false` in `metadata.toml`",
    "django": "set `atomic = False` on the migration class (or use `AddIndexConcurrently` from "
    "`django.contrib.postgres.operations`)",
}
