"""connection-not-closed: a DB connection opened in a function and not closed on every path."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field

import libcst as cst

from reviewbot.model.rule import PythonRule
from reviewbot.python.bindings import Bindings
from reviewbot.python.names import (
    last_name,
    method_name,
    names_in,
    receiver,
    stored_names,
    unwrap_await,
)
from reviewbot.python.syntax import Syntax, calls_to

CONNECT = frozenset(
    {
        "psycopg.connect",
        "psycopg.Connection.connect",
        "psycopg.AsyncConnection.connect",
        "psycopg2.connect",
        "sqlite3.connect",
        "asyncpg.connect",
        "pymysql.connect",
        "MySQLdb.connect",
        "mysql.connector.connect",
        "aiosqlite.connect",
        "oracledb.connect",
        "cx_Oracle.connect",
        "pyodbc.connect",
    }
)
ENGINES = frozenset(
    {
        "sqlalchemy.create_engine",
        "sqlalchemy.engine.create_engine",
        "sqlalchemy.ext.asyncio.create_async_engine",
    }
)
ENGINE_CONNECT = frozenset({"connect", "raw_connection"})
CLOSE_METHODS = frozenset({"close", "aclose", "dispose"})


@dataclass(slots=True)
class Opened:
    name: str
    call: cst.Call
    what: str
    closed: bool = False
    closed_safely: bool = False  # in a `finally` or an `except` handler
    escaped: bool = False


@dataclass(slots=True)
class Frame:
    opened: dict[str, Opened] = field(default_factory=dict)
    globals: set[str] = field(default_factory=set)


class ConnectionNotClosed(Bindings, PythonRule):
    id = "connection-not-closed"
    skip_tests = True
    prefilter = ("connect(",)

    @classmethod
    def wants_tree(cls, syntax: Syntax) -> bool:
        # A name assigned a new connection: a connect function, or `engine.connect()` on
        # something named like an engine or built by create_engine.
        connects = set(map(id, calls_to(syntax, CONNECT)))
        engines_built = next(calls_to(syntax, ENGINES), None) is not None
        for assign in syntax.nodes(ast.Assign):
            value = assign.value
            if isinstance(value, ast.Await):
                value = value.value
            if len(assign.targets) != 1 or not isinstance(value, ast.Call):
                continue
            if id(value) in connects:
                return True
            func = value.func
            if isinstance(func, ast.Attribute) and func.attr in ENGINE_CONNECT:
                receiver_ = func.value
                name = getattr(receiver_, "attr", None) or getattr(receiver_, "id", None) or ""
                if engines_built or name.lower().endswith("engine"):
                    return True
        return False

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.frames: list[Frame] = []
        self.protected = 0  # depth inside `finally:` blocks and `except` handlers

    # -- scopes --------------------------------------------------------------------------------

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        super().visit_FunctionDef(node)
        self.frames.append(Frame())

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        super().leave_FunctionDef(original_node)
        frame = self.frames.pop()
        for opened in frame.opened.values():
            if opened.escaped or opened.closed_safely or opened.name in frame.globals:
                continue
            if opened.closed:
                message = (
                    f"`{opened.name}` ({opened.what}) is closed only when nothing raises before "
                    "`close()`; an exception leaks the connection. Use `with` (or "
                    "`contextlib.closing`), or close it in `finally:`."
                )
            else:
                message = (
                    f"`{opened.name}` ({opened.what}) is never closed, so every call leaks a "
                    "server connection until garbage collection. Use `with` (or "
                    "`contextlib.closing`), close it in `finally:`, or return it to the caller."
                )
            self.report(opened.call, message)

    def visit_Global(self, node: cst.Global) -> None:
        if self.frames:
            self.frames[-1].globals.update(n.name.value for n in node.names)

    def visit_Finally(self, node: cst.Finally) -> None:
        self.protected += 1

    def leave_Finally(self, original_node: cst.Finally) -> None:
        self.protected -= 1

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self.protected += 1

    def leave_ExceptHandler(self, original_node: cst.ExceptHandler) -> None:
        self.protected -= 1

    # -- where connections come from -----------------------------------------------------------

    def visit_Assign(self, node: cst.Assign) -> None:
        super().visit_Assign(node)
        if not self.frames:
            return  # module level: lives as long as the process, on purpose
        value = unwrap_await(node.value)
        if isinstance(value, cst.Call) and len(node.targets) == 1:
            target = node.targets[0].target
            what = self._connection(value)
            if what is not None and isinstance(target, cst.Name):
                self.frames[-1].opened[target.value] = Opened(target.value, value, what)
                return
        # `self.conn = conn`, `pool[k] = conn`, `other = conn`: someone else owns it now.
        self._escape(node.value, stored_names)

    def _connection(self, call: cst.Call) -> str | None:
        names = self.qualified_names(call.func)
        direct = names & CONNECT
        if direct:
            return f"`{min(direct)}()`"
        if method_name(call) in ENGINE_CONNECT:
            engine = receiver(call)
            assert engine is not None
            if self.constructed_by(engine, self.qualified_names) & ENGINES:
                return f"`engine.{method_name(call)}()`"
            if (last_name(engine) or "").lower().endswith("engine"):
                return f"`{last_name(engine)}.{method_name(call)}()`"
        return None

    # -- what happens to them ------------------------------------------------------------------

    def _escape(
        self, node: cst.CSTNode | None, reader: Callable[[cst.CSTNode], set[str]] = names_in
    ) -> None:
        if node is None or not self.frames:
            return
        opened = self.frames[-1].opened
        if not opened:
            return
        for name in reader(node) & opened.keys():
            opened[name].escaped = True

    def _find(self, name: str) -> Opened | None:
        # Innermost first: a nested function (a cleanup callback) may close the outer connection.
        for frame in reversed(self.frames):
            if name in frame.opened:
                return frame.opened[name]
        return None

    def visit_Call(self, node: cst.Call) -> None:
        if not any(frame.opened for frame in self.frames):
            return
        target = receiver(node)
        if isinstance(target, cst.Name) and method_name(node) in CLOSE_METHODS:
            record = self._find(target.value)
            if record is not None:
                record.closed = True
                inner = self.frames[-1].opened.get(target.value) is not record
                record.closed_safely = record.closed_safely or self.protected > 0 or inner
        # Passed to another function (`closing(conn)`, `Repo(conn)`, `stack.enter_context(conn)`,
        # `atexit.register(conn.close)`): ownership moves with it.
        for arg in node.args:
            value = arg.value
            if isinstance(value, cst.Attribute) and value.attr.value in CLOSE_METHODS:
                value = value.value
            if isinstance(value, cst.Name):
                record = self._find(value.value)
                if record is not None:
                    record.escaped = True

    # `return conn` hands it over; `return conn.execute(...).scalar()` only returns a result.
    def visit_Return(self, node: cst.Return) -> None:
        self._escape(node.value, stored_names)

    def visit_Yield(self, node: cst.Yield) -> None:
        if isinstance(node.value, cst.BaseExpression):
            self._escape(node.value, stored_names)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        super().visit_WithItem(node)
        # `with conn:` / `with closing(conn):` hands the connection to a context manager.
        if isinstance(node.item, cst.Name):
            self._escape(node.item)
