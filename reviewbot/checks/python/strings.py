"""How a string value was built: constant, or formatted from which non-constant parts.

Shared by rules that care whether text reaching a sink (SQL, a shell) came from code or from data.
Values are followed through the assignments of the enclosing function (and module constants) that
the traversal has already seen, so `sql = f"..."; sql += x; cur.execute(sql)` is understood.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import libcst as cst

from reviewbot.checks.python.bindings import Bindings

# Calls whose result is safe to splice into SQL text: numbers and quoted identifiers.
SAFE_CALLS = frozenset(
    {
        "int",
        "float",
        "len",
        "bool",
        "quote_name",
        "quote_ident",
        "quote_identifier",
        "escape_identifier",
        "quote_column",
        "quote_table",
    }
)
# Attributes naming a table or column that the code itself defines (Django, SQLAlchemy models).
SAFE_ATTRIBUTES = frozenset({"db_table", "__tablename__", "table_name", "tablename", "pk_name"})
_CONSTANT_NAME = re.compile(r"^_*[A-Z][A-Z0-9_]*$")
MAX_DEPTH = 8


@dataclass(frozen=True, slots=True)
class Built:
    """The outcome of following a value: its constant text fragments and how data entered it."""

    fragments: tuple[str, ...] = ()
    dynamic: tuple[str, ...] = ()  # source text of the non-constant parts, for the message
    how: tuple[str, ...] = ()  # "f-string", "%", ".format()", "+", "+=", "join"

    @property
    def constant(self) -> bool:
        return not self.dynamic

    def merge(self, other: Built) -> Built:
        return Built(
            self.fragments + other.fragments,
            self.dynamic + other.dynamic,
            self.how + tuple(h for h in other.how if h not in self.how),
        )


UNKNOWN = Built()


class StringTracker(Bindings):
    """Mixin for rules that judge text reaching a sink; `SAFE_CALLS` may be widened per rule."""

    SAFE_CALLS: frozenset[str] = SAFE_CALLS
    # Calls whose result is safe for this rule's sink, by qualified name (needs
    # QualifiedNameProvider in the rule's METADATA_DEPENDENCIES).
    SAFE_QUALIFIED: frozenset[str] = frozenset()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._following: set[str] = set()
        self._comprehension: dict[str, cst.BaseExpression] = {}

    # -- analysis ------------------------------------------------------------------------------

    def follow(self, node: cst.BaseExpression, depth: int = 0) -> Built:
        """Constant fragments and dynamic parts of the string `node` evaluates to."""
        if depth > MAX_DEPTH:
            return Built(dynamic=(_code(node),))
        if isinstance(node, cst.SimpleString):
            value = node.evaluated_value
            text = value if isinstance(value, str) else value.decode("latin-1")
            return Built(fragments=(text,))
        if isinstance(node, (cst.Integer, cst.Float, cst.Imaginary)):
            return Built()
        if isinstance(node, cst.ConcatenatedString):
            return self.follow(node.left, depth + 1).merge(self.follow(node.right, depth + 1))
        if isinstance(node, cst.FormattedString):
            built = Built()
            for part in node.parts:
                if isinstance(part, cst.FormattedStringText):
                    built = built.merge(Built(fragments=(part.value,)))
                elif isinstance(part, cst.FormattedStringExpression):
                    inner = self.follow(part.expression, depth + 1)
                    built = built.merge(
                        inner if inner.constant else Built((), inner.dynamic, ("f-string",))
                    )
            return built
        if isinstance(node, cst.BinaryOperation):
            left = self.follow(node.left, depth + 1)
            right = self.follow(node.right, depth + 1)
            if isinstance(node.operator, cst.Modulo):
                how = "%"
            elif isinstance(node.operator, cst.Add):
                how = "+"
            else:
                return left.merge(right)
            merged = left.merge(right)
            if merged.constant:
                return merged
            return Built(merged.fragments, merged.dynamic, (how, *merged.how))
        if isinstance(node, cst.IfExp):
            return self.follow(node.body, depth + 1).merge(self.follow(node.orelse, depth + 1))
        if isinstance(node, (cst.Tuple, cst.List, cst.Set)):
            built = Built()
            for element in node.elements:
                built = built.merge(self.follow(element.value, depth + 1))
            return built
        if isinstance(node, cst.Dict):
            built = Built()
            for element in node.elements:
                if isinstance(element, cst.DictElement):
                    built = built.merge(self.follow(element.value, depth + 1))
                else:
                    built = built.merge(Built(dynamic=(_code(element.value),)))
            return built
        if isinstance(node, cst.Name):
            return self._follow_name(node, depth)
        if isinstance(node, cst.Attribute):
            if node.attr.value in SAFE_ATTRIBUTES or _CONSTANT_NAME.match(node.attr.value):
                return Built()
            return Built(dynamic=(_code(node),))
        if isinstance(node, cst.Call):
            return self._follow_call(node, depth)
        if isinstance(node, (cst.GeneratorExp, cst.ListComp, cst.SetComp)):
            return self._follow_comprehension(node, depth)
        if isinstance(node, cst.Subscript):
            # `COLUMNS[i]`: an element of a constant container is constant.
            container = self.follow(node.value, depth + 1)
            return container if container.constant else Built(dynamic=(_code(node),))
        return Built(dynamic=(_code(node),))

    def _follow_name(self, node: cst.Name, depth: int) -> Built:
        if node.value in ("None", "True", "False") or node.value in self._following:
            # A name met again while following itself (`q = q + "..."`) adds nothing new: its
            # other assignments are already being followed one level up.
            return Built()
        if node.value in self._comprehension:
            return self.follow(self._comprehension[node.value], depth + 1)
        assigned = self.bindings_of(node)
        if assigned is None:
            # An UPPER_CASE name is a constant by convention (often imported from a settings or
            # queries module we cannot see); anything else unknown is a parameter or global.
            if _CONSTANT_NAME.match(node.value):
                return Built()
            return Built(dynamic=(node.value,))
        built = Built()
        self._following.add(node.value)
        try:
            for binding in assigned:
                op = binding.op
                if op == "with":
                    inner = Built(dynamic=(node.value,))
                else:
                    inner = self.follow(binding.value, depth + 1)
                if op in ("+=", "%=") and not inner.constant:
                    inner = Built(inner.fragments, inner.dynamic, (op, *inner.how))
                built = built.merge(inner)
        finally:
            self._following.discard(node.value)
        return built

    def _follow_call(self, node: cst.Call, depth: int) -> Built:
        func = node.func
        name = (
            func.value
            if isinstance(func, cst.Name)
            else func.attr.value
            if isinstance(func, cst.Attribute)
            else ""
        )
        if name in self.SAFE_CALLS:
            return Built()
        if self.SAFE_QUALIFIED and self.qualified_names(func) & self.SAFE_QUALIFIED:  # type: ignore[attr-defined]
            return Built()
        if isinstance(func, cst.Attribute) and name in ("format", "join", "replace", "strip"):
            receiver = self.follow(func.value, depth + 1)
            if not receiver.fragments and not receiver.constant:
                return Built(dynamic=(_code(node),))
            built = receiver
            for arg in node.args:
                built = built.merge(self.follow(arg.value, depth + 1))
            if built.constant:
                return built
            how = ".format()" if name == "format" else name
            return Built(built.fragments, built.dynamic, (how, *built.how))
        if isinstance(func, cst.Name) and name == "str" and node.args:
            return self.follow(node.args[0].value, depth + 1)
        return Built(dynamic=(_code(node),))

    def _follow_comprehension(
        self, node: cst.GeneratorExp | cst.ListComp | cst.SetComp, depth: int
    ) -> Built:
        # Bind each comprehension target to its iterable while following the element, so
        # `", ".join(f"{c} = %s" for c in COLUMNS)` is as constant as COLUMNS.
        added: list[str] = []
        comp: cst.CompFor | None = node.for_in
        while comp is not None:
            if isinstance(comp.target, cst.Name) and comp.target.value not in self._comprehension:
                self._comprehension[comp.target.value] = comp.iter
                added.append(comp.target.value)
            comp = comp.inner_for_in
        try:
            return self.follow(node.elt, depth + 1)
        finally:
            for name in added:
                del self._comprehension[name]


_MODULE = cst.Module(body=[])


def _code(node: cst.CSTNode) -> str:
    text = _MODULE.code_for_node(node)
    return text if len(text) <= 40 else text[:37] + "..."
