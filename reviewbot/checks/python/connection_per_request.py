"""connection-per-request: a database connection or engine opened for each request, not pooled."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from reviewbot.model.rule import PythonFile, PythonRule
from reviewbot.python.handlers import WEB_IMPORT_TEXT, imports_web_framework, is_request_handler
from reviewbot.python.names import last_name
from reviewbot.python.syntax import Syntax, calls_to
from reviewbot.python.vocabulary import is_cli_path

# Calls that open a new server connection (or build a whole engine with its own pool).
CONNECT = frozenset(
    {
        "psycopg.connect",
        "psycopg.Connection.connect",
        "psycopg.AsyncConnection.connect",
        "psycopg2.connect",
        "pymysql.connect",
        "pymysql.connections.Connection",
        "MySQLdb.connect",
        "mysql.connector.connect",
        "asyncpg.connect",
        "aiomysql.connect",
        "aiopg.connect",
        "oracledb.connect",
        "cx_Oracle.connect",
        "pyodbc.connect",
        "pymssql.connect",
    }
)
ENGINES = frozenset(
    {
        "sqlalchemy.create_engine",
        "sqlalchemy.engine.create_engine",
        "sqlalchemy.ext.asyncio.create_async_engine",
    }
)
NULL_POOL = frozenset({"sqlalchemy.pool.NullPool", "sqlalchemy.NullPool"})
# A function that keeps what it opens: the first call builds, later calls reuse.
CACHING_DECORATORS = frozenset({"lru_cache", "cache", "cached_property", "cached", "memoize"})


@dataclass(slots=True)
class _Function:
    name: str
    handler: bool
    keeps: bool  # caches or stores in a global: opened once, not per call
    is_class: bool = False
    calls: set[str] = field(default_factory=set)
    opens: list[tuple[cst.Call, str]] = field(default_factory=list)


class ConnectionPerRequest(PythonRule):
    id = "connection-per-request"
    skip_tests = True
    prefilter = WEB_IMPORT_TEXT

    @classmethod
    def wants_tree(cls, syntax: Syntax) -> bool:
        # Reports only at a connect/engine call or a `poolclass=` argument.
        if next(calls_to(syntax, CONNECT | ENGINES), None) is not None:
            return True
        return any(k.arg == "poolclass" for k in syntax.nodes(ast.keyword))

    def __init__(self, file: PythonFile, options: dict[str, Any]) -> None:
        super().__init__(file, options)
        self.web = False
        self.stack: list[_Function] = []
        self.done: list[_Function] = []
        self.module_functions: set[str] = set()
        self.null_pools: list[cst.Arg] = []

    def visit_Module(self, node: cst.Module) -> None:
        self.web = imports_web_framework(node) and not is_cli_path(self.file.source.path)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.stack.append(_Function(node.name.value, False, False, is_class=True))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.stack.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        outer = self.stack[-1] if self.stack else None
        in_class = outer is not None and outer.is_class
        handler = is_request_handler(node, in_class=in_class) or (
            outer is not None and outer.handler
        )
        keeps = any(
            last_name(d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator)
            in CACHING_DECORATORS
            for d in node.decorators
        )
        if not self.stack:
            self.module_functions.add(node.name.value)
        self.stack.append(_Function(node.name.value, handler, keeps))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        done = self.stack.pop()
        if self.stack and not self.stack[-1].is_class and not done.keeps:
            # A nested function's connections happen when its outer function runs.
            self.stack[-1].opens.extend(done.opens)
            self.stack[-1].calls |= done.calls
            return
        self.done.append(done)

    def visit_Global(self, node: cst.Global) -> None:
        if self.stack:
            self.stack[-1].keeps = True

    def visit_Call(self, node: cst.Call) -> None:
        if not self.web or not self.stack:
            return
        current = self.stack[-1]
        if isinstance(node.func, cst.Name):
            current.calls.add(node.func.value)
        names = self.qualified_names(node.func)
        opened = names & (CONNECT | ENGINES)
        if opened:
            current.opens.append((node, min(opened)))

    def leave_Module(self, original_node: cst.Module) -> None:
        if not self.web:
            return
        handlers = [f for f in self.done if f.handler]
        if handlers:
            # NullPool is web code's problem only where requests are served: an Alembic env.py
            # or a batch script importing the app for its config opens one connection anyway.
            for arg in self.null_pools:
                self.report(
                    arg,
                    "`NullPool` opens and closes a real connection for every checkout, i.e. for "
                    "every request this module serves; keep the default `QueuePool` (or put "
                    "PgBouncer in front and say so in a `reviewbot: ignore` comment).",
                )
        # Helpers the handlers call in this module, and the helpers they call (bounded).
        reached: set[str] = set()
        frontier = {name for f in handlers for name in f.calls} & self.module_functions
        by_name = {f.name: f for f in self.done}
        for _ in range(4):
            new = frontier - reached
            if not new:
                break
            reached |= new
            frontier = {n for name in new if name in by_name for n in by_name[name].calls}
            frontier &= self.module_functions
        for function in self.done:
            if function.keeps or not (function.handler or function.name in reached):
                continue
            for call, name in function.opens:
                where = (
                    f"the request handler `{function.name}`"
                    if function.handler
                    else f"`{function.name}`, which a request handler calls,"
                )
                if name in ENGINES:
                    message = (
                        f"`{name}` in {where} builds a new engine, and with it a new connection "
                        "pool, on every request; create the engine once at import or startup and "
                        "share it."
                    )
                else:
                    message = (
                        f"`{name}` in {where} opens a new database connection on every request "
                        "(a TCP and TLS handshake and authentication each time, and one server "
                        "process per concurrent request); take connections from a pool created "
                        "once at startup."
                    )
                self.report(call, message)

    def visit_Arg(self, node: cst.Arg) -> None:
        # `create_engine(..., poolclass=NullPool)` in web code opens a connection per checkout.
        if not self.web or node.keyword is None or node.keyword.value != "poolclass":
            return
        if self.qualified_names(node.value) & NULL_POOL:
            self.null_pools.append(node)
