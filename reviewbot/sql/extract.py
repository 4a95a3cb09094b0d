"""SQL embedded in Python: constant strings reaching query APIs, Alembic operations, Django RunSQL.

A built-in visitor of the engine's batched traversal (it runs whenever a SQL rule is enabled). It
only collects nodes during the traversal; `finish` turns them into `SqlDocument(origin="python")`
entries of `PythonFile.embedded_sql`, each mapped character by character back to the `.py` file,
and adds the facts (missing down migrations) that project rules read.

Only SQL whose text is known is extracted: literals, implicit and `+` concatenations, f-strings
whose every field is itself a known constant, and names bound once to such a value (or extended
with `+=` in the same block). SQL formatted from variables is `sql-injection`'s business.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import libcst as cst
from libcst.metadata import CodeRange
from sqlglot import TokenType
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError, TokenError

from reviewbot.model.facts import MISSING_DOWN_FACT as MISSING_DOWN_FACT
from reviewbot.model.facts import REVISION_FACT as REVISION_FACT
from reviewbot.model.facts import UNTRANSLATED_FACT as UNTRANSLATED_FACT
from reviewbot.model.facts import AlembicRevision as AlembicRevision
from reviewbot.model.facts import MissingDown as MissingDown
from reviewbot.model.rule import PythonFile
from reviewbot.python.names import evaluated
from reviewbot.python.syntax import Syntax, sql_sink_calls
from reviewbot.sql.alembic import Plan, Translator, call_name, is_none, split_args
from reviewbot.sql.migrations import (
    Migration,
    MigrationUnit,
    Role,
    dialect_of_path,
    is_test_path,
    version_key,
)
from reviewbot.sql.placeholders import placeholder_edits
from reviewbot.sql.sinks import METHOD_SINKS, RESOLVED_SINKS
from reviewbot.sql.source import SqlDocument, split_and_parse
from reviewbot.sql.text import TextBuilder, add_literal_body, apply_edits, literal_shape

SQL_KEYWORD_ARGS = ("sql", "query", "statement", "operation", "stmt", "sqltext", "raw_query")
# First token of text that is worth parsing as SQL.
STATEMENT_STARTS = frozenset(
    {
        TokenType.SELECT,
        TokenType.INSERT,
        TokenType.UPDATE,
        TokenType.DELETE,
        TokenType.WITH,
        TokenType.CREATE,
        TokenType.ALTER,
        TokenType.DROP,
        TokenType.TRUNCATE,
        TokenType.MERGE,
        TokenType.GRANT,
        TokenType.REVOKE,
        TokenType.COMMENT,
        TokenType.REPLACE,
        TokenType.L_PAREN,
    }
)
# Calls that return their (string) argument unchanged as far as SQL is concerned.
IDENTITY_CALLS = frozenset({"dedent", "cleandoc", "str"})
IDENTITY_METHODS = frozenset({"strip", "lstrip", "rstrip"})
# Cheap text checks deciding whether a file is traversed at all: it calls a sink and holds a
# string that starts like a SQL statement, or it is an Alembic revision or a Django migration
# running SQL or Python.
SINK_CALL = re.compile(
    r"(?<!\w)text\s*\(|\.(?:execute\w*|exec_driver_sql|raw|fetch\w*|read_sql\w*)\s*\("
    r"|RawSQL|read_sql"
)
SQL_STRING_START = re.compile(
    r"""(?:'|")\s*\(?\s*(?:select|insert|update|delete|with|create|alter|drop|truncate|merge|"""
    r"""grant|revoke|comment|replace)\s""",
    re.IGNORECASE,
)


def _ast_constant(node: ast.expr, assigned: dict[str, list[ast.expr]], depth: int) -> bool:
    """Whether `SqlExtractor.pieces` could find constant text in `node`, on the ast: a superset
    (a name counts if any assignment anywhere in the file gives it such a value)."""
    if depth > 12:
        return False
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return all(
            isinstance(v, ast.Constant)
            or (
                isinstance(v, ast.FormattedValue)
                and v.conversion == -1
                and v.format_spec is None
                and _ast_constant(v.value, assigned, depth + 1)
            )
            for v in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _ast_constant(node.left, assigned, depth + 1) and _ast_constant(
            node.right, assigned, depth + 1
        )
    if isinstance(node, ast.Name):
        return any(_ast_constant(v, assigned, depth + 1) for v in assigned.get(node.id, ()))
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if len(node.args) == 1 and not node.keywords and name in (*IDENTITY_CALLS, "f"):
            return _ast_constant(node.args[0], assigned, depth + 1)
        if name in IDENTITY_METHODS and isinstance(func, ast.Attribute) and not node.args:
            return _ast_constant(func.value, assigned, depth + 1)
    return False


def _alembic_text(text: str) -> bool:
    """An Alembic revision file, also one that imports nothing from alembic (an empty revision
    still links its `down_revision` chain, which orders the others)."""
    return ("alembic" in text or "down_revision" in text) and "def upgrade" in text


def _migration_text(text: str) -> bool:
    return _alembic_text(text) or "RunSQL" in text or "RunPython" in text


# Backend names code compares against (`connection.vendor`, `bind.dialect.name`), by dialect.
BACKEND_NAMES = {
    "postgres": frozenset({"postgresql", "postgres", "psycopg2", "psycopg", "postgis"}),
    "mysql": frozenset({"mysql", "mariadb"}),
    "sqlite": frozenset({"sqlite"}),
    "tsql": frozenset({"mssql"}),
    "oracle": frozenset({"oracle"}),
}
ALL_BACKENDS = frozenset().union(*BACKEND_NAMES.values())
# Words in SQLAlchemy dialect class names (`MySQLDialect`, `PGDialect_psycopg2`), by dialect.
DIALECT_CLASS_WORDS = {
    "mysql": "mysql",
    "mariadb": "mysql",
    "postgres": "postgres",
    "pgdialect": "postgres",
    "sqlite": "sqlite",
    "msdialect": "tsql",
    "mssql": "tsql",
    "oracle": "oracle",
}


@dataclass(frozen=True, slots=True)
class _Literal:
    """A run of string-literal text; `body_offset` is where the body starts inside the node."""

    node: cst.CSTNode
    body: str
    body_offset: int
    raw: bool
    fstring: bool

    def value(self) -> str:
        builder = TextBuilder()
        add_literal_body(builder, self.body, 0, self.raw, self.fstring)
        return builder.text


@dataclass(slots=True)
class _Pending:
    anchor: cst.CSTNode
    function: str | None
    pieces: list[_Literal] | None = None
    plans: list[Plan] | None = None
    direction: Role | None = None
    strict: bool = False  # a resolved API (text(), op.execute): parse errors are worth reporting
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class _Binding:
    op: str  # "=", "+=", or "?" (bound in a way we do not follow)
    value: cst.BaseExpression | None
    block: int


@dataclass(slots=True)
class _Scope:
    is_class: bool = False
    bindings: dict[str, list[_Binding]] = field(default_factory=dict)


def _is_trivial(body: cst.BaseSuite) -> bool:
    """A function body that does nothing: `pass`, `...`, docstrings, comments."""
    statements: list[cst.BaseSmallStatement] = []
    if isinstance(body, cst.SimpleStatementSuite):
        statements = list(body.body)
    else:
        for line in body.body:
            if not isinstance(line, cst.SimpleStatementLine):
                return False
            statements.extend(line.body)
    for statement in statements:
        if isinstance(statement, cst.Pass):
            continue
        if isinstance(statement, cst.Expr) and isinstance(
            statement.value, (cst.SimpleString, cst.ConcatenatedString, cst.Ellipsis)
        ):
            continue
        return False
    return True


class SqlExtractor(cst.BatchableCSTVisitor):
    """Collects SQL from one Python file during the shared traversal."""

    name = "embedded-sql"

    def __init__(self, file: PythonFile, dialect: str) -> None:
        super().__init__()
        self.file = file
        # Python in a folder named after a database (`versions/sqlite/`) talks to that database.
        self.dialect = dialect_of_path(file.source.path) or dialect
        dialect = self.dialect
        text = file.source.text
        self.alembic_file = _alembic_text(text)
        self.django_file = False
        self.scopes: list[_Scope] = [_Scope()]
        self.blocks: list[int] = []
        self.functions: list[str] = []
        self.batch: dict[str, str] = {}
        self.pending: list[_Pending] = []
        self.translator = Translator(dialect, self.const)
        self.revision: str | None = None
        self.down_revisions: tuple[str, ...] = ()
        self.upgrade: cst.FunctionDef | None = None
        self.downgrade: cst.FunctionDef | None = None
        self.irreversible: list[tuple[cst.CSTNode, str]] = []
        self.directions: dict[str, Role] = {}
        # Module-level function -> module-level functions it calls (to tell helpers' direction).
        self.calls: dict[str, set[str]] = {}
        # Blocks that run only on another database backend (`if dialect.name == "mysql":`).
        self.backend = BACKEND_NAMES.get(dialect, frozenset({dialect}))
        self.guarded: dict[int, bool] = {}
        self.backend_flags: dict[str, bool] = {}
        self.inactive: list[int] = []

    @staticmethod
    def wants(text: str) -> bool:
        if _migration_text(text):
            return True
        return SQL_STRING_START.search(text) is not None and SINK_CALL.search(text) is not None

    @staticmethod
    def wants_tree(syntax: Syntax, text: str) -> bool:
        # Alembic and Django migrations as `wants` found them, else a sink call with arguments:
        # SQL only ever enters a document through one of those.
        if _migration_text(text):
            return True
        calls = list(sql_sink_calls(syntax))
        if not calls:
            return False
        assigned: dict[str, list[ast.expr]] = {}
        for node in syntax.nodes(ast.Assign, ast.AnnAssign, ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and node.value is not None:
                    assigned.setdefault(target.id, []).append(node.value)
        return any(
            _ast_constant(argument, assigned, 0)
            for call in calls
            for argument in (*call.args, *(k.value for k in call.keywords))
        )

    # -- names and blocks ----------------------------------------------------------------------

    def visit_Module(self, node: cst.Module) -> None:
        self.blocks.append(id(node))

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self.blocks.append(id(node))
        if self.guarded.get(id(node)) is False:
            self.inactive.append(id(node))

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock) -> None:
        self.blocks.pop()
        if self.inactive and self.inactive[-1] == id(original_node):
            self.inactive.pop()

    def visit_If(self, node: cst.If) -> None:
        applies = self._backend_test(node.test)
        if applies is None:
            return
        self.guarded[id(node.body)] = applies
        orelse = node.orelse
        if isinstance(orelse, cst.Else):
            self.guarded[id(orelse.body)] = not applies
        elif isinstance(orelse, cst.If) and applies:
            # `elif` after a branch taken on this backend: none of the rest runs.
            self._skip_chain(orelse)

    def _skip_chain(self, node: cst.If) -> None:
        self.guarded[id(node.body)] = False
        if isinstance(node.orelse, cst.Else):
            self.guarded[id(node.orelse.body)] = False
        elif isinstance(node.orelse, cst.If):
            self._skip_chain(node.orelse)

    def _backend_test(self, test: cst.BaseExpression) -> bool | None:
        """Whether `if <test>:` runs on the configured backend, when the test names backends:
        `dialect.name == "mysql"`, `vendor in ("sqlite", "mysql")`, `isinstance(d, MySQLDialect)`,
        `not ...`, or a name bound once to such a test (`is_sqlite = ...; if is_sqlite:`)."""
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            inner = self._backend_test(test.expression)
            return None if inner is None else not inner
        if isinstance(test, cst.Name):
            return self.backend_flags.get(test.value)
        if isinstance(test, cst.Call) and call_name(test) == "isinstance" and len(test.args) == 2:
            named = {
                dialect
                for key, dialect in DIALECT_CLASS_WORDS.items()
                if key in call_name(test.args[1].value).lower()
            }
            if len(named) != 1:
                return None
            return named.pop() == self.dialect
        if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
            return None
        target = test.comparisons[0]
        operator = target.operator
        names: set[str] = set()
        for side in (test.left, target.comparator):
            elements = side.elements if isinstance(side, (cst.Tuple, cst.List, cst.Set)) else [side]
            for element in elements:
                value = element.value if isinstance(element, cst.BaseElement) else element
                text = evaluated(value) if isinstance(value, cst.SimpleString) else None
                if isinstance(text, str):
                    names.add(text.lower())
        if not names or not names <= ALL_BACKENDS:
            return None
        matches = bool(names & self.backend)
        if isinstance(operator, (cst.Equal, cst.In, cst.Is)):
            return matches
        if isinstance(operator, (cst.NotEqual, cst.NotIn, cst.IsNot)):
            return not matches
        return None

    def visit_SimpleStatementSuite(self, node: cst.SimpleStatementSuite) -> None:
        self.blocks.append(id(node))
        if self.guarded.get(id(node)) is False:
            self.inactive.append(id(node))

    def leave_SimpleStatementSuite(self, original_node: cst.SimpleStatementSuite) -> None:
        self.blocks.pop()
        if self.inactive and self.inactive[-1] == id(original_node):
            self.inactive.pop()

    def _bind(self, name: str, op: str, value: cst.BaseExpression | None) -> None:
        self.scopes[-1].bindings.setdefault(name, []).append(
            _Binding(op, value, self.blocks[-1] if self.blocks else 0)
        )

    def _bind_unknown(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self._bind(target.value, "?", None)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind_unknown(element.value)
        elif isinstance(target, cst.StarredElement):
            self._bind_unknown(target.value)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if len(self.scopes) == 1 and not self.functions:
            self._module_function(node)
        self.functions.append(node.name.value)
        self.scopes.append(_Scope())
        for param in (
            *node.params.params,
            *node.params.posonly_params,
            *node.params.kwonly_params,
        ):
            self._bind(param.name.value, "?", None)
        for star in (node.params.star_arg, node.params.star_kwarg):
            if isinstance(star, cst.Param):
                self._bind(star.name.value, "?", None)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.functions.pop()
        self.scopes.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        for base in node.bases:
            names = self._qualified(base.value)
            if "django.db.migrations.Migration" in names or (
                not names and call_name(base.value) == "Migration"
            ):
                self.django_file = True
        self.scopes.append(_Scope(is_class=True))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.scopes.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                self._bind(target.target.value, "=", node.value)
                applies = self._backend_test(node.value) if self.alembic_file else None
                if applies is not None:
                    self.backend_flags[target.target.value] = applies
                self._module_constant(target.target.value, node.value)
            else:
                self._bind_unknown(target.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if isinstance(node.target, cst.Name) and node.value is not None:
            self._bind(node.target.value, "=", node.value)
            self._module_constant(node.target.value, node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.target, cst.Name):
            op = "+=" if isinstance(node.operator, cst.AddAssign) else "?"
            self._bind(node.target.value, op, node.value)

    def visit_For(self, node: cst.For) -> None:
        self._bind_unknown(node.target)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._bind_unknown(node.asname.name)
            self._batch_alias(node)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None:
            self._bind_unknown(node.name.name)

    def _lookup(self, name: str) -> list[_Binding] | None:
        for index in range(len(self.scopes) - 1, -1, -1):
            scope = self.scopes[index]
            if scope.is_class and index != len(self.scopes) - 1:
                continue
            if name in scope.bindings:
                return scope.bindings[name]
        return None

    def _qualified(self, node: cst.CSTNode) -> set[str]:
        return self.file.qualified_names(node)

    # -- constant strings ----------------------------------------------------------------------

    def pieces(self, node: cst.BaseExpression | None, depth: int = 0) -> list[_Literal] | None:
        """The literal runs a string expression is made of; None when any part is not constant."""
        if node is None or depth > 12:
            return None
        if isinstance(node, cst.SimpleString):
            shape = literal_shape(node.value)
            if shape.is_bytes:
                return None
            body = node.value[shape.body_start : shape.body_end]
            return [_Literal(node, body, shape.body_start, shape.raw, False)]
        if isinstance(node, cst.ConcatenatedString):
            left = self.pieces(node.left, depth + 1)
            right = self.pieces(node.right, depth + 1)
            return left + right if left is not None and right is not None else None
        if isinstance(node, cst.FormattedString):
            return self._fstring(node, depth)
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
            left = self.pieces(node.left, depth + 1)
            right = self.pieces(node.right, depth + 1)
            return left + right if left is not None and right is not None else None
        if isinstance(node, cst.Name):
            return self._name(node.value, depth)
        if isinstance(node, cst.Call):
            name = call_name(node)
            single = len(node.args) == 1 and node.args[0].keyword is None and not node.args[0].star
            if single and (name in IDENTITY_CALLS or (name == "f" and self._is_alembic_f(node))):
                return self.pieces(node.args[0].value, depth + 1)
            if name in IDENTITY_METHODS and isinstance(node.func, cst.Attribute) and not node.args:
                return self.pieces(node.func.value, depth + 1)
        return None

    def _is_alembic_f(self, node: cst.Call) -> bool:
        """`op.f("ix_name")` / `batch_op.f(...)`: a name marked as final, the string itself."""
        func = node.func
        if (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and func.value.value in self.batch
        ):
            return True
        return "alembic.op.f" in self._qualified(func)

    def _fstring(self, node: cst.FormattedString, depth: int) -> list[_Literal] | None:
        raw = "r" in node.start.lower()
        out: list[_Literal] = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                out.append(_Literal(part, part.value, 0, raw, True))
                continue
            assert isinstance(part, cst.FormattedStringExpression)
            if part.conversion is not None or part.format_spec is not None:
                return None
            inner = self.pieces(part.expression, depth + 1)
            if inner is None:
                return None
            out.extend(inner)
        return out

    def _name(self, name: str, depth: int) -> list[_Literal] | None:
        bindings = self._lookup(name)
        if not bindings:
            return None
        enclosing = set(self.blocks)
        chain: list[_Binding] = []
        for binding in reversed(bindings):
            # Only a binding in a block that encloses the use is certain to be the value here;
            # one in an `if` branch or a loop body next to it may or may not have run.
            if binding.block not in enclosing or binding.op == "?":
                return None
            chain.append(binding)
            if binding.op == "=":
                break
        else:
            return None
        out: list[_Literal] = []
        for binding in reversed(chain):
            value = self.pieces(binding.value, depth + 1)
            if value is None:
                return None
            out.extend(value)
        return out

    def const(self, node: cst.BaseExpression | None) -> str | None:
        """The value of a constant string expression (names of tables, columns, indexes)."""
        found = self.pieces(node)
        if found is None:
            return None
        return "".join(piece.value() for piece in found)

    # -- calls ---------------------------------------------------------------------------------

    def visit_Call(self, node: cst.Call) -> None:
        function = self.functions[0] if self.functions else None
        if function is not None and isinstance(node.func, cst.Name):
            self.calls.setdefault(function, set()).add(node.func.value)
        if self.inactive:
            return
        qualified = self._qualified(node.func)
        if self.alembic_file and self._is_create_table_wrapper(node, qualified):
            plans = self.translator.translate("create_table", node)
            if plans:
                self.pending.append(_Pending(node, function, plans=plans))
            return
        if self.alembic_file or self.batch:
            op = self._alembic_op(node, qualified)
            if op is not None:
                name, batch_table = op
                if name != "execute":
                    plans = self.translator.translate(name, node, batch_table)
                    if plans:
                        pending = _Pending(node, function, plans=plans)
                        pending.attributes.update(self.translator.notes)
                        self.pending.append(pending)
                    else:
                        self.file.add_fact(UNTRANSLATED_FACT, name)
                    return
                if self.alembic_file and (not node.args or self.const(node.args[0].value) is None):
                    self.file.add_fact(UNTRANSLATED_FACT, name)
        if self.django_file and self._django_operation(node, qualified):
            return
        for name in qualified:
            keywords = RESOLVED_SINKS.get(name)
            if keywords is not None:
                self._sink(node, self._argument(node, keywords), function, strict=True)
                return
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in METHOD_SINKS:
            self._sink(node, self._argument(node, SQL_KEYWORD_ARGS), function, strict=False)

    @staticmethod
    def _argument(node: cst.Call, keywords: tuple[str, ...]) -> cst.BaseExpression | None:
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value in (*keywords, *SQL_KEYWORD_ARGS):
                return arg.value
        for arg in node.args:
            if arg.keyword is None and not arg.star:
                return arg.value
        return None

    def _sink(
        self,
        call: cst.Call,
        argument: cst.BaseExpression | None,
        function: str | None,
        strict: bool,
        direction: Role | None = None,
    ) -> None:
        found = self.pieces(argument)
        if not found:
            return
        self.pending.append(
            _Pending(call, function, pieces=found, direction=direction, strict=strict)
        )

    @staticmethod
    def _is_create_table_wrapper(node: cst.Call, qualified: set[str]) -> bool:
        """A project helper such as `create_table("t", sa.Column(...), ...)` wrapping
        `op.create_table`: its arguments say what it creates."""
        if call_name(node) != "create_table" or any(q.startswith("alembic.") for q in qualified):
            return False
        return any(
            isinstance(a.value, cst.Call) and call_name(a.value) == "Column" for a in node.args
        )

    def _alembic_op(self, node: cst.Call, qualified: set[str]) -> tuple[str, str | None] | None:
        for name in qualified:
            if name.startswith("alembic.op.") and name.count(".") == 2:
                return name.rsplit(".", 1)[1], None
        func = node.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            table = self.batch.get(func.value.value)
            if table is not None:
                return func.attr.value, table
        return None

    def _batch_alias(self, item: cst.WithItem) -> None:
        call = item.item
        if not isinstance(call, cst.Call) or item.asname is None:
            return
        if not isinstance(item.asname.name, cst.Name):
            return
        if "alembic.op.batch_alter_table" not in self._qualified(call.func):
            return
        args = split_args(call)
        table = self.translator.table(args.get(0, "table_name"), args.kw("schema"))
        if table is not None:
            self.batch[item.asname.name.value] = table

    def _django_operation(self, node: cst.Call, qualified: set[str]) -> bool:
        kind = next(
            (
                q.rsplit(".", 1)[1]
                for q in qualified
                if q.startswith("django.db.migrations")
                and q.rsplit(".", 1)[1] in ("RunSQL", "RunPython")
            ),
            None,
        )
        if kind is None:
            return False
        args = split_args(node)
        if kind == "RunSQL":
            forward = args.get(0, "sql")
            reverse = args.get(1, "reverse_sql")
            for statement in self._run_sql_texts(forward):
                self._sink(node, statement, None, strict=True, direction=Role.UP)
            if is_none(reverse):
                self.irreversible.append(
                    (
                        node.func,
                        "`RunSQL` without `reverse_sql` makes this migration irreversible; give "
                        "the SQL that undoes it, or `reverse_sql=migrations.RunSQL.noop` when "
                        "there is nothing to undo.",
                    )
                )
            else:
                for statement in self._run_sql_texts(reverse):
                    self._sink(node, statement, None, strict=True, direction=Role.DOWN)
            return True
        forward = args.get(0, "code")
        reverse = args.get(1, "reverse_code")
        if isinstance(forward, cst.Name):
            self.directions.setdefault(forward.value, Role.UP)
        if isinstance(reverse, cst.Name):
            self.directions[reverse.value] = Role.DOWN
        if is_none(reverse):
            self.irreversible.append(
                (
                    node.func,
                    "`RunPython` without `reverse_code` makes this migration irreversible; write "
                    "the reverse function, or pass `reverse_code=migrations.RunPython.noop` when "
                    "there is nothing to undo.",
                )
            )
        return True

    @staticmethod
    def _run_sql_texts(node: cst.BaseExpression | None) -> list[cst.BaseExpression]:
        if isinstance(node, (cst.List, cst.Tuple)):
            out = []
            for element in node.elements:
                value = element.value
                if isinstance(value, (cst.List, cst.Tuple)) and value.elements:
                    value = value.elements[0].value  # (sql, params)
                out.append(value)
            return out
        return [node] if node is not None else []

    # -- Alembic revision shape ------------------------------------------------------------------

    def _module_function(self, node: cst.FunctionDef) -> None:
        if not self.alembic_file:
            return
        if node.name.value == "upgrade":
            self.upgrade = node
        elif node.name.value == "downgrade":
            self.downgrade = node

    def _module_constant(self, name: str, value: cst.BaseExpression) -> None:
        if len(self.scopes) != 1 or not self.alembic_file:
            return
        if name == "revision":
            self.revision = self.const(value)
        elif name == "down_revision":
            if isinstance(value, (cst.Tuple, cst.List)):
                found = [self.const(e.value) for e in value.elements]
                self.down_revisions = tuple(v for v in found if v)
            else:
                single = self.const(value)
                self.down_revisions = (single,) if single else ()

    # -- after the traversal ---------------------------------------------------------------------

    def needed_nodes(self) -> list[cst.CSTNode]:
        """The nodes `finish` asks positions of."""
        nodes = [node for node, _ in self._missing_down()]
        for pending in self.pending:
            nodes.append(pending.anchor)
            nodes.extend(piece.node for piece in pending.pieces or ())
            nodes.extend(node for plan in pending.plans or () for _, node in plan)
        return nodes

    def finish(self, positions: Callable[[], Mapping[cst.CSTNode, CodeRange]]) -> None:
        """Build the SQL documents and facts; `positions` resolves libcst positions on demand."""
        if self.alembic_file and self.revision:
            self.file.add_fact(REVISION_FACT, AlembicRevision(self.revision, self.down_revisions))
        missing_down = self._missing_down()
        if not self.pending and not missing_down:
            return
        ranges = positions()
        source = self.file.source
        starts = source.line_starts

        def span(node: cst.CSTNode) -> tuple[int, int]:
            code_range = ranges[node]
            return (
                starts[code_range.start.line - 1] + code_range.start.column,
                starts[code_range.end.line - 1] + code_range.end.column,
            )

        for node, message in missing_down:
            code_range = ranges[node]
            self.file.add_fact(
                MISSING_DOWN_FACT,
                MissingDown(
                    code_range.start.line,
                    code_range.start.column + 1,
                    code_range.end.line,
                    code_range.end.column + 1,
                    message,
                ),
            )
        documents: list[tuple[int, SqlDocument, _Pending]] = []
        for pending in self.pending:
            try:
                document = self._document(pending, span)
            except KeyError:  # a node without a position (never expected): skip, do not crash
                continue
            if document is not None:
                documents.append((span(pending.anchor)[0], document, pending))
        documents.sort(key=lambda item: item[0])
        unit = MigrationUnit()
        test_code = is_test_path(self.file.source.path)
        for _, document, pending in documents:
            split_and_parse(document)
            if (
                not pending.strict
                and document.errors
                and all(s.expression is None for s in document.statements)
            ):
                # Text handed to some `.execute()` that starts like SQL but is not: most likely
                # not a database call at all, so no parse error is reported for it.
                continue
            if test_code:
                # Test code exercises odd SQL on purpose (vendor syntax, broken statements):
                # what sqlglot cannot read there is not worth a notice.
                document.errors.clear()
            migration = self._migration(pending, unit)
            if migration is not None:
                document.attributes["migration"] = migration
                unit.documents.append(document)
            self.file.embedded_sql.append(document)

    def _document(
        self, pending: _Pending, span: Callable[[cst.CSTNode], tuple[int, int]]
    ) -> SqlDocument | None:
        builder = TextBuilder()
        attributes: dict[str, Any] = dict(pending.attributes)
        if pending.plans is not None:
            for number, plan in enumerate(pending.plans):
                if number:
                    builder.add(";\n", span(plan[0][1])[0])
                for text, node in plan:
                    start, end = span(node)
                    builder.add(text, start, end, collapse=True)
            attributes["synthesized"] = "alembic"
            text, segments = builder.mapped()
        else:
            assert pending.pieces is not None
            for piece in pending.pieces:
                start = span(piece.node)[0] + piece.body_offset
                add_literal_body(builder, piece.body, start, piece.raw, piece.fstring)
            text, segments = builder.mapped()
            if not _starts_like_sql(text, self.dialect):
                return None
            edits, pyformat = placeholder_edits(text, self.dialect)
            text, segments = apply_edits(text, segments, edits)
            attributes["placeholders"] = "pyformat" if pyformat else None
        return SqlDocument(
            host=self.file.source,
            text=text,
            dialect=self.dialect,
            origin="python",
            segments=segments,
            attributes=attributes,
        )

    def _migration(self, pending: _Pending, unit: MigrationUnit) -> Migration | None:
        path = self.file.source.path
        folder, _, name = path.rpartition("/")
        if self.alembic_file:
            direction = self._direction(pending.function)
            return Migration(
                "alembic",
                path,
                folder,
                version_key(name),
                direction,
                unit,
                revision=self.revision,
                down_revisions=self.down_revisions,
            )
        if self.django_file:
            direction = pending.direction or self._direction(pending.function)
            return Migration("django", path, folder, version_key(name), direction, unit)
        return None

    def _known_direction(self, function: str) -> Role | None:
        if function in self.directions:
            return self.directions[function]
        if self.alembic_file and function.startswith("downgrade"):
            return Role.DOWN
        if self.alembic_file and function.startswith("upgrade"):
            return Role.UP
        return None

    def _direction(self, function: str | None) -> Role:
        """UP or DOWN for SQL in `function`: its own name, or that of the functions calling it.

        A helper reached from `upgrade()` (or a forward `RunPython`) runs on the way up, even when
        `downgrade()` calls it too; one reached only from the down side runs only on the way down.
        """
        if function is None:
            return Role.UP
        callers: dict[str, set[str]] = {}
        for caller, callees in self.calls.items():
            for callee in callees:
                callers.setdefault(callee, set()).add(caller)
        found: set[Role] = set()
        seen = {function}
        frontier = [function]
        while frontier:
            current = frontier.pop()
            known = self._known_direction(current)
            if known is not None:
                found.add(known)
                continue
            for caller in callers.get(current, ()):
                if caller not in seen:
                    seen.add(caller)
                    frontier.append(caller)
        return Role.DOWN if found == {Role.DOWN} else Role.UP

    def _missing_down(self) -> list[tuple[cst.CSTNode, str]]:
        found = list(self.irreversible) if self.django_file else []
        upgrade, downgrade = self.upgrade, self.downgrade
        if self.alembic_file and upgrade is not None and not _is_trivial(upgrade.body):
            if downgrade is None:
                found.append(
                    (
                        upgrade.name,
                        "This Alembic revision has no `downgrade()`; write one that undoes "
                        "`upgrade()` so the revision can be rolled back.",
                    )
                )
            elif _is_trivial(downgrade.body):
                found.append(
                    (
                        downgrade.name,
                        "`downgrade()` does nothing while `upgrade()` changes the schema; undo "
                        "`upgrade()` here, or raise an error saying the revision is irreversible.",
                    )
                )
        return found


def _starts_like_sql(text: str, dialect: str) -> bool:
    try:
        tokens = Dialect.get_or_raise(dialect).tokenize(text)
    except (TokenError, SqlglotError, ValueError, IndexError):
        return False
    if not tokens or tokens[0].token_type not in STATEMENT_STARTS:
        return False
    if tokens[0].token_type == TokenType.L_PAREN:
        return len(tokens) > 1 and tokens[1].token_type in (TokenType.SELECT, TokenType.WITH)
    return len(tokens) > 1
