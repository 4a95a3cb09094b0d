"""Down migrations generated from up migrations: exact inverses in reverse order, or a stub.

Each up statement gets the statement that undoes it exactly (`CREATE TABLE` -> `DROP TABLE`,
`ADD COLUMN` -> `DROP COLUMN`, a rename -> the rename back), or, when nothing in the statement
says what it destroyed or replaced (a `DROP`, an `UPDATE`, a type change whose old type no
migration states), a to-do that says what to write by hand. Statements on a table the same
migration creates need no inverse of their own: dropping the table undoes them.

`IF NOT EXISTS` is read as "this migration creates it" (the down step uses `IF EXISTS`), except
for extensions, which many migrations declare again and which a down step must not drop under
the others: `CREATE EXTENSION IF NOT EXISTS` gets a to-do.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlglot import exp

from reviewbot.sql.names import ident, table_key
from reviewbot.sql.source import SqlStatement

TODO = "TODO"
# (table key, column) -> the column's type before the statement, when the schema catalog knows it.
PriorType = Callable[[SqlStatement, str], exp.DataType | None]


@dataclass(frozen=True, slots=True)
class DownStep:
    """One step of a generated down migration: an exact inverse, or what to write by hand."""

    sql: str | None = None
    todo: str | None = None


@dataclass(frozen=True, slots=True)
class DownMigration:
    """The down migration of one up migration, statements in the order they must run."""

    steps: tuple[DownStep, ...]
    up_statements: int

    @property
    def exact(self) -> int:
        return sum(1 for s in self.steps if s.sql is not None)

    @property
    def stubs(self) -> int:
        return sum(1 for s in self.steps if s.todo is not None)

    @property
    def complete(self) -> bool:
        """Every up statement is undone exactly: nothing is left to write by hand."""
        return self.stubs == 0 and self.exact > 0

    def sql_text(self, comment: str = "--") -> str:
        """The down migration as SQL: one statement a line, to-dos as comments."""
        lines: list[str] = []
        for step in self.steps:
            if step.sql is not None:
                lines.append(step.sql + ";")
            elif step.todo is not None:
                lines.append(f"{comment} {TODO}: {step.todo}")
        return "\n".join(lines) + ("\n" if lines else "")


def _short(text: str, limit: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _stub(statement: SqlStatement, why: str) -> DownStep:
    return DownStep(todo=f"undo `{_short(statement.text)}` by hand ({why})")


@dataclass(slots=True)
class _Inverter:
    dialect: str
    prior_type: PriorType | None
    created: set[str]  # table keys this migration creates (renames followed)
    dropped_later: set[str]  # table keys created and dropped again within the migration
    created_indexes: set[str]
    added_columns: set[tuple[str, str]]

    # -- helpers -------------------------------------------------------------------------------

    def name(self, node: exp.Expression) -> str:
        return node.sql(dialect=self.dialect)

    def key(self, node: exp.Expression | None) -> str | None:
        return table_key(node, self.dialect)

    def is_new(self, node: exp.Expression | None) -> bool:
        key = self.key(node)
        return key is not None and key in self.created

    # -- dispatch ------------------------------------------------------------------------------

    def invert(self, statement: SqlStatement) -> list[DownStep]:
        node = statement.expression
        if _NOTHING_TO_UNDO.match(" ".join(statement.text.split())):
            return []
        if node is None:
            return [_stub(statement, "the SQL parser could not read it")]
        if isinstance(node, exp.Create):
            return self._create(statement, node)
        if isinstance(node, exp.Alter):
            return self._alter(statement, node)
        if isinstance(node, exp.Drop):
            return self._drop(statement, node)
        if isinstance(node, (exp.Insert, exp.Update, exp.Delete, exp.Merge)):
            target = node.this
            if isinstance(target, exp.Schema):
                target = target.this
            if self.is_new(target):
                return []
            return [_stub(statement, "a data change: write what restores the rows")]
        if isinstance(node, exp.Comment):
            if self.is_new(node.this):
                return []
            return [_stub(statement, "the comment it replaces is not known")]
        if isinstance(node, (exp.Transaction, exp.Commit, exp.Rollback, exp.Set)):
            return []  # session and transaction control change no schema
        if isinstance(node, exp.Select):
            if node.find(exp.Func) is None and node.args.get("into") is None:
                return []
            return [_stub(statement, "it calls functions, which may change the database")]
        if isinstance(node, exp.Command):
            return self._command(statement)
        return [_stub(statement, "no exact inverse is known for this statement")]

    # -- CREATE --------------------------------------------------------------------------------

    def _create(self, statement: SqlStatement, node: exp.Create) -> list[DownStep]:
        kind = str(node.args.get("kind") or "").upper()
        exists = " IF EXISTS" if node.args.get("exists") else ""
        if node.args.get("replace"):
            return [_stub(statement, "`OR REPLACE`: the definition it replaced is not known")]
        properties = node.args.get("properties")
        props = {type(p).__name__ for p in properties.expressions} if properties else set()
        if kind == "TABLE":
            if "TemporaryProperty" in props:
                return []
            key = self.key(node.this)
            target = node.this.this if isinstance(node.this, exp.Schema) else node.this
            if key is None or not isinstance(target, exp.Table):
                return [_stub(statement, "the table name could not be read")]
            if key in self.dropped_later:
                return []
            return [DownStep(sql=f"DROP TABLE{exists} {self.name(target)}")]
        if kind == "INDEX":
            return self._create_index(statement, node, exists)
        if kind == "VIEW":
            materialized = " MATERIALIZED" if "MaterializedProperty" in props else ""
            if not isinstance(node.this, exp.Table):
                return [_stub(statement, "the view name could not be read")]
            return [DownStep(sql=f"DROP{materialized} VIEW{exists} {self.name(node.this)}")]
        if kind in ("TYPE", "SEQUENCE", "SCHEMA"):
            target = node.this
            if kind == "SCHEMA" and isinstance(target, exp.Table) and not target.name:
                target = target.args.get("db")  # sqlglot reads `CREATE SCHEMA app` as `app.`
            if isinstance(target, (exp.Table, exp.Identifier)) and target.name:
                return [DownStep(sql=f"DROP {kind}{exists} {self.name(target)}")]
            return [_stub(statement, f"the {kind.lower()} name could not be read")]
        if kind in ("FUNCTION", "PROCEDURE"):
            return self._create_function(statement, node, kind, exists)
        if kind == "TRIGGER":
            match = re.search(
                r"\bCREATE\s+(?:CONSTRAINT\s+)?TRIGGER\s+(?P<name>[\w\"$]+).*?\bON\s+"
                r"(?P<table>[\w\"$]+(?:\.[\w\"$]+)?)",
                statement.text,
                re.IGNORECASE | re.DOTALL,
            )
            if match and self.dialect == "postgres":
                return [DownStep(sql=f"DROP TRIGGER {match['name']} ON {match['table']}")]
            return [_stub(statement, "the trigger's name and table could not be read")]
        return [_stub(statement, f"no exact inverse is known for CREATE {kind}".rstrip())]

    def _create_index(
        self, statement: SqlStatement, node: exp.Create, exists: str
    ) -> list[DownStep]:
        index = node.this
        if not isinstance(index, exp.Index):
            return [_stub(statement, "the index could not be read")]
        table = index.args.get("table")
        key = self.key(table)
        if index.this is None or not ident(index.this):
            if key is not None and key in self.created:
                return []  # dropping the table drops its unnamed index
            return [_stub(statement, "the index has no name: look up the one the database gave it")]
        name = self.name(index.this)
        if key is not None and key in self.dropped_later:
            return []
        if self.dialect == "mysql" and isinstance(table, exp.Table):
            return [DownStep(sql=f"DROP INDEX {name} ON {self.name(table)}")]
        schema = table.args.get("db") if isinstance(table, exp.Table) else None
        if isinstance(schema, exp.Identifier) and self.dialect in ("postgres", "sqlite"):
            name = f"{self.name(schema)}.{name}"
        concurrently = " CONCURRENTLY" if node.args.get("concurrently") else ""
        return [DownStep(sql=f"DROP INDEX{concurrently}{exists} {name}")]

    def _create_function(
        self, statement: SqlStatement, node: exp.Create, kind: str, exists: str
    ) -> list[DownStep]:
        function = node.this
        if not isinstance(function, exp.UserDefinedFunction) or not isinstance(
            function.this, exp.Table
        ):
            return [_stub(statement, f"the {kind.lower()}'s signature could not be read")]
        types: list[str] = []
        for argument in function.expressions:
            if isinstance(argument, exp.ColumnDef) and isinstance(
                argument.args.get("kind"), exp.DataType
            ):
                types.append(argument.args["kind"].sql(dialect=self.dialect))
            elif isinstance(argument, exp.Identifier):
                types.append(argument.sql(dialect=self.dialect))
            else:
                return [_stub(statement, f"the {kind.lower()}'s argument types could not be read")]
        signature = f"{self.name(function.this)}({', '.join(types)})"
        return [DownStep(sql=f"DROP {kind}{exists} {signature}")]

    # -- ALTER ---------------------------------------------------------------------------------

    def _alter(self, statement: SqlStatement, node: exp.Alter) -> list[DownStep]:
        kind = str(node.args.get("kind") or "").upper()
        actions = list(node.args.get("actions") or ())
        if kind == "INDEX" and len(actions) == 1 and isinstance(actions[0], exp.AlterRename):
            old = node.this
            new = actions[0].this
            if isinstance(old, exp.Table) and isinstance(new, exp.Table):
                qualified = new.copy()
                if old.args.get("db") is not None and new.args.get("db") is None:
                    qualified.set("db", old.args["db"].copy())
                return [
                    DownStep(
                        sql=f"ALTER INDEX {self.name(qualified)} RENAME TO {self.name(old.this)}"
                    )
                ]
        if kind != "TABLE" or not isinstance(node.this, exp.Table):
            return [_stub(statement, f"no exact inverse is known for ALTER {kind}".rstrip())]
        table = node.this
        key = self.key(table)
        new_table = key is not None and key in self.created
        steps: list[DownStep] = []
        for action in actions:
            steps[:0] = self._action(statement, table, key, new_table, action)
            if isinstance(action, exp.AlterRename) and isinstance(action.this, exp.Table):
                renamed = action.this.copy()
                if table.args.get("db") is not None and renamed.args.get("db") is None:
                    renamed.set("db", table.args["db"].copy())
                new_key = self.key(renamed)
                if new_table and new_key:
                    self.created.add(new_key)
                table, key = renamed, new_key
        return steps

    def _action(
        self,
        statement: SqlStatement,
        table: exp.Table,
        key: str | None,
        new_table: bool,
        action: exp.Expression,
    ) -> list[DownStep]:
        head = f"ALTER TABLE {self.name(table)}"
        if isinstance(action, exp.ColumnDef):
            exists = " IF EXISTS" if action.args.get("exists") else ""
            if key is not None:
                self.added_columns.add((key, ident(action.this)))
            return [DownStep(sql=f"{head} DROP COLUMN{exists} {self.name(action.this)}")]
        if isinstance(action, exp.AddConstraint):
            if "USING INDEX" in statement.text.upper():
                return (
                    []
                    if new_table
                    else [
                        _stub(statement, "the constraint took over an index that must be rebuilt")
                    ]
                )
            steps: list[DownStep] = []
            for inner in action.expressions:
                if isinstance(inner, exp.Constraint) and ident(inner.this):
                    steps.insert(0, DownStep(sql=f"{head} DROP CONSTRAINT {self.name(inner.this)}"))
                elif isinstance(inner, exp.PrimaryKey) and self.dialect == "postgres":
                    # Postgres names it `<table>_pkey`, in the table name's case.
                    quoted = isinstance(table.this, exp.Identifier) and table.this.quoted
                    default = exp.to_identifier(f"{table.name}_pkey", quoted=quoted)
                    steps.insert(0, DownStep(sql=f"{head} DROP CONSTRAINT {self.name(default)}"))
                elif not new_table:
                    steps[:0] = self._unnamed(statement, head, table, inner)
            return steps
        if isinstance(action, exp.AlterRename) and isinstance(action.this, exp.Table):
            renamed = action.this.copy()
            if table.args.get("db") is not None and renamed.args.get("db") is None:
                renamed.set("db", table.args["db"].copy())
            return [
                DownStep(sql=f"ALTER TABLE {self.name(renamed)} RENAME TO {self.name(table.this)}")
            ]
        if isinstance(action, exp.RenameColumn):
            old, new = action.this, action.args.get("to")
            if old is None or new is None:
                return [_stub(statement, "the column names could not be read")]
            if key is not None and (key, ident(old)) in self.added_columns:
                self.added_columns.add((key, ident(new)))
            return [DownStep(sql=f"{head} RENAME COLUMN {self.name(new)} TO {self.name(old)}")]
        column_new = (
            key is not None
            and isinstance(action, exp.AlterColumn)
            and (key, ident(action.this)) in self.added_columns
        )
        if new_table or column_new:
            return []  # dropping the table (or the column) undoes it
        if isinstance(action, exp.AlterColumn):
            return self._alter_column(statement, head, key, action)
        if isinstance(action, exp.Drop):
            return [_stub(statement, "it drops something: recreate it as it was")]
        return [_stub(statement, "no exact inverse is known for this ALTER TABLE action")]

    def _unnamed(
        self, statement: SqlStatement, head: str, table: exp.Table, node: exp.Expression
    ) -> list[DownStep]:
        """An unnamed UNIQUE or FOREIGN KEY: Postgres names it `<table>_<columns>_key` / `_fkey`
        unless that name is taken; the drop uses that name, with a to-do to check it."""
        columns: list[str] = []
        suffix = None
        if isinstance(node, exp.ForeignKey):
            columns = [_stored_name(c) for c in node.expressions]
            suffix = "fkey"
        elif isinstance(node, exp.UniqueColumnConstraint) and isinstance(node.this, exp.Schema):
            columns = [_stored_name(c) for c in node.this.expressions]
            suffix = "key"
        table_name = _stored_name(table.this)
        name = default_constraint_name(table_name, columns, suffix) if suffix else None
        if self.dialect != "postgres" or name is None:
            return [_stub(statement, "the constraint has no name: look up the one it got")]
        quoted = isinstance(table.this, exp.Identifier) and table.this.quoted
        label = self.name(exp.to_identifier(name, quoted=quoted or name != name.lower()))
        return [
            DownStep(todo=f"check that PostgreSQL named the constraint {label} (its default)"),
            DownStep(sql=f"{head} DROP CONSTRAINT {label}"),
        ]

    def _alter_column(
        self, statement: SqlStatement, head: str, key: str | None, action: exp.AlterColumn
    ) -> list[DownStep]:
        column = f"{head} ALTER COLUMN {self.name(action.this)}"
        dtype = action.args.get("dtype")
        if isinstance(dtype, exp.DataType):
            old = self.prior_type(statement, ident(action.this)) if self.prior_type else None
            if old is None:
                return [_stub(statement, "the column's type before this migration is not known")]
            old = _storage_type(old)
            old_sql = old.sql(dialect=self.dialect)
            if self.dialect == "postgres":
                return [
                    DownStep(
                        sql=f"{column} TYPE {old_sql} USING {self.name(action.this)}::{old_sql}"
                    )
                ]
            return [DownStep(sql=f"{column} TYPE {old_sql}")]
        allow_null = action.args.get("allow_null")
        if allow_null is not None and action.args.get("default") is None:
            if allow_null:  # DROP NOT NULL: the column was NOT NULL before
                return [DownStep(sql=f"{column} SET NOT NULL")]
            return [DownStep(sql=f"{column} DROP NOT NULL")]
        return [_stub(statement, "the column's previous default is not known")]

    # -- DROP and the statements sqlglot keeps as text -----------------------------------------

    def _drop(self, statement: SqlStatement, node: exp.Drop) -> list[DownStep]:
        kind = str(node.args.get("kind") or "").upper()
        if kind == "TABLE":
            keys = [self.key(t) for t in node.args.get("tables") or ()]
            if keys and all(k in self.dropped_later for k in keys):
                return []
        if kind == "INDEX":
            names = [ident(t) for t in node.args.get("tables") or ()]
            if names and all(n in self.created_indexes for n in names):
                return []
        return [_stub(statement, f"DROP {kind.lower()}: recreate it as it was".replace("  ", " "))]

    def _command(self, statement: SqlStatement) -> list[DownStep]:
        text = " ".join(statement.text.split())
        name = r"(?P<name>(?:\"[^\"]+\"|[\w$]+)(?:\.(?:\"[^\"]+\"|[\w$]+))?)"
        match = re.match(rf"CREATE\s+EXTENSION\s+(?P<ine>IF\s+NOT\s+EXISTS\s+)?{name}", text, re.I)
        if match:
            if match["ine"]:
                return [
                    _stub(
                        statement,
                        "other migrations may use the extension: drop it only if none does",
                    )
                ]
            return [DownStep(sql=f"DROP EXTENSION {match['name']}")]
        match = re.match(rf"CREATE\s+(?P<kind>FUNCTION|PROCEDURE)\s+{name}\s*\(", text, re.I)
        if match:
            arguments = _argument_list(text, match.end() - 1)
            if arguments is not None:
                return [DownStep(sql=f"DROP {match['kind'].upper()} {match['name']}({arguments})")]
        match = re.match(rf"CREATE\s+POLICY\s+{name}\s+ON\s+(?P<table>\S+)", text, re.I)
        if match:
            return [DownStep(sql=f"DROP POLICY {match['name']} ON {match['table']}")]
        match = re.match(
            rf"ALTER\s+TABLE\s+(?:ONLY\s+)?{name}\s+(?P<verb>ENABLE|DISABLE)\s+ROW\s+LEVEL\s+"
            r"SECURITY$",
            text,
            re.I,
        )
        if match:
            verb = "DISABLE" if match["verb"].upper() == "ENABLE" else "ENABLE"
            return [DownStep(sql=f"ALTER TABLE {match['name']} {verb} ROW LEVEL SECURITY")]
        for pattern, why in _COMMAND_REASONS:
            if pattern.match(text):
                return [_stub(statement, why)]
        return [_stub(statement, "no exact inverse is known for this statement")]


# Statements that leave the schema as it was: session settings, locks, statistics, and
# `VALIDATE CONSTRAINT` (the constraint held before, now it is also checked on old rows).
_NOTHING_TO_UNDO = re.compile(
    r"(BEGIN|COMMIT|END|SET|RESET|LOCK|ANALYZE|VACUUM|REFRESH\s+MATERIALIZED\s+VIEW)\b"
    r"|ALTER\s+TABLE\s+.*\bVALIDATE\s+CONSTRAINT\s+[\w\"$]+$",
    re.I,
)
_COMMAND_REASONS = (
    (
        re.compile(r"CREATE\s+OR\s+REPLACE\b", re.I),
        "`OR REPLACE`: the definition it replaced is not known",
    ),
    (
        re.compile(r"ALTER\s+TYPE\s+.*\bADD\s+VALUE\b", re.I),
        "PostgreSQL cannot drop an enum value: recreate the type without it, or leave it",
    ),
    (re.compile(r"TRUNCATE\b", re.I), "a data change: write what restores the rows"),
    (re.compile(r"DO\b", re.I), "an anonymous code block: undo what it does"),
    (re.compile(r"(GRANT|REVOKE)\b", re.I), "the privileges before it are not known"),
)


def _argument_list(text: str, open_at: int) -> str | None:
    """A function's argument list as `DROP FUNCTION` takes it (modes, names and types; defaults
    left out), read from the `(` at `open_at`; None when the brackets do not close."""
    depth = 0
    for at in range(open_at, len(text)):
        if text[at] == "(":
            depth += 1
        elif text[at] == ")":
            depth -= 1
            if depth == 0:
                inner = text[open_at + 1 : at]
                parts = []
                for argument in _split_top_level(inner):
                    argument = re.split(r"\s+DEFAULT\s+|\s*=\s*", argument, maxsplit=1, flags=re.I)[
                        0
                    ].strip()
                    if argument:
                        parts.append(argument)
                return ", ".join(parts)
    return None


def _split_top_level(text: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


# `serial` is a column shorthand (an integer with a sequence default), not a type ALTER accepts.
_SERIAL = {
    exp.DataType.Type.SMALLSERIAL: exp.DataType.Type.SMALLINT,
    exp.DataType.Type.SERIAL: exp.DataType.Type.INT,
    exp.DataType.Type.BIGSERIAL: exp.DataType.Type.BIGINT,
}


def _stored_name(node: exp.Expression | None) -> str:
    """A name as Postgres stores it: quoted as written, unquoted folded to lower case."""
    if isinstance(node, exp.Column):
        node = node.this
    if isinstance(node, exp.Identifier):
        return str(node.this) if node.quoted else str(node.this).lower()
    return ""


def default_constraint_name(table: str, columns: Sequence[str], suffix: str) -> str | None:
    """The name PostgreSQL gives an unnamed constraint when it is free (`orders_user_id_fkey`);
    None when it would be truncated (more than 63 bytes) or a column is not a plain name."""
    if not table or not columns or not all(columns):
        return None
    name = "_".join([table, *columns, suffix])
    return name if len(name.encode()) <= 63 else None


def _storage_type(dtype: exp.DataType) -> exp.DataType:
    if dtype.this in _SERIAL:
        return exp.DataType(this=_SERIAL[dtype.this])
    return dtype


def _created(
    statements: Sequence[SqlStatement], dialect: str
) -> tuple[set[str], set[str], set[str]]:
    """Tables the statements create, those of them dropped again, and indexes they create."""
    created: set[str] = set()
    dropped_later: set[str] = set()
    indexes: set[str] = set()
    for statement in statements:
        node = statement.expression
        if isinstance(node, exp.Create):
            kind = str(node.args.get("kind") or "").upper()
            if kind == "TABLE":
                key = table_key(node.this, dialect)
                if key:
                    created.add(key)
            elif kind == "INDEX" and isinstance(node.this, exp.Index) and node.this.this:
                indexes.add(ident(node.this.this))
        elif isinstance(node, exp.Drop) and str(node.args.get("kind") or "").upper() == "TABLE":
            for target in node.args.get("tables") or ():
                key = table_key(target, dialect)
                if key and key in created:
                    dropped_later.add(key)
    return created, dropped_later, indexes


def invert(
    statements: Sequence[SqlStatement], dialect: str, prior_type: PriorType | None = None
) -> DownMigration:
    """The down migration of `statements` (an up migration's, in the order they run)."""
    created, dropped_later, indexes = _created(statements, dialect)
    inverter = _Inverter(dialect, prior_type, created, dropped_later, indexes, set())
    steps: list[DownStep] = []
    for statement in statements:
        steps[:0] = inverter.invert(statement)
    return DownMigration(tuple(steps), len(statements))
