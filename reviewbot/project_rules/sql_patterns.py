"""SQL patterns over sqlglot trees, and schema conditions over the schema catalog.

A SQL pattern is a statement with metavariables: `ALTER TABLE $T ADD COLUMN $C $TYPE`,
`CREATE TABLE $T (...)`, `DROP TABLE $T`. It is parsed by sqlglot in the scan's dialect and
matched on each statement's tree: node types must agree, and every part the pattern states must
match (what it leaves out, such as `IF NOT EXISTS` or the column list `(...)`, may be anything).
A metavariable stands for a name (table, column), a type, or any expression.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

import sqlglot
from sqlglot import exp

from reviewbot.project_rules.spec import SchemaCondition
from reviewbot.sql.schema import Catalog, Column, Table

MV_PREFIX = "rb_mv_"
_MV_TEXT = re.compile(r"\$([A-Z_][A-Z0-9_]*)")
_ANY_LIST = re.compile(r"\(\s*\.\.\.\s*\)")
MAX_STEPS = 20_000
Env = dict[str, exp.Expression]
STATEMENTS = (
    exp.Query,
    exp.DDL,
    exp.DML,
    exp.Alter,
    exp.Drop,
    exp.Grant,
    exp.Comment,
    exp.Set,
    exp.TruncateTable,
)


class SqlPatternError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class SqlPattern:
    text: str
    node: exp.Expression

    @property
    def root(self) -> type[exp.Expression]:
        return type(self.node)


def compile_sql(text: str, dialect: str) -> SqlPattern:
    source = _ANY_LIST.sub("", text.strip().rstrip(";"))
    source = _MV_TEXT.sub(lambda m: MV_PREFIX + m.group(1).lower(), source)
    try:
        statements = sqlglot.parse(source, read=dialect)
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError, RecursionError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else "syntax error"
        raise SqlPatternError(f"is not a SQL statement sqlglot parses ({first})") from None
    found = [s for s in statements if s is not None]
    if len(found) != 1:
        raise SqlPatternError("must be exactly one SQL statement")
    node = found[0]
    if not isinstance(node, exp.Expression) or isinstance(node, exp.Command):
        raise SqlPatternError(
            "is a statement sqlglot does not parse into a tree; say it another way"
        )
    if _metavariable(node) is not None:
        raise SqlPatternError("matches every statement; say what to look for")
    if not isinstance(node, STATEMENTS):
        raise SqlPatternError(
            f"reads as `{node.sql()}`, not a statement (CREATE, ALTER, DROP, INSERT, ...)"
        )
    return SqlPattern(text=text, node=cast(exp.Expression, node))


def _metavariable(node: exp.Expression) -> str | None:
    """`$T` as a table, a column, a name or a type."""
    if isinstance(node, exp.Identifier):
        name = str(node.this)
    elif isinstance(node, exp.Table | exp.Column) and not node.args.get("db"):
        name = node.name
    elif isinstance(node, exp.DataType) and isinstance(node.args.get("kind"), exp.Identifier):
        name = str(node.args["kind"].this)
    else:
        return None
    if name.lower().startswith(MV_PREFIX):
        return "$" + name[len(MV_PREFIX) :].upper()
    return None


class SqlMatcher:
    def __init__(self) -> None:
        self.steps = 0

    def match(self, pattern: exp.Expression, node: exp.Expression) -> Env | None:
        self.steps = 0
        env: Env = {}
        try:
            return env if self._m(pattern, node, env) else None
        except (_Budget, RecursionError):
            return None

    def _m(self, p: exp.Expression, n: exp.Expression, env: Env) -> bool:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise _Budget
        name = _metavariable(p)
        if name is not None:
            if isinstance(n, exp.Schema) and isinstance(n.this, exp.Table):
                n = n.this
            bound = env.get(name)
            if bound is None:
                env[name] = n
                return True
            return text_of(bound).lower() == text_of(n).lower()
        if isinstance(p, exp.Table) and isinstance(n, exp.Schema) and isinstance(n.this, exp.Table):
            n = n.this  # CREATE TABLE t (...): the pattern left the columns out
        if type(p) is not type(n):
            return False
        for key, pv in p.args.items():
            if key == "quoted" or pv is None or pv is False or pv == []:
                continue
            nv = n.args.get(key)
            if isinstance(pv, list):
                if not isinstance(nv, list) or not self._subset(pv, nv, env):
                    return False
            elif isinstance(pv, exp.Expression):
                if not isinstance(nv, exp.Expression) or not self._m(pv, nv, env):
                    return False
            elif isinstance(pv, str) and isinstance(nv, str):
                if pv.lower() != nv.lower():
                    return False
            elif pv != nv:
                return False
        return True

    def _subset(self, ps: list[object], ns: list[object], env: Env) -> bool:
        if not ps:
            return True
        first, rest = ps[0], ps[1:]
        for index, candidate in enumerate(ns):
            trial = dict(env)
            if (
                isinstance(first, exp.Expression)
                and isinstance(candidate, exp.Expression)
                and self._m(first, candidate, trial)
                and self._subset(rest, [*ns[:index], *ns[index + 1 :]], trial)
            ):
                env.update(trial)
                return True
        return False


class _Budget(Exception):
    pass


def text_of(node: exp.Expression) -> str:
    if isinstance(node, exp.Identifier | exp.Table | exp.Column):
        return node.name
    try:
        return node.sql()
    except Exception:
        return str(node)


def is_literal(node: exp.Expression) -> bool:
    return isinstance(node, exp.Literal | exp.Boolean | exp.Null)


# -- schema conditions ---------------------------------------------------------------------------


def _same_type(dtype: exp.DataType | None, wanted: str, dialect: str) -> bool:
    if dtype is None:
        return False
    try:
        target = exp.DataType.build(wanted, dialect=dialect)
    except Exception:
        return dtype.sql(dialect=dialect).lower() == wanted.lower()
    if target.this == exp.DataType.Type.USERDEFINED:
        return dtype.sql(dialect=dialect).lower() == wanted.lower()
    return bool(dtype.this == target.this)


def check_type(name: str, dialect: str) -> None:
    try:
        exp.DataType.build(name, dialect=dialect)
    except Exception as exc:
        raise SqlPatternError(f"`{name}` is not a SQL type sqlglot knows ({exc})") from None


@dataclass(frozen=True, slots=True)
class SchemaHit:
    table: Table
    column: Column | None
    message_names: dict[str, str]


def schema_hits(condition: SchemaCondition, catalog: Catalog, dialect: str) -> Iterator[SchemaHit]:
    for table in catalog.created_tables():
        if table.derived or not fnmatch.fnmatchcase(table.name.lower(), condition.tables.lower()):
            continue
        if condition.required_column is not None:
            column = table.columns.get(condition.required_column.lower()) or next(
                (
                    c
                    for k, c in table.columns.items()
                    if k.lower() == condition.required_column.lower()
                ),
                None,
            )
            ok = column is not None and (
                condition.required_type is None
                or _same_type(column.dtype, condition.required_type, dialect)
            )
            if not ok:
                yield SchemaHit(table, column, {"$TABLE": table.name})
            continue
        assert condition.column is not None
        for column in table.columns.values():
            if not fnmatch.fnmatchcase(column.name.lower(), condition.column.lower()):
                continue
            if column.dtype is None:
                continue  # type unknown (derived): nothing to judge
            if condition.type_is is not None and not _same_type(
                column.dtype, condition.type_is, dialect
            ):
                continue
            if condition.type_not is not None and _same_type(
                column.dtype, condition.type_not, dialect
            ):
                continue
            names = {
                "$TABLE": table.name,
                "$COLUMN": column.name,
                "$TYPE": column.dtype.sql(dialect=dialect),
            }
            yield SchemaHit(table, column, names)
