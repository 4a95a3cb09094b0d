"""A query bound once to a local variable and read only by the one call that runs it.

Used by sql-injection's fix for `sql = f"... {uid}"; cur.execute(sql)`: the assignment's text
can take placeholders and the call the parameters only when nothing else sees the variable and
the values mean the same at the call as at the assignment. So, in the enclosing function:
the name occurs exactly twice (the target of one plain assignment, then the call's argument: no
`+=`, no second or conditional assignment, no other read, not a parameter, not `global`), and
no name a spliced value reads is bound again after the assignment, and no value calls anything
but a conversion (`str(x)`, `int(x)`): a call would run later, after the code in between.
"""

from __future__ import annotations

import libcst as cst

# Calls a spliced value may make and still mean the same when it runs at the query's call.
CONVERSIONS = frozenset({"str", "int", "float", "bool"})


class _Calls(cst.CSTVisitor):
    """Whether an expression calls anything but a conversion (`"...".format` itself aside)."""

    def __init__(self, template: cst.BaseExpression) -> None:
        self.template = template
        self.other = False

    def visit_Call(self, node: cst.Call) -> None:
        if node is self.template:
            return
        if not (isinstance(node.func, cst.Name) and node.func.value in CONVERSIONS):
            self.other = True


class _Names(cst.CSTVisitor):
    """Every name reference of a function, in source order, with whether it binds there.

    Attribute names (`x.sql`) and keyword names (`f(sql=...)`) are not references."""

    def __init__(self, watch: cst.Assign | cst.AnnAssign) -> None:
        self.events: list[tuple[cst.Name, bool]] = []
        self.watch = watch
        self.watch_end = -1  # events recorded when the watched assignment is left
        self.storing = 0

    def visit_Name(self, node: cst.Name) -> None:
        self.events.append((node, self.storing > 0))

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)
        return False

    def _bind(self, target: cst.CSTNode) -> None:
        self.storing += 1
        try:
            target.visit(self)
        finally:
            self.storing -= 1

    def visit_AssignTarget(self, node: cst.AssignTarget) -> bool:
        self._bind(node.target)
        return False

    def visit_AugAssign(self, node: cst.AugAssign) -> bool:
        self._bind(node.target)
        node.value.visit(self)
        return False

    def visit_AnnAssign(self, node: cst.AnnAssign) -> bool:
        self._bind(node.target)
        node.annotation.visit(self)
        if node.value is not None:
            node.value.visit(self)
        return False

    def leave_AnnAssign(self, original_node: cst.AnnAssign) -> None:
        if original_node is self.watch:
            self.watch_end = len(self.events)

    def leave_Assign(self, original_node: cst.Assign) -> None:
        if original_node is self.watch:
            self.watch_end = len(self.events)

    def visit_For_target(self, node: cst.For) -> None:
        self.storing += 1

    def leave_For_target(self, node: cst.For) -> None:
        self.storing -= 1

    def visit_AsName(self, node: cst.AsName) -> bool:
        self._bind(node.name)
        return False

    def visit_NamedExpr(self, node: cst.NamedExpr) -> bool:
        self._bind(node.target)
        node.value.visit(self)
        return False

    def visit_CompFor_target(self, node: cst.CompFor) -> None:
        self.storing += 1

    def leave_CompFor_target(self, node: cst.CompFor) -> None:
        self.storing -= 1

    def visit_Del(self, node: cst.Del) -> bool:
        self._bind(node.target)
        return False

    def visit_Param(self, node: cst.Param) -> bool:
        self._bind(node.name)
        for child in (node.annotation, node.default):
            if child is not None:
                child.visit(self)
        return False


def _assignment_of(function: cst.FunctionDef, name: str) -> cst.Assign | cst.AnnAssign | None:
    """The one `name = value` / `name: T = value` statement of `function` binding `name`."""
    found: list[cst.Assign | cst.AnnAssign] = []

    class Find(cst.CSTVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            if any(isinstance(t.target, cst.Name) and t.target.value == name for t in node.targets):
                found.append(node)

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            if isinstance(node.target, cst.Name) and node.target.value == name:
                found.append(node)

    function.visit(Find())
    if len(found) != 1:
        return None
    statement = found[0]
    if isinstance(statement, cst.Assign) and len(statement.targets) != 1:
        return None  # `a = sql = ...`: the text has a second name
    if statement.value is None:
        return None
    return statement


def single_use_value(function: cst.FunctionDef, argument: cst.Name) -> cst.BaseExpression | None:
    """The expression bound to `argument`'s name when the rewrite may move its values into the
    call that reads `argument`; None otherwise (see the module's docstring)."""
    statement = _assignment_of(function, argument.value)
    if statement is None or statement.value is None:
        return None
    names = _Names(statement)
    function.visit(names)
    own = [i for i, (node, _) in enumerate(names.events) if node.value == argument.value]
    if len(own) != 2 or names.watch_end < 0:
        return None
    bound_at, read_at = own
    target = statement.targets[0].target if isinstance(statement, cst.Assign) else statement.target
    if names.events[bound_at][0] is not target or names.events[read_at][0] is not argument:
        return None
    if read_at < names.watch_end:
        return None
    value = statement.value
    calls = _Calls(value)
    value.visit(calls)
    if calls.other:
        return None
    # Names the value reads (its own events, after the target's).
    used = {node.value for node, binds in names.events[bound_at + 1 : names.watch_end]}
    # A value bound again after the assignment (before the call, or later in a loop that runs
    # the call again) would mean something else at the call.
    if any(binds and node.value in used for node, binds in names.events[names.watch_end :]):
        return None
    return value
