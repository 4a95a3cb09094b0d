"""What a local name was bound to: assignments seen so far in the enclosing function or module.

Rules mix `Bindings` in to ask "what was `cur` / `payload` / `session` assigned from?" without a
second traversal or libcst's parent metadata. The record is flow-insensitive within a function
(both arms of an `if` reach a later use) and follows source order (a use sees the bindings before
it). `self.x = ...` in any method of a class is recorded on the class, so `self.session` built in
`__init__` is known in the methods after it.

A rule that overrides one of these `visit_*` / `leave_*` methods must call `super()`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from reviewbot.python.names import unwrap_await

MAX_FOLLOW = 6


@dataclass(frozen=True, slots=True)
class Binding:
    """`op`: "=" (plain or annotated), "+=", "%=", "append", "with", "for", "unpack" (a part of
    `value`, as in `a, b = value`)."""

    op: str
    value: cst.BaseExpression


@dataclass(slots=True)
class Scope:
    values: dict[str, list[Binding]] = field(default_factory=dict)

    def record(self, name: str, op: str, value: cst.BaseExpression) -> None:
        self.values.setdefault(name, []).append(Binding(op, value))


class Bindings(cst.BatchableCSTVisitor):
    """Keeps a stack of function scopes (module first) and of class attribute scopes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scopes: list[Scope] = [Scope()]
        self.class_scopes: list[Scope] = []

    # -- recording -----------------------------------------------------------------------------

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.class_scopes.append(Scope())

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.class_scopes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.scopes.append(Scope())

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.scopes.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._record_target(target.target, "=", node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._record_target(node.target, "=", node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        op = "+=" if isinstance(node.operator, cst.AddAssign) else "%="
        self._record_target(node.target, op, node.value)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._record_target(node.asname.name, "with", node.item)

    def visit_For(self, node: cst.For) -> None:
        self._record_target(node.target, "for", node.iter)

    def visit_Expr(self, node: cst.Expr) -> None:
        # `parts.append(x)` / `parts.extend(xs)` as a statement adds to what `parts` holds.
        call = node.value
        if (
            isinstance(call, cst.Call)
            and isinstance(call.func, cst.Attribute)
            and call.func.attr.value in ("append", "extend", "insert")
            and call.args
        ):
            self._record_target(call.func.value, "append", call.args[-1].value)

    def _record_target(
        self, target: cst.BaseExpression, op: str, value: cst.BaseExpression
    ) -> None:
        if isinstance(target, cst.Name):
            self.scopes[-1].record(target.value, op, value)
        elif (
            isinstance(target, cst.Attribute)
            and isinstance(target.value, cst.Name)
            and target.value.value in ("self", "cls")
            and self.class_scopes
        ):
            self.class_scopes[-1].record(f"{target.value.value}.{target.attr.value}", op, value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            values = value.elements if isinstance(value, (cst.Tuple, cst.List)) else None
            for index, element in enumerate(target.elements):
                if values is not None and len(values) == len(target.elements):
                    self._record_target(element.value, op, values[index].value)
                else:
                    # `a, b = f()`: each name comes from a part of `f()` we cannot tell apart.
                    self._record_target(element.value, "unpack", value)

    # -- queries -------------------------------------------------------------------------------

    def bindings_of(self, node: cst.BaseExpression) -> list[Binding] | None:
        """Bindings of a name (function scope first, then module) or of `self.attr` / `cls.attr`."""
        if isinstance(node, cst.Name):
            if node.value in self.scopes[-1].values:
                return self.scopes[-1].values[node.value]
            if len(self.scopes) > 1 and node.value in self.scopes[0].values:
                return self.scopes[0].values[node.value]
            return None
        if (
            isinstance(node, cst.Attribute)
            and isinstance(node.value, cst.Name)
            and node.value.value in ("self", "cls")
            and self.class_scopes
        ):
            return self.class_scopes[-1].values.get(f"{node.value.value}.{node.attr.value}")
        return None

    def origins(self, node: cst.BaseExpression, depth: int = 0) -> Iterator[cst.BaseExpression]:
        """Expressions `node` may have come from, following plain `=` and `with ... as` bindings."""
        node = unwrap_await(node)
        bound = self.bindings_of(node) if depth < MAX_FOLLOW else None
        if not bound:
            yield node
            return
        for binding in bound:
            if binding.op in ("=", "with"):
                yield from self.origins(binding.value, depth + 1)

    def constructed_by(
        self, node: cst.BaseExpression, resolve: Callable[[cst.CSTNode], set[str]]
    ) -> set[str]:
        """Qualified names of the calls that built the value of `node` (`s = requests.Session()`)."""
        names: set[str] = set()
        for origin in self.origins(node):
            if isinstance(origin, cst.Call):
                names |= resolve(origin.func)
        return names
