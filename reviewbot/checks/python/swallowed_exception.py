"""swallowed-exception: a bare or broad `except` whose body drops the error without a trace."""

from __future__ import annotations

import ast
import re

import libcst as cst

from reviewbot.model.rule import PythonRule
from reviewbot.python.names import dotted, method_name
from reviewbot.python.syntax import Syntax, ast_dotted

_DIRECTIVE = re.compile(
    r"^(?:noqa(?::\s*[A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*)?|pylint:\s*disable=[\w,-]+"
    r"|nosec(?:\s+[A-Z][0-9]+(?:\s*,\s*[A-Z][0-9]+)*)?|type:\s*ignore(?:\[[^\]]*\])?"
    r"|pragma:[^#]*|fmt:\s*\w+)",
    re.IGNORECASE,
)
# Annotations of this project's own fixtures and suppressions are not explanations either.
ANNOTATIONS = ("reviewbot:", "expect:", "ok:")
# Matched by name: resolving builtins would cost name resolution on nearly every file (the
# prefilter is just "except"), and shadowing `Exception` is vanishingly rare.
BROAD = frozenset({"Exception", "BaseException", "builtins.Exception", "builtins.BaseException"})
# A `try` whose body only releases a resource: failing to release is routinely ignored on purpose
# (the resource is being discarded anyway), and logging it would be noise.
CLEANUP_METHODS = frozenset(
    {
        "close",
        "aclose",
        "unlink",
        "remove",
        "rmtree",
        "rmdir",
        "kill",
        "terminate",
        "shutdown",
        "disconnect",
        "rollback",
        "cancel",
        "release",
        "stop",
        "cleanup",
        "dispose",
        "join",
        "flush",
        "delete",
        "quit",
        "close_all",
        "closeall",
    }
)


def _is_broad(handler: cst.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    types = (
        [e.value for e in handler.type.elements]
        if isinstance(handler.type, cst.Tuple)
        else [handler.type]
    )
    return any(dotted(t) in BROAD for t in types)


def _drops_error(small: cst.BaseSmallStatement) -> bool:
    """`pass`, `...`, `continue`, `return`, `return None`, or a bare string."""
    if isinstance(small, (cst.Pass, cst.Continue)):
        return True
    if isinstance(small, cst.Return):
        return small.value is None or (
            isinstance(small.value, cst.Name) and small.value.value == "None"
        )
    return isinstance(small, cst.Expr) and isinstance(
        small.value, (cst.Ellipsis, cst.SimpleString, cst.ConcatenatedString)
    )


def _body_drops_error(body: cst.BaseSuite) -> bool:
    if isinstance(body, cst.SimpleStatementSuite):
        return all(_drops_error(s) for s in body.body)
    assert isinstance(body, cst.IndentedBlock)
    return all(
        isinstance(line, cst.SimpleStatementLine) and all(_drops_error(s) for s in line.body)
        for line in body.body
    )


def _is_cleanup_call(statement: cst.BaseStatement) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    small = statement.body[0]
    if not isinstance(small, cst.Expr):
        return False
    value = small.value.expression if isinstance(small.value, cst.Await) else small.value
    if not isinstance(value, cst.Call):
        return False
    name = method_name(value) or (value.func.value if isinstance(value.func, cst.Name) else "")
    return name in CLEANUP_METHODS or name.startswith(("close", "remove", "delete"))


# Metric updates (`counter.labels(...).inc()`, `histogram.observe(t)`): instrumentation must
# never fail the work it measures, so dropping its errors is the point.
METRIC_METHODS = frozenset({"inc", "dec", "observe", "incr", "decr", "gauge", "timing"})


def _is_metric_call(statement: cst.BaseStatement) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    small = statement.body[0]
    if not isinstance(small, cst.Expr) or not isinstance(small.value, cst.Call):
        return False
    call = small.value
    if method_name(call) not in METRIC_METHODS or not isinstance(call.func, cst.Attribute):
        return False
    receiver = call.func.value
    # `x.labels(...).inc()`, `statsd.incr(...)`, `metrics.timing(...)`: not `self.counter.inc()`
    # on an object of the application's own.
    return (isinstance(receiver, cst.Call) and method_name(receiver) == "labels") or (
        isinstance(receiver, (cst.Name, cst.Attribute))
        and (dotted(receiver) or "").rsplit(".", 1)[-1] in ("statsd", "metrics", "stats")
    )


def _is_plain_assignment(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Assign)
    )


def _only_cleanup(body: cst.BaseSuite) -> bool:
    """`conn.close()`, or `if conn is not None: conn.close()`, after at most the assignments
    that name what is released (`path = Path(...)`), and nothing else."""
    if not isinstance(body, cst.IndentedBlock) or not body.body:
        return False
    *before, statement = body.body
    if not all(_is_plain_assignment(s) for s in before):
        return False
    if isinstance(statement, cst.If) and statement.orelse is None:
        inner = statement.body
        return isinstance(inner, cst.IndentedBlock) and all(_is_cleanup_call(s) for s in inner.body)
    return _is_cleanup_call(statement)


def _is_explanation(comment: cst.Comment | None) -> bool:
    """Prose saying why, not only a linter directive (`# noqa: BLE001`, `# pylint: disable=...`);
    `# noqa: BLE001 - display must never fail` has both and counts."""
    if comment is None:
        return False
    text = _DIRECTIVE.sub("", comment.value.lstrip("#").strip()).strip(" -:;,.")
    return len(text.split()) >= 2 and not text.lower().startswith(ANNOTATIONS)


def _explained(body: cst.BaseSuite) -> bool:
    """A comment in the handler (or on its `except` line) says why the error is dropped."""
    if isinstance(body, cst.SimpleStatementSuite):
        return _is_explanation(body.trailing_whitespace.comment)
    assert isinstance(body, cst.IndentedBlock)
    if _is_explanation(body.header.comment):
        return True
    return any(
        _is_explanation(comment)
        for statement in body.body
        # Both kinds of statement (simple line, compound) carry `leading_lines`.
        if isinstance(statement, cst.SimpleStatementLine | cst.BaseCompoundStatement)
        for comment in (
            *(line.comment for line in statement.leading_lines),
            *(
                [statement.trailing_whitespace.comment]
                if isinstance(statement, cst.SimpleStatementLine)
                else []
            ),
        )
    )


def _ast_broad(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(ast_dotted(t) in BROAD for t in types)


def _ast_drops_error(statement: ast.stmt) -> bool:
    """`_drops_error` on the ast (where `return None` holds a constant, not a name)."""
    if isinstance(statement, ast.Pass | ast.Continue):
        return True
    if isinstance(statement, ast.Return):
        value = statement.value
        return value is None or (isinstance(value, ast.Constant) and value.value is None)
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)


class SwallowedException(PythonRule):
    id = "swallowed-exception"
    # Only broad handlers can be reported: `except:`, or a handler naming (Base)Exception.
    prefilter = re.compile(r"except\s*:|except\b[^:\n]*Exception\b")
    # Tests swallow on purpose: `raise Exception("force rollback")` inside the `try`, cleanup of
    # fixtures that may not exist. There are no logs to read there either. (15 of the 56
    # findings on the benchmark corpus were such.)
    skip_tests = True

    @classmethod
    def wants_tree(cls, syntax: Syntax) -> bool:
        # A broad handler whose body only drops the error: what `visit_Try` reports.
        return any(
            _ast_broad(handler) and all(_ast_drops_error(statement) for statement in handler.body)
            for try_ in syntax.nodes(ast.Try)
            for handler in try_.handlers
        )

    def visit_Try(self, node: cst.Try) -> None:
        if _only_cleanup(node.body):
            return
        body = node.body
        if isinstance(body, cst.IndentedBlock) and all(_is_metric_call(s) for s in body.body):
            return
        for handler in node.handlers:
            if not _is_broad(handler):
                continue
            if _body_drops_error(handler.body) and not _explained(handler.body):
                caught = "every exception" if handler.type is None else "`Exception`"
                self.report(
                    handler,
                    f"This handler catches {caught} and drops it without a trace; log it "
                    "(`logger.exception(...)`), re-raise, or catch only the exceptions you "
                    "expect here.",
                )
