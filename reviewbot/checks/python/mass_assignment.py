"""mass-assignment: a model built or updated straight from request data, every field the client
sends written to the row."""

from __future__ import annotations

import ast
import re
from typing import Any

import libcst as cst

from reviewbot.model.rule import PythonFile, PythonRule
from reviewbot.python.bindings import Bindings
from reviewbot.python.handlers import (
    REQUEST_PARAMS,
    imports_web_framework,
    imports_web_framework_ast,
)
from reviewbot.python.names import dotted, keyword, last_name, names_in, source_of, unwrap_await
from reviewbot.python.syntax import Syntax

# What a request carries from the client, as attributes (`request.json`, Django's `request.POST`,
# DRF's `request.data`) or as calls (`request.get_json()`, Starlette's `await request.json()`).
DATA_ATTRIBUTES = frozenset(
    {"json", "form", "values", "data", "POST", "GET", "args", "query_params", "media"}
)
DATA_METHODS = frozenset({"get_json", "json", "form", "post"})
# Request objects imported rather than passed (Flask, Quart, Bottle's thread-local `request`).
REQUEST_GLOBALS = frozenset({"flask.request", "quart.request", "bottle.request"})
# Calls that copy a mapping without choosing its keys.
COPIES = frozenset({"dict", "to_dict", "copy", "items"})
# Modules whose classes write rows: a file importing one builds models, not plain objects.
ORM_MODULES = (
    "django.db",
    "sqlalchemy",
    "flask_sqlalchemy",
    "sqlmodel",
    "peewee",
    "mongoengine",
    "tortoise",
    "pony",
    "ormar",
    "odmantic",
    "beanie",
)
# Classes named like these validate or carry the data, they do not store it: `UserSchema(**data)`
# is how a pydantic or attrs schema checks a payload, which is what this rule asks for.
SCHEMA_NAME = re.compile(
    r"(Schema|Serializer|Form|Request|Payload|Input|In|Body|Params|Args|Data|DTO|Dto|Create|"
    r"Update|Query|Filter|Event|Message|Config|Settings|Options|Error|Exception|Response|"
    r"Validator|Command)$"
)
VALIDATING_BASES = frozenset({"BaseModel", "BaseSettings", "TypedDict", "NamedTuple", "Struct"})
# Query builders whose `.update(mapping)` / `.values(mapping)` write every key as a column.
QUERY_WORDS = frozenset({"objects", "query", "filter", "filter_by", "where", "select_for_update"})
WRITE_METHODS = frozenset({"create", "update", "insert", "update_or_create", "get_or_create"})
PREFILTER = ("request", "req.")


class MassAssignment(Bindings, PythonRule):
    id = "mass-assignment"
    skip_tests = True
    prefilter = PREFILTER

    def __init__(self, file: PythonFile, options: dict[str, Any]) -> None:
        super().__init__(file, options)
        self.web = False
        self.orm = False
        self.schemas: set[str] = set()  # classes this file defines as validating schemas

    @classmethod
    def wants_tree(cls, syntax: Syntax) -> bool:
        if not imports_web_framework_ast(syntax.tree):
            return False  # the visitors report nothing without (`self.web`)
        for call in syntax.nodes(ast.Call):
            if any(kw.arg is None for kw in call.keywords):
                return True
            func = call.func
            if isinstance(func, ast.Attribute) and func.attr in WRITE_METHODS | {"values"}:
                return True
            if isinstance(func, ast.Name) and func.id == "setattr":
                return True
        return False

    def visit_Module(self, node: cst.Module) -> None:
        self.web = imports_web_framework(node)
        text = self.file.source.text
        self.orm = any(f"import {m}" in text or f"from {m}" in text for m in ORM_MODULES)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        super().visit_ClassDef(node)
        bases = {last_name(base.value) for base in node.bases}
        if bases & VALIDATING_BASES or any(
            last_name(d.decorator) in ("dataclass", "define", "frozen") for d in node.decorators
        ):
            self.schemas.add(node.name.value)

    # -- request data ----------------------------------------------------------------------------

    def _is_request(self, node: cst.BaseExpression) -> bool:
        if isinstance(node, cst.Name) and node.value in REQUEST_PARAMS:
            return True
        if (
            isinstance(node, cst.Attribute)
            and node.attr.value == "request"
            and isinstance(node.value, cst.Name)
            and node.value.value == "self"
        ):
            return True
        return bool(self.qualified_names(node) & REQUEST_GLOBALS)

    def request_data(self, node: cst.BaseExpression, depth: int = 0) -> str | None:
        """The source text of the request data `node` is (or copies), else None."""
        node = unwrap_await(node)
        if depth > 4:
            return None
        if isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.Or):
            # `request.json or {}`
            return self.request_data(node.left, depth + 1)
        if isinstance(node, cst.Attribute):
            if node.attr.value in DATA_ATTRIBUTES and self._is_request(node.value):
                return source_of(node)
            return None
        if isinstance(node, cst.Call):
            func = node.func
            if isinstance(func, cst.Attribute):
                if func.attr.value in DATA_METHODS and self._is_request(func.value):
                    return source_of(node)
                if func.attr.value in COPIES and not node.args:
                    # `request.POST.dict()`, `request.form.to_dict()`, `data.copy()`
                    return self.request_data(func.value, depth + 1)
            elif (
                isinstance(func, cst.Name)
                and func.value == "dict"
                and len(node.args) == 1
                and node.args[0].star == ""
            ):
                return self.request_data(node.args[0].value, depth + 1)
            return None
        if isinstance(node, cst.Name):
            # The latest assignment only: `data = request.json` then `data = schema.load(data)`
            # hands the model validated data.
            bound = [b for b in self.bindings_of(node) or () if b.op in ("=", "with")]
            if bound:
                return self.request_data(bound[-1].value, depth + 1)
        return None

    # -- sinks -----------------------------------------------------------------------------------

    def visit_Call(self, node: cst.Call) -> None:
        if not self.web:
            return
        spread = [arg.value for arg in node.args if arg.star == "**"]
        func = node.func
        method = func.attr.value if isinstance(func, cst.Attribute) else None
        if method in WRITE_METHODS | {"values"} and isinstance(func, cst.Attribute):
            values = spread + [arg.value for arg in node.args if arg.star == "" and not arg.keyword]
            defaults = keyword(node, "defaults")
            if defaults is not None and method in ("update_or_create", "get_or_create"):
                values.append(defaults)
            if self._writes_rows(func.value, method):
                for value in values:
                    data = self.request_data(value)
                    if data is not None:
                        self._report(node, data, f"`.{method}()`")
                        return
            return
        if not spread or not self._is_model_class(func):
            return
        for value in spread:
            data = self.request_data(value)
            if data is not None:
                self._report(node, data, f"`{last_name(func)}(**...)`")
                return

    def _writes_rows(self, target: cst.BaseExpression, method: str) -> bool:
        """The receiver of `.create()` / `.update()` / `.values()` is a model or a query."""
        if method == "values":
            # SQLAlchemy `insert(User).values(data)` / `update(User).where(...).values(data)`
            inner = target
            while isinstance(inner, cst.Call) and isinstance(inner.func, cst.Attribute):
                inner = inner.func.value
            return isinstance(inner, cst.Call) and last_name(inner.func) in ("insert", "update")
        if isinstance(target, cst.Attribute) and target.attr.value == "__dict__":
            return method == "update"
        text = dotted(_strip_calls(target)) or ""
        parts = text.split(".")
        if QUERY_WORDS & set(parts):
            return True
        # peewee / Tortoise: `User.create(**data)`, `User.update(**data)`
        head = last_name(target) if isinstance(target, cst.Name | cst.Attribute) else None
        return head is not None and _pascal(head) and self._is_model_name(target, head)

    def _is_model_class(self, func: cst.BaseExpression) -> bool:
        name = last_name(func)
        if name is None or not _pascal(name):
            return False
        return self._is_model_name(func, name)

    def _is_model_name(self, func: cst.BaseExpression, name: str) -> bool:
        if name in self.schemas or SCHEMA_NAME.search(name):
            return False
        qualified = self.qualified_names(func)
        if any("models" in q.split(".")[:-1] for q in qualified):
            return True
        return self.orm

    def _report(self, node: cst.Call, data: str, how: str) -> None:
        self.report(
            node,
            f"{how} writes every field of `{data}` the client sends, so a client can set "
            "fields it must not (`is_admin`, `owner_id`, `balance`); validate the payload "
            "with a schema or form that lists the writable fields and pass only those.",
        )

    # -- setattr loops ---------------------------------------------------------------------------

    def visit_For(self, node: cst.For) -> None:
        super().visit_For(node)
        if not self.web:
            return
        key = _loop_key(node.target)
        if key is None:
            return
        source = node.iter
        if (
            isinstance(source, cst.Call)
            and isinstance(source.func, cst.Attribute)
            and source.func.attr.value in ("items", "keys")
        ):
            source = source.func.value
        data = self.request_data(source)
        if data is None:
            return
        setattr_call = _unchecked_setattr(node.body, key, checked=False)
        if setattr_call is not None:
            self._report(setattr_call, data, "`setattr()` over every key")


def _unchecked_setattr(node: cst.CSTNode, key: str, checked: bool) -> cst.Call | None:
    """`setattr(obj, key, ...)` in a loop body with no test of `key` that decides whether it
    runs: `if key in ALLOWED: setattr(...)` and `if key not in ALLOWED: continue` check it;
    `if key == "price": value = float(value)` only converts the value."""
    if isinstance(node, cst.IndentedBlock | cst.SimpleStatementSuite):
        for statement in node.body:
            if _skips_key(statement, key):
                checked = True
            found = _unchecked_setattr(statement, key, checked)
            if found is not None:
                return found
        return None
    if isinstance(node, cst.If) and key in names_in(node.test):
        found = _unchecked_setattr(node.body, key, checked=True)
        if found is not None:
            return found
        return _unchecked_setattr(node.orelse, key, checked) if node.orelse else None
    if (
        not checked
        and isinstance(node, cst.Call)
        and isinstance(node.func, cst.Name)
        and node.func.value == "setattr"
        and len(node.args) >= 2
        and isinstance(node.args[1].value, cst.Name)
        and node.args[1].value.value == key
    ):
        return node
    for child in node.children:
        found = _unchecked_setattr(child, key, checked)
        if found is not None:
            return found
    return None


def _skips_key(statement: cst.CSTNode, key: str) -> bool:
    """`if key not in ALLOWED: continue` (or raise / return) before the write."""
    if not isinstance(statement, cst.If) or key not in names_in(statement.test):
        return False
    body = statement.body
    last = body.body[-1] if body.body else None
    if isinstance(last, cst.SimpleStatementLine):
        return any(isinstance(s, cst.Continue | cst.Raise | cst.Return) for s in last.body)
    return isinstance(body, cst.SimpleStatementSuite) and any(
        isinstance(s, cst.Continue | cst.Raise | cst.Return) for s in body.body
    )


def _loop_key(target: cst.BaseExpression) -> str | None:
    if isinstance(target, cst.Name):
        return target.value
    if isinstance(target, cst.Tuple) and target.elements:
        first = target.elements[0].value
        if isinstance(first, cst.Name):
            return first.value
    return None


def _strip_calls(node: cst.BaseExpression) -> cst.BaseExpression:
    """`session.query(User).filter(...)` -> `session.query.filter`, for reading its words."""
    if isinstance(node, cst.Call):
        return _strip_calls(node.func)
    if isinstance(node, cst.Attribute):
        return node.with_changes(value=_strip_calls(node.value))
    return node


def _pascal(name: str) -> bool:
    return name[:1].isupper() and not name.isupper()
