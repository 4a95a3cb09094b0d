"""Alembic operations (`op.create_table`, `op.add_column`, ...) translated into the DDL they emit.

Every SQL rule and the schema catalog then treat an Alembic revision like a `.sql` migration. Each
piece of the generated statement is tied to the Python node it came from (the column's
`sa.Column(...)`, its type `sa.DateTime()`, the `postgresql_concurrently=` keyword), so a finding
points at the Python line responsible.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import libcst as cst
from sqlglot import exp

from reviewbot.python.names import string_value

# A statement to synthesize: text pieces, each standing for the span of one Python node.
Piece = tuple[str, cst.CSTNode]
Plan = list[Piece]
ConstStr = Callable[[cst.BaseExpression | None], "str | None"]

# SQLAlchemy type class name -> SQL type (None: a user-defined type named after the class).
_TYPES: dict[str, str] = {
    "integer": "INTEGER",
    "int": "INTEGER",
    "biginteger": "BIGINT",
    "bigint": "BIGINT",
    "smallinteger": "SMALLINT",
    "smallint": "SMALLINT",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "time": "TIME",
    "interval": "INTERVAL",
    "text": "TEXT",
    "unicodetext": "TEXT",
    "clob": "TEXT",
    "float": "FLOAT",
    "real": "REAL",
    "double": "DOUBLE PRECISION",
    "double_precision": "DOUBLE PRECISION",
    "json": "JSON",
    "jsonb": "JSONB",
    "uuid": "UUID",
    "uuidtype": "UUID",
    "largebinary": "BYTEA",
    "bytea": "BYTEA",
    "blob": "BLOB",
    "binary": "BYTEA",
    "enum": "VARCHAR",
    "inet": "INET",
    "cidr": "CIDR",
    "tsvector": "TSVECTOR",
}
_SIZED = {"string", "varchar", "unicode", "char", "nvarchar", "nchar"}
_DECIMAL = {"numeric", "decimal"}
_TIMESTAMP = {"datetime", "timestamp"}
# Operations whose first argument names a constraint or index and the second the table.
_TABLE_SECOND = {
    "create_index",
    "create_unique_constraint",
    "create_primary_key",
    "drop_constraint",
}
_NOT_TYPES = {"ForeignKey", "Identity", "Computed", "Sequence", "CheckConstraint"}


def call_name(node: cst.BaseExpression) -> str:
    """The called name's last part: `sa.Column(...)` -> `Column`."""
    func = node.func if isinstance(node, cst.Call) else node
    if isinstance(func, cst.Name):
        return func.value
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return ""


@dataclass(slots=True)
class Args:
    positional: list[cst.BaseExpression] = field(default_factory=list)
    keywords: dict[str, cst.Arg] = field(default_factory=dict)
    star: bool = False

    def kw(self, name: str) -> cst.BaseExpression | None:
        arg = self.keywords.get(name)
        return arg.value if arg is not None else None

    def get(self, index: int, name: str) -> cst.BaseExpression | None:
        if name in self.keywords:
            return self.keywords[name].value
        return self.positional[index] if index < len(self.positional) else None


def split_args(call: cst.Call) -> Args:
    args = Args()
    for arg in call.args:
        if arg.star:
            args.star = True
        elif arg.keyword is not None:
            args.keywords[arg.keyword.value] = arg
        else:
            args.positional.append(arg.value)
    return args


_SQL_FUNCTION = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def default_sql(node: cst.BaseExpression) -> str:
    """The SQL of a `server_default=` as the database would receive it: a string literal quoted,
    `sa.text("...")` as written, `sa.func.now()` as `now()`, `sa.true()`/`false()`/`null()`.
    Anything computed in Python becomes `0`: the column has some default, which is all a static
    rule needs (a verification run reports such migrations as approximations)."""
    literal = string_value(node)
    if literal is not None:
        return sql_string(literal)
    if isinstance(node, cst.Call):
        name = call_name(node)
        args = split_args(node)
        if name == "text" and len(args.positional) == 1 and not args.keywords:
            text = string_value(args.positional[0])
            if text is not None and "\x00" not in text:
                return text
        if name in ("true", "false", "null") and not node.args:
            return name
        func = node.func
        if (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, (cst.Attribute, cst.Name))
            and call_name(func.value) == "func"
            and not node.args
            and _SQL_FUNCTION.match(name)
        ):
            return f"{name}()"
    return "0"


def is_true(node: cst.BaseExpression | None) -> bool:
    return isinstance(node, cst.Name) and node.value == "True"


def is_none(node: cst.BaseExpression | None) -> bool:
    return node is None or (isinstance(node, cst.Name) and node.value == "None")


def quote(name: str, dialect: str) -> str:
    return exp.to_identifier(name, quoted=True).sql(dialect=dialect)


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@dataclass(slots=True)
class Translator:
    """Turns one Alembic operation call into planned statements."""

    dialect: str
    const: ConstStr
    # Facts about the last translated call that DDL cannot say (a column's type before a change).
    notes: dict[str, Any] = field(default_factory=dict)

    def table(
        self, name_node: cst.BaseExpression | None, schema: cst.BaseExpression | None
    ) -> str | None:
        name = self.const(name_node)
        if not name:
            return None
        schema_name = self.const(schema) if schema is not None else None
        quoted = quote(name, self.dialect)
        return f"{quote(schema_name, self.dialect)}.{quoted}" if schema_name else quoted

    def names(self, node: cst.BaseExpression | None) -> list[str] | None:
        """A constant list of column names (`["a", "b"]`); None when any is not a plain name."""
        if not isinstance(node, (cst.List, cst.Tuple)):
            single = self.const(node)
            return [single] if single else None
        out = []
        for element in node.elements:
            value = self.const(element.value)
            if not value:
                return None
            out.append(value)
        return out

    def column_list(self, names: list[str]) -> str:
        return "(" + ", ".join(quote(n, self.dialect) for n in names) + ")"

    # -- types ---------------------------------------------------------------------------------

    def type_sql(self, node: cst.BaseExpression | None) -> str:
        if node is None:
            return "INTEGER"
        # `sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql")`: the base type, elsewhere.
        while (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value == "with_variant"
        ):
            node = node.func.value
        name = call_name(node).lower()
        call = node if isinstance(node, cst.Call) else None
        args = split_args(call) if call is not None else Args()
        if name in _TIMESTAMP:
            tz = args.get(0, "timezone")
            return "TIMESTAMP WITH TIME ZONE" if is_true(tz) else "TIMESTAMP"
        if name in _SIZED:
            length = args.get(0, "length")
            if isinstance(length, cst.Integer):
                return f"VARCHAR({length.value})"
            return "VARCHAR"
        if name in _DECIMAL:
            precision, scale = args.get(0, "precision"), args.get(1, "scale")
            if isinstance(precision, cst.Integer) and isinstance(scale, cst.Integer):
                return f"NUMERIC({precision.value}, {scale.value})"
            if isinstance(precision, cst.Integer):
                return f"NUMERIC({precision.value})"
            return "NUMERIC"
        if name in _TYPES:
            mapped = _TYPES[name]
            if self.dialect != "postgres" and mapped in (
                "JSONB",
                "UUID",
                "BYTEA",
                "INET",
                "CIDR",
                "TSVECTOR",
            ):
                return "TEXT"
            return mapped
        if name == "array":
            return "TEXT" if self.dialect != "postgres" else "TEXT[]"
        # A type we do not know: keep it opaque (a user-defined type) where the dialect allows.
        self.notes["opaque_type"] = True
        if self.dialect in ("postgres", "sqlite") and name.isidentifier():
            return f"{name}_t"
        return "TEXT"

    # -- columns -------------------------------------------------------------------------------

    def column(self, call: cst.Call, inline_pk: bool) -> tuple[list[Piece], str | None] | None:
        """Pieces of a column definition and the column's name."""
        args = split_args(call)
        name = self.const(args.get(0, "name"))
        if not name or not args.positional:
            return None
        rest = args.positional[1:]
        type_node = args.kw("type_")
        if type_node is None and rest and call_name(rest[0]) not in _NOT_TYPES:
            type_node = rest[0]
        name_node = args.keywords["name"].value if "name" in args.keywords else args.positional[0]
        pieces: list[Piece] = [(quote(name, self.dialect), name_node)]
        pieces.append((" " + self.type_sql(type_node), type_node or call))
        primary = is_true(args.kw("primary_key"))
        if primary and inline_pk:
            pieces.append((" PRIMARY KEY", args.keywords["primary_key"]))
        nullable = args.kw("nullable")
        if (
            nullable is not None and isinstance(nullable, cst.Name) and nullable.value == "False"
        ) or (primary and nullable is None):
            pieces.append((" NOT NULL", nullable if nullable is not None else call))
        default = args.kw("server_default")
        if not is_none(default):
            assert default is not None
            pieces.append((" DEFAULT " + default_sql(default), default))
        for extra in rest:
            kind = call_name(extra)
            if kind in ("Identity", "Computed") or (
                kind == "Sequence" and isinstance(extra, cst.Call)
            ):
                pieces.append((" DEFAULT 0", extra))
        if is_true(args.kw("unique")):
            pieces.append((" UNIQUE", args.keywords["unique"]))
        for extra in rest:
            if isinstance(extra, cst.Call) and call_name(extra) == "ForeignKey":
                target = self.reference(split_args(extra).get(0, "column"))
                if target is not None:
                    pieces.append((" REFERENCES " + target, extra))
        return pieces, name

    def reference(self, node: cst.BaseExpression | None) -> str | None:
        """`"schema.table.column"` -> `"schema"."table" ("column")`."""
        target = self.const(node)
        if not target or "." not in target:
            return None
        parts = target.split(".")
        table = ".".join(quote(p, self.dialect) for p in parts[:-1])
        return f"{table} ({quote(parts[-1], self.dialect)})"

    def index_plan(
        self,
        call: cst.Call,
        anchor: cst.CSTNode,
        name: str | None,
        table: str,
        columns: cst.BaseExpression | None,
        args: Args,
    ) -> Plan | None:
        if not isinstance(columns, (cst.List, cst.Tuple)):
            names = self.names(columns)
            parts = [quote(n, self.dialect) for n in names] if names else None
        else:
            parts = []
            for element in columns.elements:
                value = self.const(element.value)
                # An expression (`sa.text("lower(email)")`) indexes no plain column.
                parts.append(quote(value, self.dialect) if value else "(1)")
        if not parts:
            return None
        concurrently = is_true(args.kw("postgresql_concurrently"))
        head = "CREATE UNIQUE INDEX" if is_true(args.kw("unique")) else "CREATE INDEX"
        plan: Plan = [(head, anchor)]
        if concurrently:
            plan.append((" CONCURRENTLY", args.keywords["postgresql_concurrently"]))
        if is_true(args.kw("if_not_exists")):
            plan.append((" IF NOT EXISTS", args.keywords["if_not_exists"]))
        if name:
            plan.append((" " + quote(name, self.dialect), anchor))
        plan.append((f" ON {table}", anchor))
        using = self.const(args.kw("postgresql_using"))
        if using and self.dialect == "postgres" and using.isidentifier():
            plan.append((f" USING {using}", args.keywords["postgresql_using"]))
        plan.append((" (" + ", ".join(parts) + ")", columns or call))
        if args.kw("postgresql_where") is not None or args.kw("sqlite_where") is not None:
            key = "postgresql_where" if "postgresql_where" in args.keywords else "sqlite_where"
            plan.append((" WHERE TRUE", args.keywords[key]))
        return plan

    # -- operations ----------------------------------------------------------------------------

    def translate(self, op: str, call: cst.Call, batch_table: str | None = None) -> list[Plan]:
        """Statements for `op.<op>(...)` (or `batch_op.<op>(...)` when `batch_table` is set)."""
        self.notes = {}
        args = split_args(call)
        if args.star:
            return []
        handler = getattr(self, f"_op_{op}", None)
        if handler is None:
            return []
        offset = 0 if batch_table is not None else 1
        table = batch_table
        if batch_table is None and op not in ("create_foreign_key", "rename_table", "drop_index"):
            position = 1 if op in _TABLE_SECOND else 0
            table = self.table(args.get(position, "table_name"), args.kw("schema"))
            if table is None:
                return []
        plans: list[Plan] = handler(call, args, table, offset)
        return [p for p in plans if p]

    def _op_create_table(self, call: cst.Call, args: Args, table: str, offset: int) -> list[Plan]:
        elements = args.positional[1:]
        columns = [e for e in elements if isinstance(e, cst.Call) and call_name(e) == "Column"]
        pk_columns = [c for c in columns if is_true(split_args(c).kw("primary_key"))]
        body: list[list[Piece]] = []
        extra: list[Plan] = []
        for element in elements:
            if not isinstance(element, cst.Call):
                continue
            kind = call_name(element)
            if kind == "Column":
                translated = self.column(element, inline_pk=len(pk_columns) == 1)
                if translated is None:
                    continue
                pieces, name = translated
                body.append(pieces)
                column_args = split_args(element)
                if is_true(column_args.kw("index")) and name:
                    extra.append(
                        [
                            (
                                f"CREATE INDEX ON {table} ({quote(name, self.dialect)})",
                                column_args.keywords["index"],
                            )
                        ]
                    )
            elif kind in ("PrimaryKeyConstraint", "UniqueConstraint"):
                names = [self.const(a) for a in split_args(element).positional]
                if names and all(names):
                    keyword = "PRIMARY KEY" if kind == "PrimaryKeyConstraint" else "UNIQUE"
                    body.append([(f"{keyword} {self.column_list(names)}", element)])  # type: ignore[arg-type]
            elif kind == "ForeignKeyConstraint":
                element_args = split_args(element)
                local = self.names(element_args.get(0, "columns"))
                remote = self.names(element_args.get(1, "refcolumns"))
                if local and remote and all("." in r for r in remote):
                    target_table = ".".join(
                        quote(p, self.dialect) for p in remote[0].split(".")[:-1]
                    )
                    target_columns = [r.split(".")[-1] for r in remote]
                    body.append(
                        [
                            (
                                f"FOREIGN KEY {self.column_list(local)} REFERENCES {target_table} "
                                f"{self.column_list(target_columns)}",
                                element,
                            )
                        ]
                    )
            elif kind == "Index":
                element_args = split_args(element)
                index_name = self.const(element_args.get(0, "name"))
                names = [self.const(a) for a in element_args.positional[1:]]
                if names and all(names):
                    head = (
                        "CREATE UNIQUE INDEX"
                        if is_true(element_args.kw("unique"))
                        else "CREATE INDEX"
                    )
                    label = f" {quote(index_name, self.dialect)}" if index_name else ""
                    extra.append([(f"{head}{label} ON {table} {self.column_list(names)}", element)])  # type: ignore[arg-type]
        if not body:
            return []
        if len(pk_columns) > 1:
            names = [self.const(split_args(c).get(0, "name")) for c in pk_columns]
            if all(names):
                body.append([(f"PRIMARY KEY {self.column_list(names)}", pk_columns[0])])  # type: ignore[arg-type]
        plan: Plan = [(f"CREATE TABLE {table} (", call.func)]
        for index, pieces in enumerate(body):
            if index:
                plan.append((", ", pieces[0][1]))
            plan.extend(pieces)
        plan.append((")", call))
        plans = [plan, *extra]
        comment = self.const(args.kw("comment"))
        if comment:
            plans.append(
                [(f"COMMENT ON TABLE {table} IS {sql_string(comment)}", args.keywords["comment"])]
            )
        return plans

    def _op_add_column(self, call: cst.Call, args: Args, table: str, offset: int) -> list[Plan]:
        column = args.get(offset, "column")
        if not isinstance(column, cst.Call) or call_name(column) != "Column":
            return []
        translated = self.column(column, inline_pk=True)
        if translated is None:
            return []
        pieces, name = translated
        plans: list[Plan] = [[(f"ALTER TABLE {table} ADD COLUMN ", call.func), *pieces]]
        column_args = split_args(column)
        if is_true(column_args.kw("index")) and name:
            plans.append(
                [
                    (
                        f"CREATE INDEX ON {table} ({quote(name, self.dialect)})",
                        column_args.keywords["index"],
                    )
                ]
            )
        return plans

    def _op_drop_column(self, call: cst.Call, args: Args, table: str, offset: int) -> list[Plan]:
        name = self.const(args.get(offset, "column_name"))
        if not name:
            return []
        return [[(f"ALTER TABLE {table} DROP COLUMN {quote(name, self.dialect)}", call)]]

    def _op_alter_column(self, call: cst.Call, args: Args, table: str, offset: int) -> list[Plan]:
        name = self.const(args.get(offset, "column_name"))
        if not name:
            return []
        column = f"ALTER TABLE {table} ALTER COLUMN {quote(name, self.dialect)}"
        plans: list[Plan] = []
        type_node = args.kw("type_")
        existing = args.kw("existing_type")
        if type_node is not None and existing is not None:
            self.notes["existing_types"] = {name.lower(): self.type_sql(existing)}
        if type_node is not None:
            plans.append([(column + " TYPE ", call.func), (self.type_sql(type_node), type_node)])
        nullable = args.kw("nullable")
        if isinstance(nullable, cst.Name) and nullable.value in ("True", "False"):
            action = " SET NOT NULL" if nullable.value == "False" else " DROP NOT NULL"
            plans.append([(column + action, args.keywords["nullable"])])
        if "server_default" in args.keywords:
            default = args.kw("server_default")
            action = (
                " DROP DEFAULT"
                if default is None or is_none(default)
                else " SET DEFAULT " + default_sql(default)
            )
            plans.append([(column + action, args.keywords["server_default"])])
        new_name = self.const(args.kw("new_column_name"))
        if new_name:
            plans.append(
                [
                    (
                        f"ALTER TABLE {table} RENAME COLUMN {quote(name, self.dialect)} TO "
                        f"{quote(new_name, self.dialect)}",
                        args.keywords["new_column_name"],
                    )
                ]
            )
        return plans

    def _op_drop_table(self, call: cst.Call, args: Args, table: str, offset: int) -> list[Plan]:
        return [[(f"DROP TABLE {table}", call)]]

    def _op_rename_table(
        self, call: cst.Call, args: Args, table: str | None, offset: int
    ) -> list[Plan]:
        schema = args.kw("schema")
        old = self.table(args.get(0, "old_table_name"), schema)
        new = self.const(args.get(1, "new_table_name"))
        if old is None or not new:
            return []
        return [[(f"ALTER TABLE {old} RENAME TO {quote(new, self.dialect)}", call)]]

    def _op_create_index(self, call: cst.Call, args: Args, table: str, offset: int) -> list[Plan]:
        name = self.const(args.get(0, "index_name"))
        columns = args.get(offset + 1, "columns")
        plan = self.index_plan(call, call.func, name, table, columns, args)
        return [plan] if plan else []

    def _op_drop_index(
        self, call: cst.Call, args: Args, table: str | None, offset: int
    ) -> list[Plan]:
        name = self.const(args.get(0, "index_name"))
        if not name:
            return []
        plan: Plan = [("DROP INDEX", call.func)]
        if is_true(args.kw("postgresql_concurrently")):
            plan.append((" CONCURRENTLY", args.keywords["postgresql_concurrently"]))
        if is_true(args.kw("if_exists")):
            plan.append((" IF EXISTS", args.keywords["if_exists"]))
        schema = self.const(args.kw("schema"))
        qualified = quote(name, self.dialect)
        if schema:
            qualified = f"{quote(schema, self.dialect)}.{qualified}"
        plan.append((" " + qualified, call))
        return [plan]

    def _op_create_foreign_key(
        self, call: cst.Call, args: Args, table: str | None, offset: int
    ) -> list[Plan]:
        if table is None:  # op.create_foreign_key(name, source, referent, local, remote)
            table = self.table(args.get(1, "source_table"), args.kw("source_schema"))
            referent = self.table(args.get(2, "referent_table"), args.kw("referent_schema"))
            local = self.names(args.get(3, "local_cols"))
            remote = self.names(args.get(4, "remote_cols"))
        else:  # batch_op.create_foreign_key(name, referent, local, remote)
            referent = self.table(args.get(1, "referent_table"), args.kw("referent_schema"))
            local = self.names(args.get(2, "local_cols"))
            remote = self.names(args.get(3, "remote_cols"))
        if table is None or referent is None or not local or not remote:
            return []
        name = self.const(args.get(0, "constraint_name"))
        label = f"CONSTRAINT {quote(name, self.dialect)} " if name else ""
        return [
            [
                (
                    f"ALTER TABLE {table} ADD {label}FOREIGN KEY {self.column_list(local)} "
                    f"REFERENCES {referent} {self.column_list(remote)}",
                    call,
                )
            ]
        ]

    def _constraint(
        self, keyword: str, call: cst.Call, args: Args, table: str, offset: int
    ) -> list[Plan]:
        columns = self.names(args.get(offset + 1, "columns"))
        if not columns:
            return []
        name = self.const(args.get(0, "constraint_name"))
        label = f"CONSTRAINT {quote(name, self.dialect)} " if name else ""
        return [[(f"ALTER TABLE {table} ADD {label}{keyword} {self.column_list(columns)}", call)]]

    def _op_create_unique_constraint(
        self, call: cst.Call, args: Args, table: str, offset: int
    ) -> list[Plan]:
        return self._constraint("UNIQUE", call, args, table, offset)

    def _op_create_primary_key(
        self, call: cst.Call, args: Args, table: str, offset: int
    ) -> list[Plan]:
        return self._constraint("PRIMARY KEY", call, args, table, offset)

    def _op_drop_constraint(
        self, call: cst.Call, args: Args, table: str, offset: int
    ) -> list[Plan]:
        name = self.const(args.get(0, "constraint_name"))
        if not name:
            return []
        return [[(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name, self.dialect)}", call)]]

    def _op_create_table_comment(
        self, call: cst.Call, args: Args, table: str, offset: int
    ) -> list[Plan]:
        comment = self.const(args.get(offset, "comment"))
        if comment is None:
            return []
        return [[(f"COMMENT ON TABLE {table} IS {sql_string(comment)}", call)]]

    def _op_drop_table_comment(
        self, call: cst.Call, args: Args, table: str, offset: int
    ) -> list[Plan]:
        return [[(f"COMMENT ON TABLE {table} IS NULL", call)]]
