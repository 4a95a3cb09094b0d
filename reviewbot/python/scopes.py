"""What a name refers to, from CPython's own parser: the cheap half of scope analysis.

libcst's QualifiedNameProvider answers "which import does `md5` name here?" precisely, but it
costs several times the parse. Most names need none of it: a name bound only by imports names
what those imports name, and a name no import binds is a builtin or a local. The rest, names
bound by an import in one place and otherwise in another (`from django.db import connection`
and a parameter called `connection`), are answered from a per-scope table built from the
stdlib `ast` (about a fiftieth of libcst's cost) and the chain of functions and classes the
traversal is in, which `ScopeEntry`/`ScopeExit` keep while the rules run.

Scopes are matched between the two trees by path: the names of the enclosing `def`/`class`
statements, each with its rank among same-named siblings (a property's getter and setter are
`("x", 0)` and `("x", 1)`). Both trees list statements in source order, so the paths agree.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

import libcst as cst

ScopeKey = tuple[str, int]
ScopeKind = Literal["module", "function", "class"]


@dataclass(slots=True)
class Scope:
    """The names one module, function or class body binds, and how."""

    kind: ScopeKind
    imports: dict[str, set[str]] = field(default_factory=dict)
    other: set[str] = field(default_factory=set)
    declared_global: set[str] = field(default_factory=set)
    declared_nonlocal: set[str] = field(default_factory=set)
    children: dict[ScopeKey, Scope] = field(default_factory=dict)
    _ranks: dict[str, int] = field(default_factory=dict)

    def child(self, name: str, kind: ScopeKind) -> Scope:
        rank = self._ranks.get(name, 0)
        self._ranks[name] = rank + 1
        scope = Scope(kind)
        self.children[(name, rank)] = scope
        return scope

    def add_import(self, name: str, target: str) -> None:
        self.imports.setdefault(name, set()).add(target)


@dataclass(slots=True)
class Lookup:
    """Where a name is bound in the scope that answers for it."""

    imports: frozenset[str]
    other: bool


@dataclass(slots=True)
class NameTable:
    """Import and other bindings of one file: flat (any scope), and per scope on demand."""

    imports: dict[str, set[str]] = field(default_factory=dict)
    other: set[str] = field(default_factory=set)
    # False when the file cannot be read this way (syntax CPython refuses): every question
    # then goes to libcst's scope analysis.
    ok: bool = True
    ambiguous: frozenset[str] = frozenset()
    tree: ast.Module | None = None
    _module: Scope | None = None

    @classmethod
    def of(cls, text: str) -> NameTable:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return cls(ok=False)
        return cls.from_tree(tree)

    @classmethod
    def from_tree(
        cls, tree: ast.Module, nodes: Callable[..., Iterable[ast.AST]] | None = None
    ) -> NameTable:
        """The flat table; `nodes(*types)` lists the tree's nodes of those types (one walk
        shared with whoever else reads the tree), else the tree is walked here."""
        if nodes is None:
            by_type: dict[type, list[ast.AST]] = {}
            for item in ast.walk(tree):
                by_type.setdefault(type(item), []).append(item)

            def nodes(*types: type) -> Iterable[ast.AST]:
                return [n for t in types for n in by_type.get(t, ())]

        table = cls(tree=tree)
        for item in nodes(ast.Import, ast.ImportFrom):
            if isinstance(item, ast.Import):
                for alias in item.names:
                    if alias.asname:
                        table.imports.setdefault(alias.asname, set()).add(alias.name)
                    else:
                        head = alias.name.split(".")[0]
                        table.imports.setdefault(head, set()).add(head)
                continue
            assert isinstance(item, ast.ImportFrom)
            module = "." * item.level + (item.module or "")
            for alias in item.names:
                if alias.name == "*":
                    # libcst's analysis binds nothing for `import *` either: a name only the
                    # star can bind is unbound to it too (no qualified name), to us a name no
                    # import binds (its own dotted text). tests/test_traversal.py compares.
                    continue
                full = f"{module}.{alias.name}" if item.module else f"{module}{alias.name}"
                table.imports.setdefault(alias.asname or alias.name, set()).add(full)
        other = table.other
        for item in nodes(ast.Name):
            if not isinstance(item.ctx, ast.Load):  # type: ignore[attr-defined]
                other.add(item.id)  # type: ignore[attr-defined]
        for item in nodes(ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
            other.add(item.name)  # type: ignore[attr-defined]
        for item in nodes(ast.arg):
            other.add(item.arg)  # type: ignore[attr-defined]
        for item in nodes(ast.ExceptHandler, ast.MatchAs, ast.MatchStar):
            if item.name:  # type: ignore[attr-defined]
                other.add(item.name)  # type: ignore[attr-defined]
        for item in nodes(ast.MatchMapping):
            if item.rest:  # type: ignore[attr-defined]
                other.add(item.rest)  # type: ignore[attr-defined]
        for item in nodes(ast.Global, ast.Nonlocal):
            other.update(item.names)  # type: ignore[attr-defined]
        table.ambiguous = frozenset(other & set(table.imports))
        return table

    @property
    def module(self) -> Scope:
        """The per-scope tables, built the first time a name's meaning depends on its scope."""
        if self._module is None:
            self._module = Scope("module")
            if self.tree is not None:
                _collect(self.tree, self)
        return self._module

    def scope_chain(self, path: list[ScopeKey]) -> list[Scope] | None:
        """The scopes from the module down to `path`; None if the trees disagree."""
        chain = [self.module]
        for key in path:
            scope = chain[-1].children.get(key)
            if scope is None:
                return None
            chain.append(scope)
        return chain

    @staticmethod
    def lookup(name: str, chain: list[Scope]) -> Lookup | None:
        """Python's rule for a name used in the innermost scope of `chain`: the innermost
        function that binds it (class bodies only for code directly in them), `global` and
        `nonlocal` declarations honoured; None when no scope binds it (a builtin, or unknown)."""
        index = len(chain) - 1
        while index >= 0:
            scope = chain[index]
            if scope.kind == "class" and index != len(chain) - 1:
                index -= 1
                continue
            if name in scope.declared_global and index:
                index = 0
                continue
            if name in scope.declared_nonlocal and index:
                index -= 1
                continue
            if name in scope.imports or name in scope.other:
                return Lookup(frozenset(scope.imports.get(name, ())), name in scope.other)
            index -= 1
        return None


def _collect(tree: ast.Module, table: NameTable) -> None:
    """Fill `table` from `tree`."""
    # Iterative, in source order: a file nested deeply enough to need it still gets a table.
    stack: list[tuple[ast.AST, Scope]] = [
        (node, table.module) for node in reversed(list(ast.iter_child_nodes(tree)))
    ]
    while stack:
        node, scope = stack.pop()
        nested: list[tuple[ast.AST, Scope]] = []
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            _bind(table, scope, node.name)
            kind: ScopeKind = "class" if isinstance(node, ast.ClassDef) else "function"
            inner = scope.child(node.name, kind)
            if isinstance(node, ast.ClassDef):
                outer: list[ast.AST] = [*node.decorator_list, *node.bases, *node.keywords]
            else:
                args = node.args
                outer = [*node.decorator_list, *args.defaults]
                outer += [d for d in args.kw_defaults if d is not None]
                outer += [a.annotation for a in _arguments(args) if a.annotation is not None]
                if node.returns is not None:
                    outer.append(node.returns)
                for arg in _arguments(args):
                    _bind(table, inner, arg.arg)
            nested = [(item, scope) for item in outer] + [(item, inner) for item in node.body]
        else:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        _import(table, scope, alias.asname, alias.name)
                    else:
                        head = alias.name.split(".")[0]
                        _import(table, scope, head, head)
            elif isinstance(node, ast.ImportFrom):
                module = "." * node.level + (node.module or "")
                for alias in node.names:
                    if alias.name == "*":
                        continue  # binds nothing libcst knows of (see `from_tree`)
                    full = f"{module}.{alias.name}" if node.module else f"{module}{alias.name}"
                    _import(table, scope, alias.asname or alias.name, full)
            elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                _bind(table, scope, node.id)
            elif isinstance(node, ast.Lambda):
                # A lambda's parameters are counted as bindings of the enclosing scope: a
                # name they shadow then gets both answers, never a wrong single one.
                for arg in _arguments(node.args):
                    _bind(table, scope, arg.arg)
            elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and node.name:
                _bind(table, scope, node.name)
            elif isinstance(node, ast.MatchMapping) and node.rest:
                _bind(table, scope, node.rest)
            elif isinstance(node, ast.Global):
                scope.declared_global.update(node.names)
                table.other.update(node.names)
            elif isinstance(node, ast.Nonlocal):
                scope.declared_nonlocal.update(node.names)
                table.other.update(node.names)
            nested = [(item, scope) for item in ast.iter_child_nodes(node)]
        stack.extend(reversed(nested))


def _arguments(args: ast.arguments) -> list[ast.arg]:
    out = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    out += [a for a in (args.vararg, args.kwarg) if a is not None]
    return out


def _bind(table: NameTable, scope: Scope, name: str) -> None:
    # `global x` then `x = ...` in a function binds the module's `x` (Python requires the
    # declaration before any use, so it is known by the time the binding is met).
    (table.module if name in scope.declared_global else scope).other.add(name)
    table.other.add(name)


def _import(table: NameTable, scope: Scope, name: str, target: str) -> None:
    scope.add_import(name, target)
    table.imports.setdefault(name, set()).add(target)


class ScopePath:
    """The `def`/`class` path of the node the traversal is at; None outside the traversal."""

    __slots__ = ("path", "ranks")

    def __init__(self) -> None:
        self.path: list[ScopeKey] | None = None
        self.ranks: list[dict[str, int]] = []

    def enter(self, name: str) -> None:
        if self.path is None:
            return
        ranks = self.ranks[-1]
        rank = ranks.get(name, 0)
        ranks[name] = rank + 1
        self.path.append((name, rank))
        self.ranks.append({})

    def exit(self) -> None:
        if self.path:
            self.path.pop()
            self.ranks.pop()


class ScopeEntry(cst.BatchableCSTVisitor):
    """First visitor of the batch: enters a scope before any rule sees the node's children."""

    def __init__(self, state: ScopePath) -> None:
        super().__init__()
        self.state = state

    def visit_Module(self, node: cst.Module) -> None:
        self.state.path = []
        self.state.ranks = [{}]

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.state.enter(node.name.value)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.state.enter(node.name.value)


class ScopeExit(cst.BatchableCSTVisitor):
    """Last visitor of the batch: leaves a scope after every rule's `leave_` ran."""

    def __init__(self, state: ScopePath) -> None:
        super().__init__()
        self.state = state

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.state.exit()

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.state.exit()

    def leave_Module(self, original_node: cst.Module) -> None:
        self.state.path = None
        self.state.ranks = []
