"""CPython's own parse of a Python file: the exact-syntax prefilter, before libcst.

libcst's parse costs about ten times the stdlib `ast`'s. A rule whose text prefilter matched
asks `wants_tree(syntax)` next: can it report anything in this file at all (a `.commit()` in
a `try` with handlers, a query method called inside a loop)? Only files some rule still wants
are parsed with libcst. The answers must be supersets of what the rules report; tests hold
every catalog example and fixture to that.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import TypeVar, overload

from reviewbot.python.scopes import NameTable
from reviewbot.sql.sinks import METHOD_SINKS, RESOLVED_SINKS

A = TypeVar("A", bound=ast.AST)
B = TypeVar("B", bound=ast.AST)
C = TypeVar("C", bound=ast.AST)


@dataclass(slots=True)
class Syntax:
    """One file's `ast`, with its nodes listed by type (one walk, shared by every rule)."""

    tree: ast.Module
    _by_type: dict[type, list[ast.AST]] | None = None
    _names: NameTable | None = field(default=None)

    @classmethod
    def of(cls, text: str) -> Syntax | None:
        """None when CPython cannot parse the text: then every rule still runs on libcst's tree."""
        try:
            return cls(ast.parse(text))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None

    # Nodes are listed by their exact type, so each one is an instance of a type asked for.
    @overload
    def nodes(self, a: type[A], /) -> Iterator[A]: ...
    @overload
    def nodes(self, a: type[A], b: type[B], /) -> Iterator[A | B]: ...
    @overload
    def nodes(self, a: type[A], b: type[B], c: type[C], /) -> Iterator[A | B | C]: ...
    @overload
    def nodes(self, *types: type[ast.AST]) -> Iterator[ast.AST]: ...
    def nodes(self, *types: type[ast.AST]) -> Iterator[ast.AST]:
        if self._by_type is None:
            by_type: dict[type, list[ast.AST]] = {}
            for node in ast.walk(self.tree):
                by_type.setdefault(type(node), []).append(node)
            self._by_type = by_type
        for kind in types:
            yield from self._by_type.get(kind, ())

    @property
    def names(self) -> NameTable:
        if self._names is None:
            self._names = NameTable.from_tree(self.tree, self.nodes)
        return self._names


LOOPS = (ast.For, ast.AsyncFor, ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


def method_calls(node: ast.AST, methods: frozenset[str]) -> Iterator[ast.Call]:
    """Calls `<anything>.<method>(...)` under `node` (itself included) for these methods."""
    for item in ast.walk(node):
        if (
            isinstance(item, ast.Call)
            and isinstance(item.func, ast.Attribute)
            and item.func.attr in methods
        ):
            yield item


def string_constant(node: ast.AST | None) -> bool:
    """A plain string literal, or literals joined with `+` / implicit concatenation."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str | bytes)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return string_constant(node.left) and string_constant(node.right)
    return False


def ast_dotted(node: ast.AST) -> str | None:
    """`a.b.c` for a chain of names and attributes, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


RESOLVED_NAMES = frozenset(RESOLVED_SINKS)
SINK_TAILS = frozenset(name.rsplit(".", 1)[-1] for name in RESOLVED_SINKS)


def sql_sink_calls(syntax: Syntax) -> Iterator[ast.Call]:
    """Calls that may hand SQL text to a database (sql/sinks.py): a sink method of any
    receiver, or a function whose name or import is a resolved sink (`text`, `sa.text`,
    `from sqlalchemy import text as t`)."""
    imports = syntax.names.imports if syntax.names.ok else {}
    for call in syntax.nodes(ast.Call):
        func = call.func
        if isinstance(func, ast.Attribute):
            if func.attr in METHOD_SINKS or func.attr in SINK_TAILS:
                yield call
        elif isinstance(func, ast.Name) and (
            func.id in SINK_TAILS or imports.get(func.id, set()) & RESOLVED_NAMES
        ):
            yield call


def _head_and_dotted(node: ast.AST) -> tuple[str | None, str]:
    """`a.b().c` -> ("a", "a.b.c"): calls looked through, as `PythonFile.qualified_names` does."""
    parts: list[str] = []
    while True:
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Name):
            parts.append(node.id)
            return node.id, ".".join(reversed(parts))
        else:
            return None, ""


def calls_to(syntax: Syntax, qualified: Collection[str]) -> Iterator[ast.Call]:
    """Calls whose callee may resolve to one of `qualified`: every name
    `PythonFile.qualified_names` could give it (its dotted text, as a builtin, or through the
    file's imports of its leftmost name) is tried; without a name table, any callee whose last
    name is the last part of one of them."""
    names = syntax.names
    tails = {name.rsplit(".", 1)[-1] for name in qualified}
    for call in syntax.nodes(ast.Call):
        func = call.func
        head, dotted = _head_and_dotted(func)
        if head is None:
            continue
        if not names.ok:
            if dotted.rsplit(".", 1)[-1] in tails:
                yield call
            continue
        rest = dotted[len(head) :]
        if (
            dotted in qualified
            or f"builtins.{dotted}" in qualified
            or any(target + rest in qualified for target in names.imports.get(head, ()))
        ):
            yield call
