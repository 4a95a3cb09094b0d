"""An Alembic revision's `downgrade()` generated from its `upgrade()`: inverse `op.*` calls.

Each operation of `upgrade()` gets the operation that undoes it exactly, in reverse order
(`op.create_table` -> `op.drop_table`, `op.add_column` -> `op.drop_column`, `op.create_index` ->
`op.drop_index`, a rename -> the rename back, `alter_column(type_=..., existing_type=...)` -> the
types swapped), or a `# TODO:` comment saying what to write by hand (a drop, a data change, code
reviewbot does not read). Arguments are copied as written (`op.f("ix_x")`, a constant), so the
inverse names exactly what the operation named. Batch blocks (`with op.batch_alter_table(...)`)
and autocommit blocks are inverted inside the same block. SQL given to `op.execute` as a literal
is inverted statement by statement (`sql/inverse.py`).
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst._nodes.base import CSTCodegenError
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from reviewbot.python.names import string_value
from reviewbot.sql.alembic import Args, call_name, split_args
from reviewbot.sql.inverse import TODO, default_constraint_name, invert
from reviewbot.sql.source import SqlDocument, split_and_parse
from reviewbot.workspace.sources import SourceFile

INDENT = "    "
# Constraint kinds as `op.drop_constraint(type_=...)` names them, by creating operation.
_CONSTRAINT_TYPES = {
    "create_foreign_key": "foreignkey",
    "create_unique_constraint": "unique",
    "create_primary_key": "primary",
    "create_check_constraint": "check",
    "create_exclude_constraint": "exclude",
}
_NO_EFFECT = {"get_bind", "get_context", "f", "inline_literal"}


@dataclass(slots=True)
class AlembicDown:
    """The generated body of `downgrade()`: lines without the function's own indentation."""

    lines: list[str] = field(default_factory=list)
    exact: int = 0
    stubs: int = 0

    @property
    def complete(self) -> bool:
        return self.stubs == 0 and self.exact > 0


@dataclass(slots=True)
class _Step:
    lines: list[str]
    exact: int = 0
    stubs: int = 0


def _flat(text: str, limit: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


@dataclass(slots=True)
class _Inverter:
    module: cst.Module
    dialect: str
    created_names: set[str] = field(default_factory=set)  # variables bound to op.create_table

    def code(self, node: cst.CSTNode) -> str:
        code = self.module.code_for_node(node).strip()
        if "\n" in code and isinstance(node, cst.BaseExpression):
            # An argument written over several lines: one line, so it sits in its new place.
            try:
                return ast.unparse(ast.parse(code, mode="eval"))
            except (SyntaxError, ValueError, RecursionError):
                return code
        return code

    def stub(self, node: cst.CSTNode, why: str) -> _Step:
        return _Step([f"# {TODO}: undo `{_flat(self.code(node))}` by hand ({why})"], stubs=1)

    # -- statements ----------------------------------------------------------------------------

    def block(self, body: Sequence[cst.BaseStatement], batch: str | None = None) -> _Step:
        steps: list[_Step] = []
        for statement in body:
            steps.extend(self.statement(statement, batch))
        out = _Step([])
        for step in reversed(steps):
            out.lines.extend(step.lines)
            out.exact += step.exact
            out.stubs += step.stubs
        return out

    def statement(self, statement: cst.BaseStatement, batch: str | None) -> list[_Step]:
        if isinstance(statement, cst.SimpleStatementLine):
            steps: list[_Step] = []
            for small in statement.body:
                steps.extend(self.small(small, batch))
            return steps
        if isinstance(statement, cst.With) and len(statement.items) == 1:
            item = statement.items[0]
            call = item.item
            body = statement.body
            if isinstance(call, cst.Call) and isinstance(body, cst.IndentedBlock):
                name = call_name(call)
                alias = (
                    item.asname.name.value
                    if item.asname is not None and isinstance(item.asname.name, cst.Name)
                    else None
                )
                if name == "batch_alter_table" and alias is not None:
                    return [self.wrapped(statement, self.block(body.body, alias))]
                if name == "autocommit_block":
                    return [self.wrapped(statement, self.block(body.body, batch))]
        return [self.stub(statement, "not an Alembic operation reviewbot can invert")]

    def wrapped(self, statement: cst.With, inner: _Step) -> _Step:
        if not inner.lines:
            return inner
        header = (
            "with "
            + ", ".join(
                self.code(i.item) + (f" as {self.code(i.asname.name)}" if i.asname else "")
                for i in statement.items
            )
            + ":"
        )
        if inner.exact == 0:  # only to-dos: no block around comments
            return inner
        lines = [header, *(INDENT + line for line in inner.lines)]
        return _Step(lines, inner.exact, inner.stubs)

    def small(self, small: cst.BaseSmallStatement, batch: str | None) -> list[_Step]:
        if isinstance(small, cst.Pass):
            return []
        if isinstance(small, cst.Expr):
            if isinstance(small.value, (cst.SimpleString, cst.ConcatenatedString)):
                return []  # a docstring
            if isinstance(small.value, cst.Call):
                return [self.call(small.value, batch)]
        if (
            isinstance(small, cst.Assign)
            and len(small.targets) == 1
            and isinstance(small.targets[0].target, cst.Name)
            and isinstance(small.value, cst.Call)
        ):
            step = self.call(small.value, batch)
            if self._op_name(small.value, batch) == "create_table" and step.exact:
                self.created_names.add(small.targets[0].target.value)
            return [step]
        return [self.stub(small, "not an Alembic operation reviewbot can invert")]

    # -- operations ----------------------------------------------------------------------------

    @staticmethod
    def _op_name(call: cst.Call, batch: str | None) -> str | None:
        func = call.func
        if (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and func.value.value in ("op", batch)
        ):
            return func.attr.value
        return None

    def call(self, call: cst.Call, batch: str | None) -> _Step:
        name = self._op_name(call, batch)
        if name is None:
            return self.stub(call, "not an Alembic operation")
        args = split_args(call)
        if args.star:
            return self.stub(call, "its arguments are unpacked at run time")
        receiver = batch if batch is not None and self._is_batch(call, batch) else "op"
        on_batch = receiver != "op"
        handler = getattr(self, f"_{name}", None)
        if name in _NO_EFFECT:
            return _Step([])
        if handler is None:
            return self.stub(call, f"`{name}` has no exact inverse")
        found: str | _Step | None = handler(call, args, receiver, on_batch)
        if found is None:
            return self.stub(call, "its arguments could not be read")
        if isinstance(found, _Step):
            return found
        return _Step([found], exact=1)

    @staticmethod
    def _is_batch(call: cst.Call, batch: str) -> bool:
        func = call.func
        return (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and func.value.value == batch
        )

    def _arg(self, args: Args, index: int, name: str) -> str | None:
        node = args.get(index, name)
        return self.code(node) if node is not None else None

    def _schema(self, args: Args) -> str:
        schema = args.kw("schema")
        return f", schema={self.code(schema)}" if schema is not None else ""

    def _create_table(self, call: cst.Call, args: Args, receiver: str, batch: bool) -> str | None:
        table = self._arg(args, 0, "table_name")
        return f"op.drop_table({table}{self._schema(args)})" if table and not batch else None

    def _add_column(self, call: cst.Call, args: Args, receiver: str, batch: bool) -> str | None:
        offset = 0 if batch else 1
        column = args.get(offset, "column")
        if not isinstance(column, cst.Call) or call_name(column) != "Column":
            return None
        column_name = split_args(column).get(0, "name")
        if column_name is None:
            return None
        if batch:
            return f"{receiver}.drop_column({self.code(column_name)})"
        table = self._arg(args, 0, "table_name")
        return f"op.drop_column({table}, {self.code(column_name)}{self._schema(args)})"

    def _create_index(self, call: cst.Call, args: Args, receiver: str, batch: bool) -> str | None:
        name = args.get(0, "index_name")
        if name is None or (isinstance(name, cst.Name) and name.value == "None"):
            return None
        extra = ""
        concurrently = args.kw("postgresql_concurrently")
        if concurrently is not None:
            extra = f", postgresql_concurrently={self.code(concurrently)}"
        if batch:
            return f"{receiver}.drop_index({self.code(name)}{extra})"
        table = self._arg(args, 1, "table_name")
        return f"op.drop_index({self.code(name)}, table_name={table}{self._schema(args)}{extra})"

    def _constraint(
        self, call: cst.Call, args: Args, receiver: str, batch: bool, kind: str
    ) -> str | _Step | None:
        name = args.get(0, "constraint_name")
        if name is None or (isinstance(name, cst.Name) and name.value == "None"):
            return self._unnamed(call, args, receiver, batch, kind)
        if batch:
            return f'{receiver}.drop_constraint({self.code(name)}, type_="{kind}")'
        table_key = "source_table" if kind == "foreignkey" else "table_name"
        table = self._arg(args, 1, table_key)
        schema = args.kw("source_schema") if kind == "foreignkey" else args.kw("schema")
        extra = f", schema={self.code(schema)}" if schema is not None else ""
        return f'op.drop_constraint({self.code(name)}, {table}, type_="{kind}"{extra})'

    def _unnamed(
        self, call: cst.Call, args: Args, receiver: str, batch: bool, kind: str
    ) -> _Step | None:
        """`create_foreign_key(None, ...)`: dropped under PostgreSQL's default name, with a to-do
        to check it (a naming convention in the project's metadata names it otherwise)."""
        suffix = {"foreignkey": "fkey", "unique": "key"}.get(kind)
        if suffix is None or self.dialect != "postgres" or batch:
            return None
        table = string_value(args.get(1, "source_table" if kind == "foreignkey" else "table_name"))
        column_node = args.get(
            3 if kind == "foreignkey" else 2, "local_cols" if kind == "foreignkey" else "columns"
        )
        columns: list[str] = []
        if isinstance(column_node, (cst.List, cst.Tuple)):
            for element in column_node.elements:
                value = string_value(element.value)
                if value is None:
                    return None
                columns.append(value)
        name = default_constraint_name(table or "", columns, suffix)
        if table is None or name is None:
            return None
        table_code = self._arg(args, 1, "source_table" if kind == "foreignkey" else "table_name")
        return _Step(
            [
                f"# {TODO}: check that PostgreSQL named the constraint {name} (its default; a "
                "naming convention in the metadata names it otherwise)",
                f'op.drop_constraint("{name}", {table_code}, type_="{kind}")',
            ],
            exact=1,
            stubs=1,
        )

    def _create_foreign_key(
        self, call: cst.Call, args: Args, receiver: str, batch: bool
    ) -> str | _Step | None:
        return self._constraint(call, args, receiver, batch, "foreignkey")

    def _create_unique_constraint(
        self, call: cst.Call, args: Args, receiver: str, batch: bool
    ) -> str | _Step | None:
        return self._constraint(call, args, receiver, batch, "unique")

    def _create_primary_key(
        self, call: cst.Call, args: Args, receiver: str, batch: bool
    ) -> str | _Step | None:
        return self._constraint(call, args, receiver, batch, "primary")

    def _create_check_constraint(
        self, call: cst.Call, args: Args, receiver: str, batch: bool
    ) -> str | _Step | None:
        return self._constraint(call, args, receiver, batch, "check")

    def _rename_table(self, call: cst.Call, args: Args, receiver: str, batch: bool) -> str | None:
        old, new = self._arg(args, 0, "old_table_name"), self._arg(args, 1, "new_table_name")
        if batch or not old or not new:
            return None
        return f"op.rename_table({new}, {old}{self._schema(args)})"

    def _alter_column(
        self, call: cst.Call, args: Args, receiver: str, batch: bool
    ) -> str | _Step | None:
        offset = 0 if batch else 1
        table = None if batch else self._arg(args, 0, "table_name")
        column = self._arg(args, offset, "column_name")
        if column is None or (not batch and table is None):
            return None
        parts: list[str] = []
        new_name = args.kw("new_column_name")
        target = column
        if new_name is not None:
            target = self.code(new_name)
            parts.append(f"new_column_name={column}")
        swaps = {
            "type_": "existing_type",
            "server_default": "existing_server_default",
            "comment": "existing_comment",
        }
        for changed, existing in swaps.items():
            now = args.kw(changed)
            if now is None:
                continue
            before = args.kw(existing)
            if before is None:
                what = changed.rstrip("_").replace("_", " ")
                return self.stub(call, f"the {what} before it is not stated: pass `{existing}=`")
            parts.append(f"{changed}={self.code(before)}")
            parts.append(f"{existing}={self.code(now)}")
        nullable = args.kw("nullable")
        if nullable is not None:
            if not (isinstance(nullable, cst.Name) and nullable.value in ("True", "False")):
                return None
            existing_nullable = args.kw("existing_nullable")
            if existing_nullable is not None and self.code(existing_nullable) == nullable.value:
                pass  # no change on the way up: none on the way down
            else:
                flipped = "False" if nullable.value == "True" else "True"
                parts.append(f"nullable={flipped}")
        if not parts:
            return _Step([])
        for keep in ("existing_type", "schema"):
            value = args.kw(keep)
            if value is not None and not any(p.startswith(f"{keep}=") for p in parts):
                parts.append(f"{keep}={self.code(value)}")
        head = (
            f"{receiver}.alter_column({target}" if batch else f"op.alter_column({table}, {target}"
        )
        return head + "".join(", " + p for p in parts) + ")"

    def _bulk_insert(
        self, call: cst.Call, args: Args, receiver: str, batch: bool
    ) -> str | _Step | None:
        table = args.get(0, "table")
        if isinstance(table, cst.Name) and table.value in self.created_names:
            return _Step([])  # dropping the table removes its rows
        return self.stub(call, "a data change: write what removes the rows")

    def _execute(
        self, call: cst.Call, args: Args, receiver: str, batch: bool
    ) -> str | _Step | None:
        node = args.get(0, "sqltext")
        if isinstance(node, cst.Call) and call_name(node) == "text":
            inner = split_args(node)
            node = inner.positional[0] if len(inner.positional) == 1 else None
        text = string_value(node) if node is not None else None
        if text is None:
            return self.stub(call, "the SQL is built at run time")
        document = SqlDocument(SourceFile("<op.execute>", text, "sql"), text, self.dialect)
        split_and_parse(document)
        down = invert(document.statements, self.dialect)
        if not down.steps:
            return _Step([])
        lines: list[str] = []
        for step in down.steps:
            if step.sql is not None:
                lines.append(f"op.execute({step.sql!r})")
            elif step.todo is not None:
                lines.append(f"# {TODO}: {step.todo}")
        return _Step(lines, down.exact, down.stubs)


def generate_downgrade(module: cst.Module, upgrade: cst.FunctionDef, dialect: str) -> AlembicDown:
    """The body of `downgrade()` that undoes `upgrade()` of `module`."""
    inverter = _Inverter(module, dialect)
    body = upgrade.body
    statements: Sequence[cst.BaseStatement] = []
    if isinstance(body, cst.IndentedBlock):
        statements = body.body
    elif isinstance(body, cst.SimpleStatementSuite):
        statements = [cst.SimpleStatementLine(body.body)]
    guards: list[str] = []
    rest = list(statements)
    while rest and _is_guard(rest[0]):
        # `if skip_this_database(op): return` first in `upgrade()`: the same condition skips the
        # way down, so it comes first in `downgrade()` too.
        guards.extend(inverter.code(rest.pop(0)).splitlines())
    step = inverter.block(rest)
    if not step.lines:
        return AlembicDown([], step.exact, step.stubs)
    return AlembicDown([*guards, *step.lines], step.exact, step.stubs)


def _is_guard(statement: cst.BaseStatement) -> bool:
    """`if <condition>: return` (no else): an early exit, not an operation."""
    if not isinstance(statement, cst.If) or statement.orelse is not None:
        return False
    body = statement.body
    smalls = (
        list(body.body)
        if isinstance(body, cst.SimpleStatementSuite)
        else [
            small
            for line in body.body
            if isinstance(line, cst.SimpleStatementLine)
            for small in line.body
        ]
        if all(isinstance(line, cst.SimpleStatementLine) for line in body.body)
        else []
    )
    return len(smalls) == 1 and isinstance(smalls[0], cst.Return) and smalls[0].value is None


@dataclass(frozen=True, slots=True)
class DowngradeEdit:
    """Where the generated `downgrade()` goes in the file, and the text that goes there."""

    start: int
    end: int
    text: str
    down: AlembicDown


def _offset(line_starts: list[int], line: int, column: int) -> int:
    return line_starts[line - 1] + column


def downgrade_edit(text: str, dialect: str = "postgres") -> DowngradeEdit | None:
    """The edit that fills an empty `downgrade()` (or adds a missing one) of an Alembic revision
    `text`; None when the file cannot be read or `upgrade()` holds nothing to undo."""
    try:
        return _downgrade_edit(text, dialect)
    except CSTCodegenError:  # a node libcst cannot print back: no fix rather than a crash
        return None


def _downgrade_edit(text: str, dialect: str) -> DowngradeEdit | None:
    try:
        wrapper = MetadataWrapper(cst.parse_module(text), unsafe_skip_copy=True)
        positions = wrapper.resolve(PositionProvider)
    except (cst.ParserSyntaxError, RecursionError, ValueError):
        return None
    module = wrapper.module
    functions = {s.name.value: s for s in module.body if isinstance(s, cst.FunctionDef)}
    upgrade, downgrade = functions.get("upgrade"), functions.get("downgrade")
    if upgrade is None:
        return None
    down = generate_downgrade(module, upgrade, dialect)
    if not down.lines:
        return None
    line_starts = [0]
    for index, char in enumerate(text):
        if char == "\n":
            line_starts.append(index + 1)

    def span(node: cst.CSTNode) -> CodeRange:
        return positions[node]

    if downgrade is None:
        upgrade_end = span(upgrade).end
        returns = (
            f" -> {module.code_for_node(upgrade.returns.annotation).strip()}"
            if upgrade.returns
            else ""
        )
        body = "".join(f"\n{INDENT}{line}" for line in down.lines)
        at = _offset(line_starts, upgrade_end.line, upgrade_end.column)
        return DowngradeEdit(at, at, f"\n\n\ndef downgrade(){returns}:{body}", down)
    body_node = downgrade.body
    if isinstance(body_node, cst.IndentedBlock):
        first, last = span(body_node.body[0]), span(body_node.body[-1])
        indent = " " * first.start.column
        start = _offset(line_starts, first.start.line, first.start.column)
        end = _offset(line_starts, last.end.line, last.end.column)
        replacement = ("\n" + indent).join(down.lines)
        return DowngradeEdit(start, end, replacement, down)
    first, last = span(body_node.body[0]), span(body_node.body[-1])
    start = _offset(line_starts, first.start.line, first.start.column)
    end = _offset(line_starts, last.end.line, last.end.column)
    return DowngradeEdit(start, end, "".join(f"\n{INDENT}{line}" for line in down.lines), down)
