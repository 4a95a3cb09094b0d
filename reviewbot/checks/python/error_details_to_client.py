"""error-details-to-client: exception text or a traceback sent in an HTTP response, and error
payloads sent with a success status."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

import libcst as cst

from reviewbot.model.rule import PythonFile, PythonRule
from reviewbot.python.handlers import WEB_IMPORT_TEXT, imports_web_framework, is_request_handler
from reviewbot.python.names import dotted, keyword, last_name, string_value
from reviewbot.python.syntax import Syntax, calls_to

# Calls whose arguments become the body (or `detail`) of an HTTP response.
RESPONSES = frozenset(
    {
        "flask.jsonify",
        "flask.make_response",
        "flask.Response",
        "flask.abort",
        "quart.jsonify",
        "quart.abort",
        "werkzeug.wrappers.Response",
        "django.http.JsonResponse",
        "django.http.HttpResponse",
        "django.http.HttpResponseBadRequest",
        "django.http.HttpResponseServerError",
        "django.http.response.JsonResponse",
        "django.http.response.HttpResponse",
        "rest_framework.response.Response",
        "fastapi.HTTPException",
        "fastapi.exceptions.HTTPException",
        "starlette.exceptions.HTTPException",
        "fastapi.responses.JSONResponse",
        "fastapi.responses.PlainTextResponse",
        "fastapi.responses.HTMLResponse",
        "starlette.responses.JSONResponse",
        "starlette.responses.PlainTextResponse",
        "starlette.responses.HTMLResponse",
        "aiohttp.web.json_response",
        "aiohttp.web.Response",
        "sanic.response.json",
        "sanic.response.text",
    }
)
TRACEBACK = frozenset(
    {
        "traceback.format_exc",
        "traceback.format_exception",
        "traceback.format_tb",
        "traceback.format_stack",
        "traceback.extract_tb",
    }
)
# Exceptions whose text describes the server, not the request: anything, or the database.
BROAD = frozenset({"Exception", "BaseException"})
DATABASE_WORDS = ("Database", "SQL", "Sql", "Integrity", "Operational", "Programming", "DBAPI")
DATABASE_MODULES = (
    "psycopg",
    "sqlalchemy",
    "pymysql",
    "MySQLdb",
    "asyncpg",
    "django.db",
    "sqlite3",
)
ERROR_KEYS = frozenset({"error", "errors", "exception", "traceback", "stacktrace"})
STATUS_KEYWORDS = frozenset({"status", "status_code"})


@dataclass(slots=True)
class _Handler:
    name: str | None  # `except E as name`
    leaks: bool  # what it catches describes the server (broad or database errors)


class ErrorDetailsToClient(PythonRule):
    id = "error-details-to-client"
    skip_tests = True
    prefilter = WEB_IMPORT_TEXT

    @classmethod
    def wants_tree(cls, syntax: Syntax) -> bool:
        # Reports at a response call, or at a `return` of a dict (or `dict, status`) or a
        # response inside an `except` block.
        if next(calls_to(syntax, RESPONSES), None) is not None:
            return True
        if next(syntax.nodes(ast.ExceptHandler), None) is None:
            return False
        for node in syntax.nodes(ast.Return):
            value = node.value
            if isinstance(value, ast.Tuple) and value.elts:
                value = value.elts[0]
            if isinstance(value, ast.Dict):
                return True
        return False

    def __init__(self, file: PythonFile, options: dict[str, Any]) -> None:
        super().__init__(file, options)
        self.web = False
        self.excepts: list[_Handler] = []
        self.functions: list[bool] = []  # is each enclosing function a request handler
        self.classes: list[bool] = []
        self.debug_blocks: list[bool] = []

    def visit_Module(self, node: cst.Module) -> None:
        self.web = imports_web_framework(node)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.functions.append(False)
        self.classes.append(True)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.functions.pop()
        self.classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        in_class = bool(self.classes) and bool(self.classes[-1])
        self.classes.append(False)
        self.functions.append(is_request_handler(node, in_class=in_class))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.functions.pop()
        self.classes.pop()

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        name = None
        if node.name is not None and isinstance(node.name.name, cst.Name):
            name = node.name.name.value
        self.excepts.append(_Handler(name, self._leaky(node.type)))

    def leave_ExceptHandler(self, original_node: cst.ExceptHandler) -> None:
        self.excepts.pop()

    def _leaky(self, caught: cst.BaseExpression | None) -> bool:
        if caught is None:
            return True
        options = [e.value for e in caught.elements] if isinstance(caught, cst.Tuple) else [caught]
        for option in options:
            if last_name(option) in BROAD:
                return True
            text = dotted(option) or ""
            qualified = self.qualified_names(option)
            if any(w in text for w in DATABASE_WORDS) or any(
                q.startswith(DATABASE_MODULES) for q in qualified
            ):
                return True
        return False

    # -- exception text in a response ------------------------------------------------------

    def visit_If(self, node: cst.If) -> None:
        self.debug_blocks.append(_mentions_debug(node.test))

    def leave_If(self, original_node: cst.If) -> None:
        self.debug_blocks.pop()

    @property
    def debug_only(self) -> bool:
        # `if settings.DEBUG:` shows details on purpose, on developers' machines only. (The
        # `else` branch is rarely where a response is built; it shares the flag.)
        return any(self.debug_blocks)

    def visit_Call(self, node: cst.Call) -> None:
        if not self.web or self.debug_only or not self.qualified_names(node.func) & RESPONSES:
            return
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value in STATUS_KEYWORDS | {"headers"}:
                continue
            leak = self._leak(arg.value)
            if leak:
                self._report_leak(arg.value, leak)
                return

    def visit_Return(self, node: cst.Return) -> None:
        # `return {"error": str(e)}, 500` from a view: the dict is the response body.
        if not self.web or not self.excepts or not self.functions or not self.functions[-1]:
            return
        if self.debug_only:
            return
        value = node.value
        if value is None:
            return
        body = value.elements[0].value if isinstance(value, cst.Tuple) and value.elements else value
        if isinstance(body, cst.Dict):
            leak = self._leak(body)
            if leak:
                self._report_leak(body, leak)
                return
        if isinstance(value, cst.Tuple) or not self.excepts[-1].leaks:
            # `body, status`; or a validation error re-rendering a form with its messages.
            return
        # An error body returned bare goes out as 200 OK.
        if isinstance(value, cst.Dict):
            error = bool(_keys(value) & ERROR_KEYS)
        elif isinstance(value, cst.Call) and self.qualified_names(value.func) & RESPONSES:
            error = self._error_payload(value) and not self._has_status(value)
        else:
            error = False
        if error:
            self.report(
                value,
                "This error response goes out with status 200, so clients, caches and "
                "monitoring take the failure for a success; pass an error status "
                "(`status=500`, `, 500`, `status_code=...`).",
            )

    def _report_leak(self, node: cst.BaseExpression, what: str) -> None:
        self.report(
            node,
            f"{what} is sent to the client: it can reveal SQL, table and column names, file "
            "paths, hosts and library versions. Log it on the server and answer with a generic "
            "message (and an error id the logs can be searched for).",
        )

    def _leak(self, node: cst.CSTNode) -> str | None:
        """What exception detail `node` carries, if any."""
        handler = self.excepts[-1] if self.excepts else None
        stack: list[cst.CSTNode] = [node]
        while stack:
            current = stack.pop()
            if isinstance(current, (cst.Lambda, cst.FunctionDef)):
                continue
            if isinstance(current, cst.IfExp) and _mentions_debug(current.test):
                stack.append(current.orelse)  # `format_exc() if settings.DEBUG else "error"`
                continue
            if isinstance(current, cst.Call):
                names = self.qualified_names(current.func)
                if names & TRACEBACK:
                    return "A traceback"
                if (
                    handler is not None
                    and handler.leaks
                    and handler.name is not None
                    and isinstance(current.func, cst.Name)
                    and current.func.value in ("str", "repr", "format")
                    and current.args
                    and _is_name(current.args[0].value, handler.name)
                ):
                    return f"The exception text (`{current.func.value}({handler.name})`)"
            if (
                handler is not None
                and handler.leaks
                and handler.name is not None
                and isinstance(current, cst.FormattedStringExpression)
                and _is_name(current.expression, handler.name)
            ):
                return f"The exception text (`{{{handler.name}}}` in an f-string)"
            if (
                handler is not None
                and handler.leaks
                and handler.name is not None
                and isinstance(current, cst.Attribute)
                and current.attr.value == "args"
                and _is_name(current.value, handler.name)
            ):
                return f"The exception's arguments (`{handler.name}.args`)"
            stack.extend(current.children)
        return None

    # -- error payload with a success status ------------------------------------------------

    @staticmethod
    def _error_payload(node: cst.Call) -> bool:
        for arg in node.args:
            if (
                arg.keyword is None
                and isinstance(arg.value, cst.Dict)
                and _keys(arg.value) & ERROR_KEYS
            ):
                return True
            if arg.keyword is not None and arg.keyword.value in ERROR_KEYS:
                return True  # jsonify(error=...)
        return False

    def _has_status(self, node: cst.Call) -> bool:
        if any(keyword(node, k) is not None for k in STATUS_KEYWORDS):
            return True
        names = self.qualified_names(node.func)
        if any(n.endswith(("HTTPException", "abort", "BadRequest", "ServerError")) for n in names):
            return True
        # `Response(body, 500)`, `make_response(body, 500)`; jsonify's positionals are the body.
        positional = [a for a in node.args if a.keyword is None and not a.star]
        return len(positional) >= 2 and not any(n.endswith("jsonify") for n in names)


def _keys(node: cst.Dict) -> set[str | None]:
    return {string_value(e.key) for e in node.elements if isinstance(e, cst.DictElement)}


def _mentions_debug(node: cst.BaseExpression) -> bool:
    return any("debug" in name.lower() for name in _all_names(node))


def _all_names(node: cst.CSTNode) -> list[str]:
    found: list[str] = []
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, (cst.Name, cst.SimpleString)):
            found.append(current.value)
        stack.extend(current.children)
    return found


def _is_name(node: cst.BaseExpression, name: str) -> bool:
    return isinstance(node, cst.Name) and node.value == name
