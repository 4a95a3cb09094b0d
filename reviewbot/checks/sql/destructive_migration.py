"""destructive-migration: a migration drops, renames or truncates what running code still uses."""

from __future__ import annotations

from sqlglot import exp

from reviewbot.model.rule import SqlRule
from reviewbot.sql.migrations import (
    Role,
    column_created_in_same_migration,
    created_in_same_migration,
    is_sequence_name,
    role_of,
)
from reviewbot.sql.names import command_words, display, ident, rename_targets, table_key

_EXPAND_CONTRACT = (
    "deploy code that no longer uses it first and drop it in a later migration "
    "(expand/contract), or suppress this finding once that is done."
)


class DestructiveMigration(SqlRule):
    id = "destructive-migration"

    def _in_up_migration(self) -> bool:
        statement = self.context.statement
        return statement is not None and role_of(self.context.document, statement) == Role.UP

    def _fresh(self, key: str | None) -> bool:
        return created_in_same_migration(self.context.document, key)

    def visit_Drop(self, node: exp.Drop) -> None:
        kind = str(node.args.get("kind") or "").upper()
        if kind not in ("TABLE", "SCHEMA", "COLUMN", "DATABASE") or not self._in_up_migration():
            return
        if kind == "DATABASE":
            names = ", ".join(f"`{ident(t)}`" for t in node.args.get("tables") or ()) or "it"
            self.report(
                node,
                f"`DROP DATABASE` deletes {names} and every table in it, in every "
                "environment this migration runs in; a migration must not drop its database.",
            )
            return
        dialect = self.context.document.dialect
        if kind == "COLUMN":
            alter = node.parent
            key = table_key(alter.this, dialect) if isinstance(alter, exp.Alter) else None
            if self._fresh(key):
                return
            columns = ", ".join(f"`{ident(t)}`" for t in node.args.get("tables") or ())
            where = f" from `{display(key)}`" if key else ""
            self.report(
                node,
                f"Dropping column {columns}{where} deletes its data and breaks code that still "
                f"reads or writes it; {_EXPAND_CONTRACT}",
            )
            return
        if kind == "SCHEMA":
            self.report(node, f"`DROP SCHEMA` deletes every table in it; {_EXPAND_CONTRACT}")
            return
        keys = [table_key(t, dialect) for t in node.args.get("tables") or ()]
        if keys and all(self._fresh(k) for k in keys):
            return
        names = ", ".join(f"`{display(k)}`" for k in keys if k and not self._fresh(k))
        self.report(
            node,
            f"Dropping table {names} deletes its data and breaks code that still queries it; "
            f"{_EXPAND_CONTRACT}",
        )

    def visit_TruncateTable(self, node: exp.TruncateTable) -> None:
        if not self._in_up_migration():
            return
        keys = [table_key(t, self.context.document.dialect) for t in node.expressions]
        if keys and all(self._fresh(k) for k in keys):
            return
        self.report(
            node,
            "`TRUNCATE` in a migration deletes every row, in every environment it runs in; move "
            "data clean-up out of schema migrations or scope it with `DELETE ... WHERE`.",
        )

    def visit_Alter(self, node: exp.Alter) -> None:
        if str(node.args.get("kind") or "").upper() != "TABLE" or not self._in_up_migration():
            return
        key = table_key(node.this, self.context.document.dialect)
        if key is None or self._fresh(key) or is_sequence_name(self.context.document, key):
            return
        for action in node.args.get("actions") or ():
            if isinstance(action, exp.RenameColumn) and column_created_in_same_migration(
                self.context.document, key, ident(action.this)
            ):
                continue  # added earlier in this migration: nothing uses it yet
            if isinstance(action, exp.AlterRename):
                self.report(
                    action,
                    f"Renaming table `{display(key)}` to `{action.this.name}` breaks running code "
                    "that still uses the old name; add the new name alongside the old one (a view "
                    "or a copy) and switch the code over before removing it.",
                )
            elif isinstance(action, exp.RenameColumn):
                self.report(
                    action,
                    f"Renaming column `{ident(action.this)}` of `{display(key)}` breaks running "
                    "code that still uses the old name; add the new column, write both, backfill, "
                    "switch reads, then drop the old one.",
                )
            elif isinstance(action, exp.ModifyColumn) and action.args.get("rename_from"):
                self.report(
                    action,
                    f"`CHANGE COLUMN` renames `{ident(action.args.get('rename_from'))}` of "
                    f"`{display(key)}`, breaking running code that still uses the old name; "
                    "add the new column alongside the old one instead.",
                )

    def visit_Command(self, node: exp.Command) -> None:
        statement = self.context.statement
        if statement is None or node is not statement.expression or not self._in_up_migration():
            return
        words = command_words(self.context.document, statement)
        if len(words) > 2 and words[0].upper == "RENAME" and words[1].upper == "TABLE":
            renamed = rename_targets(words, self.context.document.dialect)
            if renamed and not all(self._fresh(k) for k in renamed):
                self.report(
                    node,
                    "`RENAME TABLE` breaks running code that still uses the old name; add the "
                    "new name alongside the old one and switch the code over first.",
                )
