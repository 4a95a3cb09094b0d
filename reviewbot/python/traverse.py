"""libcst's batched traversal, read-only: the same calls in the same order, no tree rebuilt.

`libcst.visit_batched` walks a tree through each node's `_visit_and_replace_children`, which
builds a new copy of every node on the way back up (libcst's visitors and transformers share
that code). Rules only read the tree, so the copies are pure cost: about half of a scan's time
went to them. `walk` calls the same `visit_<Node>`, `visit_<Node>_<field>`,
`leave_<Node>_<field>` and `leave_<Node>` methods of the same visitors, on the same original
nodes, in the same order, and builds nothing.

The order of a node's children is the order its `_visit_and_replace_children` visits its
fields, read once per class from libcst's own source. Children that are whitespace or
punctuation (a comma, a parenthesis, an operator token) are skipped unless a visitor asks for
their type: nothing below them can be of interest. If libcst's source cannot be read (an
installation without `.py` files), `walk` says so by returning False and the caller falls back
to libcst's traversal.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable, Sequence
from typing import Any

import libcst as cst
from libcst._nodes import op as _op_nodes
from libcst._nodes import whitespace as _whitespace_nodes

Method = Callable[[Any], Any]
Child = tuple[str, bool, tuple[Method, ...], tuple[Method, ...]]
Plan = tuple[tuple[Method, ...], tuple[Method, ...], tuple[Child, ...]]

# Visit order of each class's child fields; None when it could not be read.
_FIELDS: dict[Callable[..., Any], tuple[tuple[str, bool], ...] | None] = {}


def _trivia() -> frozenset[type[cst.CSTNode]]:
    classes: set[type[cst.CSTNode]] = set()
    for module in (_op_nodes, _whitespace_nodes):
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, cst.CSTNode)
                and value.__module__ == module.__name__
            ):
                classes.add(value)
    classes.update(
        {
            cst.LeftParen,
            cst.RightParen,
            cst.LeftSquareBracket,
            cst.RightSquareBracket,
            cst.LeftCurlyBrace,
            cst.RightCurlyBrace,
        }
    )
    return frozenset(classes)


TRIVIA = _trivia()


def field_order(cls: type[cst.CSTNode]) -> tuple[tuple[str, bool], ...] | None:
    """The fields `cls._visit_and_replace_children` visits, in the order it visits them, each
    with whether it is visited only when set (`x if x is not None else None`: libcst then makes
    no per-field callbacks for None)."""
    method = cls._visit_and_replace_children
    if method in _FIELDS:
        return _FIELDS[method]
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(method)))
    except (OSError, TypeError, SyntaxError):
        _FIELDS[method] = None
        return None
    optional: set[int] = set()
    for node in ast.walk(tree):
        orelse = node.orelse if isinstance(node, ast.IfExp) else None
        if isinstance(orelse, ast.Constant) and orelse.value is None:
            optional.update(id(call) for call in ast.walk(node.body))  # type: ignore[attr-defined]
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id.startswith("visit_")
        and len(node.args) >= 2
        and isinstance(node.args[1], ast.Constant)
        and isinstance(node.args[1].value, str)
    ]
    calls.sort(key=lambda node: (node.lineno, node.col_offset))
    fields: dict[str, bool] = {}
    for call in calls:
        name = str(call.args[1].value)  # type: ignore[attr-defined]
        fields[name] = fields.get(name, True) and id(call) in optional
    _FIELDS[method] = tuple(fields.items())
    return _FIELDS[method]


_METHOD_NAMES: dict[type, tuple[str, ...]] = {}


class _Unreadable(Exception):
    """libcst's source for a node class could not be read."""


def walk(module: cst.Module, visitors: Sequence[cst.BatchableCSTVisitor]) -> bool:
    """Run `visitors` over `module` as `libcst.visit_batched` would; False, having called
    nothing, when the traversal plan cannot be built (then use libcst's own traversal)."""
    methods: dict[str, list[Method]] = {}
    for visitor in visitors:
        names = _METHOD_NAMES.get(type(visitor))
        if names is None:
            # libcst finds them with inspect.getmembers, per instance; they depend on the class.
            names = _METHOD_NAMES[type(visitor)] = tuple(visitor.get_visitors())
        for name in names:
            methods.setdefault(name, []).append(getattr(visitor, name))
    plans: dict[type, Plan] = {}
    handled = {name.split("_", 2)[1] for name in methods}
    skip = frozenset(cls for cls in TRIVIA if cls.__name__ not in handled)

    def plan(cls: type[cst.CSTNode]) -> Plan:
        fields = field_order(cls)
        if fields is None:
            raise _Unreadable(cls.__name__)
        name = cls.__name__
        children = tuple(
            (
                field,
                only_when_set,
                tuple(methods.get(f"visit_{name}_{field}", ())),
                tuple(methods.get(f"leave_{name}_{field}", ())),
            )
            for field, only_when_set in fields
        )
        made: Plan = (
            tuple(methods.get(f"visit_{name}", ())),
            tuple(methods.get(f"leave_{name}", ())),
            children,
        )
        plans[cls] = made
        return made

    def visit(node: cst.CSTNode) -> None:
        cls = type(node)
        entry = plans.get(cls) or plan(cls)
        for function in entry[0]:
            function(node)
        for field, only_when_set, before, after in entry[2]:
            value = getattr(node, field)
            if value is None and only_when_set:
                continue
            for function in before:
                function(node)
            if isinstance(value, cst.CSTNode):
                if type(value) not in skip:
                    visit(value)
            elif isinstance(value, tuple | list):
                for item in value:
                    if isinstance(item, cst.CSTNode) and type(item) not in skip:
                        visit(item)
            for function in after:
                function(node)
        for function in entry[1]:
            function(node)

    try:
        # Plans for the classes every module has are built before any visitor runs, so that
        # an unreadable libcst is found before anything was called.
        for cls in (cst.Module, cst.SimpleStatementLine, cst.Expr, cst.Name, cst.Call):
            plans.get(cls) or plan(cls)
    except _Unreadable:
        return False
    visit(module)
    return True
