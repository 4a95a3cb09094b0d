"""sql-injection: SQL text formatted from non-constant values reaching a query API."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

import libcst as cst

from reviewbot.model.findings import Edit, Fix
from reviewbot.model.rule import PythonRule
from reviewbot.python.context import Where
from reviewbot.python.foreign import ForeignSuppressions
from reviewbot.python.query_variable import single_use_value
from reviewbot.python.sql_params import DOLLAR, DRIVER_STYLES, FORMAT, NAMED, QMARK, rewrite
from reviewbot.python.strings import Built, StringTracker
from reviewbot.python.syntax import Syntax, sql_sink_calls, string_constant
from reviewbot.python.vocabulary import words
from reviewbot.sql.sinks import METHOD_SINKS, RESOLVED_SINKS

SQL_KEYWORD_ARGS = ("sql", "query", "statement", "operation", "stmt")
# Django `QuerySet.extra(where=[...], select={...})`: each entry is a raw SQL fragment.
EXTRA_FRAGMENT_ARGS = ("where", "select")
LOOKS_LIKE_SQL = re.compile(
    r"^\s*\(?\s*(select|insert|update|delete|with|create|alter|drop|truncate|merge|replace|"
    r"grant|revoke|call|exec|explain|analyze|vacuum|copy|pragma|upsert|lock|set|show|declare)\b",
    re.IGNORECASE,
)
LOOKS_LIKE_SQL_BODY = re.compile(
    r"\b(from|where|values|set|join|order\s+by|group\s+by|limit)\b", re.IGNORECASE
)


# Names of values that are SQL identifiers (a table, a column, a sequence) the code itself picks:
# loop variables over schema metadata, model attributes, helper methods, typically in migrations,
# maintenance scripts and test utilities. An identifier cannot be a bind parameter; flagging
# every such f-string would bury the injections worth fixing. An identifier taken from the
# function's caller (a parameter) is still reported: nothing shows where it came from.
IDENTIFIER_WORDS = frozenset(
    {
        "table",
        "tables",
        "tablename",
        "tbl",
        "column",
        "columns",
        "col",
        "cols",
        "sequence",
        "seq",
        "schema",
        "index",
        "constraint",
        "trigger",
        "view",
        "sequences",
        "indexes",
        "constraints",
        "identifier",
        "ident",
        "db_table",
        "database",
        "savepoint",
        "alias",
        "aliases",
    }
)


def is_identifier_part(code: str) -> bool:
    """`table_name`, `self._column()`, `table.name`, `model._meta.db_table`, `seq`."""
    parts = code.split("(", 1)[0].split(".")
    return any(set(words(part)) & IDENTIFIER_WORDS for part in parts)


def looks_like_sql(built: Built) -> bool:
    fragments = [f for f in built.fragments if f.strip()]
    if not fragments:
        return False
    if any(LOOKS_LIKE_SQL.match(f) for f in fragments):
        return True
    # A query assembled from clauses (`base + " WHERE " + cond`) may not start with a keyword.
    return sum(1 for f in fragments if LOOKS_LIKE_SQL_BODY.search(f)) >= 2


def _ast_sql_argument(call: ast.Call) -> ast.expr | None:
    """What `SqlInjection._sql_argument` picks, on the ast."""
    for keyword in call.keywords:
        if keyword.arg in SQL_KEYWORD_ARGS:
            return keyword.value
    for arg in call.args:
        if not isinstance(arg, ast.Starred):
            return arg
    return None


# `SET [LOCAL|SESSION] name = ...` / `TO ...`: a run-time setting, which takes no parameters.
_SETTING = re.compile(r"SET\s+(?:LOCAL\s+|SESSION\s+)?[\w.]+\s*(?:=|TO\b)")
# Keyword arguments whose `text(...)` is a fragment of a table's definition (SQLAlchemy
# `Column`, `Index`, `CheckConstraint`), emitted once by DDL, never run with request data.
DDL_FRAGMENT_ARGS = frozenset(
    {"server_default", "server_onupdate", "postgresql_where", "sqlite_where", "sqltext"}
)


class SqlInjection(ForeignSuppressions, StringTracker, PythonRule):
    id = "sql-injection"
    FOREIGN_CODES = frozenset({"B608", "S608"})
    # Call shapes, not words: "text" and "raw" alone occur in most files.
    # A call of one of the sinks, as text; `context(` or `.raw_data` never qualify.
    prefilter = re.compile(
        r"(?<!\w)text\s*\(|\.(?:execute\w*|exec_driver_sql|raw|fetch\w*|extra|read_sql\w*)\s*\("
        r"|RawSQL|read_sql"
    )

    # Its findings in test code would be fixture values formatted into SQL: nobody injects there.
    skip_tests = True
    # A migration splices what the code itself picks (tables, columns, constants of the
    # revision): no request or user reaches it, and an applied migration cannot change.
    skip_in = frozenset({Where.MIGRATION})

    @classmethod
    def wants_tree(cls, syntax: Syntax) -> bool:
        # A sink call whose SQL argument is anything but string literals, or `.extra(where=,
        # select=)`: the only shapes `visit_Call` can report.
        for call in syntax.nodes(ast.Call):
            func = call.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr == "extra"
                and any(k.arg in EXTRA_FRAGMENT_ARGS for k in call.keywords)
            ):
                return True
        arguments = (_ast_sql_argument(call) for call in sql_sink_calls(syntax))
        return any(arg is not None and not string_constant(arg) for arg in arguments)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Parameter names of the enclosing functions: values that come from the caller.
        self.params: list[set[str]] = [set()]
        # Inside a schema definition's SQL fragment (`Column(server_default=text(...))`).
        self.ddl_fragments = 0
        # The enclosing functions, innermost last: where a query variable's assignment is.
        self.functions: list[cst.FunctionDef] = []

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None and node.keyword.value in DDL_FRAGMENT_ARGS:
            self.ddl_fragments += 1

    def leave_Arg(self, original_node: cst.Arg) -> None:
        keyword = original_node.keyword
        if keyword is not None and keyword.value in DDL_FRAGMENT_ARGS:
            self.ddl_fragments -= 1

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        super().visit_FunctionDef(node)
        self.functions.append(node)
        params = node.params
        self.params.append(
            {
                p.name.value
                for p in (*params.posonly_params, *params.params, *params.kwonly_params)
                if p.name.value not in ("self", "cls")
            }
        )

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        super().leave_FunctionDef(original_node)
        self.params.pop()
        self.functions.pop()

    def _identifiers_from_code(self, built: Built) -> bool:
        """Every dynamic part names an identifier and none is a parameter of this function."""
        return all(
            is_identifier_part(part) and part not in self.params[-1] for part in built.dynamic
        )

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "extra":
            self._check_extra(node)
            return
        sink = self._sink_name(node)
        if sink is None or (self.ddl_fragments and not sink.startswith(".")):
            # `text(...)` as a column default or index predicate is table DDL the code writes,
            # not a query a request reaches.
            return
        argument = self._sql_argument(node)
        if argument is None:
            return
        self._check(node, sink, argument)

    def _check_extra(self, node: cst.Call) -> None:
        for arg in node.args:
            if arg.keyword is None or arg.keyword.value not in EXTRA_FRAGMENT_ARGS:
                continue
            built = self.follow(arg.value)
            if built.constant or not built.how:
                continue
            self._report(arg.value, "extra", built)

    def _check(self, node: cst.Call, sink: str, argument: cst.BaseExpression) -> None:
        built = self.follow(argument)
        if built.constant or not built.how:
            # Nothing was spliced in by formatting: either constant text, or a value passed
            # through unchanged (a query object, a parameter) that this rule cannot judge.
            return
        if sink.startswith(".") and not looks_like_sql(built):
            return
        self._report(
            argument,
            sink.lstrip(".").rsplit(".", 1)[-1],
            built,
            fix=lambda: self._fix(node, sink, argument),
        )

    def _fix(self, node: cst.Call, sink: str, argument: cst.BaseExpression) -> Fix | None:
        """Placeholders and parameters in the driver's paramstyle (sql_params.py). Unsafe: a
        value the SQL read as a number or a quoted literal now arrives typed by the driver
        (`'5'` compared with an integer column, asyncpg's strict types), so check the types."""
        if len(node.args) != 1 or node.args[0].keyword is not None or node.args[0].star:
            return None  # parameters passed already, or the SQL by keyword
        if getattr(argument, "lpar", ()):
            return None  # `execute((q + x))`: the parameters would land inside the parentheses
        style = self._paramstyle(sink)
        if style is None:
            return None
        # The query as written in the call, or (`sql = f"..."; cur.execute(sql)`) as bound
        # once to a variable only this call reads: then the assignment takes the placeholders.
        written: cst.BaseExpression | None = argument
        if isinstance(argument, cst.Name):
            written = single_use_value(self.functions[-1], argument) if self.functions else None
        if written is None:
            return None
        found = rewrite(written, style)
        if found is None:
            return None
        title = "Pass the values as query parameters"
        query = self.edit(written, found.query)
        edits: tuple[Edit, ...]
        if style == NAMED:
            binds = ", ".join(f"{n}={v}" for n, v in zip(found.names, found.params, strict=True))
            _, end = self.file.span(node)
            edits = (query, self.insert(end, f".bindparams({binds})"))
        else:
            if style == DOLLAR:
                params = ", ".join(found.params)
            else:
                params = "(" + ", ".join(found.params) + ("," if len(found.params) == 1 else "")
                params += ")"
            if written is argument:
                edits = (self.edit(argument, f"{found.query}, {params}"),)
            else:
                _, end = self.file.span(argument)
                edits = (query, self.insert(end, f", {params}"))
        return Fix(title=title, edits=edits, safe=False)

    def _paramstyle(self, sink: str) -> str | None:
        """The placeholder style of this call: `text()` binds `:name`; Django's `.raw` takes
        `%s`; a cursor's `execute` whatever the one driver the file imports takes (or the
        `fix-paramstyle` option); asyncpg's `fetch*` take `$1`."""
        if not sink.startswith("."):
            return NAMED if sink.rsplit(".", 1)[-1] == "text" else None
        method = sink[1:]
        if method == "raw":
            return FORMAT
        if method not in ("execute", "fetch", "fetchrow", "fetchval"):
            return None
        chosen = str(self.options.get("fix-paramstyle", "auto"))
        if chosen in (FORMAT, QMARK, DOLLAR):
            style: str | None = chosen
        else:
            table = self.file.bindings()
            if table is None:
                return None
            styles = {
                driver_style
                for targets in table.imports.values()
                for target in targets
                for module, driver_style in DRIVER_STYLES.items()
                # `import mysql.connector` binds (and records) only `mysql`.
                if target == module
                or target.startswith(module + ".")
                or module.startswith(target + ".")
            }
            style = styles.pop() if len(styles) == 1 else None
        if style != DOLLAR and method != "execute":
            return None
        return style

    def _report(
        self,
        argument: cst.BaseExpression,
        sink: str,
        built: Built,
        fix: Callable[[], Fix | None] | None = None,
    ) -> None:
        if self.foreign_suppressed() or self._identifiers_from_code(built):
            return
        how, parts = built.described()
        where = (
            " A command's arguments come from whoever or whatever runs it (a scheduler, another "
            "script), so treat them as input."
            if self.context.command
            else ""
        )
        first = built.fragments[0].lstrip().upper() if built.fragments else ""
        if _SETTING.match(first):
            # Postgres takes no bind parameters in SET: the usual advice would not run.
            advice = (
                "`SET` takes no query parameters: use `SELECT set_config('name', :value, true)` "
                "(true: for this transaction only) with the value passed separately"
            )
        else:
            advice = (
                "pass values as query parameters (placeholders plus a separate argument) instead "
                "of formatting them into the SQL text"
            )
        self.report(
            argument,
            f"SQL passed to `{sink}` is built with {how} from {parts}; {advice}.{where}",
            fix=fix() if fix is not None else None,
        )

    def _sink_name(self, node: cst.Call) -> str | None:
        names = self.qualified_names(node.func)
        for name in names:
            if name in RESOLVED_SINKS:
                return name
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in METHOD_SINKS:
            return "." + func.attr.value
        return None

    @staticmethod
    def _sql_argument(node: cst.Call) -> cst.BaseExpression | None:
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value in SQL_KEYWORD_ARGS:
                return arg.value
        for arg in node.args:
            if arg.keyword is None and not arg.star:
                return arg.value
        return None
