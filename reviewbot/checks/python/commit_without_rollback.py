"""commit-without-rollback: `commit()` in a `try` whose handlers neither roll back nor re-raise."""

from __future__ import annotations

import ast
from dataclasses import dataclass

import libcst as cst

from reviewbot.model.rule import PythonRule
from reviewbot.python.names import dotted, last_name, method_name
from reviewbot.python.syntax import Syntax, method_calls

# Handlers doing any of these leave no half-finished transaction behind.
ENDS_TRANSACTION = frozenset({"rollback", "close", "set_rollback", "abort", "exit", "_exit"})


@dataclass(slots=True)
class TryFrame:
    node: cst.Try
    reported: bool = False


def _handler_recovers(handler: cst.ExceptHandler) -> bool:
    """Whether the handler re-raises or ends the transaction (rollback, close, abort)."""
    stack: list[cst.CSTNode] = [handler.body]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Raise):
            return True
        if isinstance(current, cst.Call):
            name = method_name(current) or last_name(current.func)
            if name in ENDS_TRANSACTION or (name or "").startswith("rollback"):
                return True
        if isinstance(current, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        stack.extend(current.children)
    return False


COMMIT = frozenset({"commit"})


class CommitWithoutRollback(PythonRule):
    id = "commit-without-rollback"
    prefilter = ("commit(",)

    @classmethod
    def wants_tree(cls, syntax: Syntax) -> bool:
        # An argument-less `.commit()` in the body of a `try` that has handlers.
        return any(
            not call.args and not call.keywords
            for try_ in syntax.nodes(ast.Try)
            if try_.handlers
            for statement in try_.body
            for call in method_calls(statement, COMMIT)
        )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # `try` statements whose body we are in (innermost last); None marks a function boundary.
        self.tries: list[TryFrame | None] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.tries.append(None)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.tries.pop()

    def visit_Try_body(self, node: cst.Try) -> None:
        self.tries.append(TryFrame(node) if node.handlers else None)

    def leave_Try_body(self, node: cst.Try) -> None:
        self.tries.pop()

    def visit_Call(self, node: cst.Call) -> None:
        # DB-API and SQLAlchemy `commit()` take no arguments (a VCS `commit(message)` does).
        if method_name(node) != "commit" or node.args or not self.tries:
            return
        frame = self.tries[-1]
        if frame is None or frame.reported:
            return
        if any(_handler_recovers(h) for h in frame.node.handlers):
            return
        frame.reported = True
        target = dotted(node.func) or "commit"
        self.report(
            node,
            f"`{target}()` runs in a `try` whose `except` neither rolls back nor re-raises: after a "
            "failed statement the connection or session is left mid-transaction (SQLAlchemy "
            "refuses further work until `rollback()`). Call `rollback()` in the handler, re-raise, "
            "or use a transaction context manager (`with session.begin():`, `with conn:`).",
        )
