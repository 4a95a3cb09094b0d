"""debug-mode-enabled: Flask, Django, FastAPI/Starlette or Werkzeug debug switched on in code."""

from __future__ import annotations

import ast
from pathlib import PurePosixPath

import libcst as cst

from reviewbot.model.rule import PythonRule
from reviewbot.python.bindings import Bindings
from reviewbot.python.foreign import ForeignSuppressions
from reviewbot.python.names import (
    is_true,
    keyword,
    method_name,
    positional,
    receiver,
    string_value,
    subscript_key,
)
from reviewbot.python.syntax import Syntax, calls_to
from reviewbot.python.vocabulary import is_test_path

FLASK_APPS = frozenset({"flask.Flask", "quart.Quart"})
# Constructors whose `debug=True` serves tracebacks (and, for Werkzeug, a console) to clients.
DEBUG_CONSTRUCTORS = frozenset(
    {
        "fastapi.FastAPI",
        "fastapi.applications.FastAPI",
        "starlette.applications.Starlette",
        "flask.Flask",
    }
)
WERKZEUG_RUN = frozenset({"werkzeug.serving.run_simple", "werkzeug.run_simple"})
# Settings modules meant for development: `DEBUG = True` is their purpose.
DEV_SETTINGS_WORDS = frozenset(
    {"dev", "devel", "develop", "development", "local", "test", "tests", "testing", "ci", "debug"}
)
SETTINGS_CONFIG_METHODS = frozenset({"update", "from_mapping"})
# Readers of an environment variable with a default: `os.environ.get`, `os.getenv`,
# django-environ's `env.bool` / `env(...)`, python-decouple's `config(...)`.
ENV_READERS = frozenset({"get", "getenv", "bool", "env", "config", "str", "int"})
TRUTHY_TEXT = frozenset({"true", "1", "yes", "on", "t", "y"})


def _truthy_literal(value: object) -> bool:
    if value is True or (type(value) is int and value == 1):
        return True
    return isinstance(value, str) and value.strip().lower() in TRUTHY_TEXT


def _ast_env_default_on(node: ast.AST) -> bool:
    """A call reading a `*DEBUG` environment variable whose default turns debug on."""
    for call in ast.walk(node):
        if not isinstance(call, ast.Call) or not call.args:
            continue
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        key = call.args[0]
        if name not in ENV_READERS or not (
            isinstance(key, ast.Constant)
            and isinstance(key.value, str)
            and key.value.upper().endswith("DEBUG")
        ):
            continue
        defaults = [k.value for k in call.keywords if k.arg == "default"] + call.args[1:2]
        if any(isinstance(d, ast.Constant) and _truthy_literal(d.value) for d in defaults):
            return True
    return False


def _ast_true(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _ast_app_name(node: ast.AST) -> bool:
    """`_is_flask_app`'s fallback on the usual names of an app built elsewhere."""
    if isinstance(node, ast.Name):
        return node.id in ("app", "application", "flask_app")
    return isinstance(node, ast.Attribute) and node.attr in ("app", "flask_app")


def is_production_settings(path: str) -> bool:
    """`settings.py`, `settings/base.py`, `settings/production.py`; not `settings/dev.py`."""
    pure = PurePosixPath(path)
    stem = pure.stem.lower()
    in_settings = "settings" in stem or any(p.lower() == "settings" for p in pure.parts[:-1])
    if not in_settings or is_test_path(path):
        return False
    words = set(stem.replace("-", "_").split("_"))
    return not (words & DEV_SETTINGS_WORDS)


class DebugModeEnabled(ForeignSuppressions, Bindings, PythonRule):
    id = "debug-mode-enabled"
    FOREIGN_CODES = frozenset({"S201", "B201"})
    # Not "debug": nearly every file calls `log.debug(...)`.
    prefilter = (
        "debug=True",
        "debug = True",
        "DEBUG = True",
        "DEBUG=True",
        "DEBUG: bool = True",
        'DEBUG"]',
        "DEBUG']",
        "use_debugger",
        # `DEBUG = os.getenv("DEBUG", "1")`: read from the environment, on by default.
        '"DEBUG",',
        "'DEBUG',",
        'DEBUG", ',
        "DEBUG', ",
    )

    @classmethod
    def wants_tree(cls, syntax: Syntax) -> bool:
        # Every report is a literal `True`: assigned to `DEBUG`, `x.debug` or `x["DEBUG"]`, or
        # passed as `debug=`, `use_debugger=` or `DEBUG=`.
        constructors = set(map(id, calls_to(syntax, DEBUG_CONSTRUCTORS | WERKZEUG_RUN)))
        for call in syntax.nodes(ast.Call):
            func = call.func
            method = func.attr if isinstance(func, ast.Attribute) else None
            for keyword_ in call.keywords:
                if not _ast_true(keyword_.value):
                    continue
                if keyword_.arg in ("debug", "use_debugger") and (
                    id(call) in constructors or method == "run"
                ):
                    return True
                if keyword_.arg == "DEBUG" and method in SETTINGS_CONFIG_METHODS:
                    return True
        flask = next(calls_to(syntax, FLASK_APPS), None) is not None
        for assign in syntax.nodes(ast.Assign, ast.AnnAssign):
            targets = assign.targets if isinstance(assign, ast.Assign) else [assign.target]
            if (
                assign.value is not None
                and any(isinstance(t, ast.Name) and t.id == "DEBUG" for t in targets)
                and _ast_env_default_on(assign.value)
            ):
                return True
            if not _ast_true(assign.value):
                continue
            for target in targets:
                if isinstance(target, ast.Name) and target.id == "DEBUG":
                    return True
                attribute = target if isinstance(target, ast.Attribute) else None
                if (
                    attribute
                    and attribute.attr == "debug"
                    and (flask or _ast_app_name(attribute.value))
                ):
                    return True
                key = target.slice if isinstance(target, ast.Subscript) else None
                if isinstance(key, ast.Constant) and key.value == "DEBUG":
                    return True
        return False

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.depth = 0
        # Not a settings module only tests or CI load (python/context.py).
        self.settings_module = (
            is_production_settings(self.file.source.path) and not self.context.test
        )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        super().visit_FunctionDef(node)
        self.depth += 1

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        super().leave_FunctionDef(original_node)
        self.depth -= 1

    def visit_Assign(self, node: cst.Assign) -> None:
        super().visit_Assign(node)
        if any(isinstance(t.target, cst.Name) and t.target.value == "DEBUG" for t in node.targets):
            self._check_env_default(node.value)
        if not is_true(node.value):
            return
        for target in node.targets:
            self._check_target(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        super().visit_AnnAssign(node)
        if is_true(node.value):
            self._check_target(node.target, node.value)  # type: ignore[arg-type]

    def _check_env_default(self, value: cst.BaseExpression) -> None:
        """`DEBUG = os.getenv("DEBUG", "1")` in a production settings module."""
        if not self.settings_module or self.depth:
            return
        for call in _calls_in(value):
            name = method_name(call) or (call.func.value if isinstance(call.func, cst.Name) else "")
            key = string_value(positional(call, 0))
            if name not in ENV_READERS or key is None or not key.upper().endswith("DEBUG"):
                continue
            default = keyword(call, "default") or positional(call, 1)
            if default is None or not _truthy_literal(_literal(default)):
                continue
            self._report(
                default,
                f"`DEBUG` is on whenever `{key}` is unset: a deployment that forgets the variable "
                "serves stack traces, settings and SQL to anyone; make the default off "
                f'(`env.bool("{key}", default=False)`) and turn it on only in development.',
            )
            return

    def _check_target(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name) and target.value == "DEBUG":
            if self.settings_module and self.depth == 0:
                self._report(
                    value,
                    "`DEBUG = True` in a settings module shows stack traces, settings and SQL to "
                    "anyone who triggers an error; read it from the environment "
                    '(`DEBUG = env.bool("DEBUG", default=False)`) and keep it off in production.',
                )
            return
        # `app.debug = True`, `app.config["DEBUG"] = True` on a Flask app.
        if isinstance(target, cst.Attribute) and target.attr.value == "debug":
            if self._is_flask_app(target.value):
                self._report_flask(value)
        elif isinstance(target, cst.Subscript) and subscript_key(target) == "DEBUG":
            config = target.value
            if (
                isinstance(config, cst.Attribute)
                and config.attr.value == "config"
                and self._is_flask_app(config.value)
            ):
                self._report_flask(value)

    def visit_Call(self, node: cst.Call) -> None:
        names = self.qualified_names(node.func)
        debug = keyword(node, "debug")
        if names & DEBUG_CONSTRUCTORS and is_true(debug):
            self._report(
                debug,  # type: ignore[arg-type]
                "`debug=True` makes the application return tracebacks to clients; take it from "
                "configuration that is off in production.",
            )
            return
        if names & WERKZEUG_RUN and is_true(keyword(node, "use_debugger")):
            self._report(
                keyword(node, "use_debugger"),  # type: ignore[arg-type]
                "The Werkzeug debugger runs arbitrary Python for whoever reaches it; never enable "
                "it outside a developer machine (take the flag from configuration).",
            )
            return
        method = method_name(node)
        target = receiver(node)
        if target is None:
            return
        if method == "run" and is_true(debug) and self._is_flask_app(target):
            self._report_flask(debug)  # type: ignore[arg-type]
        elif (
            method in SETTINGS_CONFIG_METHODS
            and is_true(keyword(node, "DEBUG"))
            and isinstance(target, cst.Attribute)
            and target.attr.value == "config"
            and self._is_flask_app(target.value)
        ):
            self._report_flask(keyword(node, "DEBUG"))  # type: ignore[arg-type]

    def _is_flask_app(self, node: cst.BaseExpression) -> bool:
        if self.constructed_by(node, self.qualified_names) & FLASK_APPS:
            return True
        # An app object created elsewhere (an app factory, `current_app`): trust the usual names.
        if isinstance(node, cst.Name):
            return node.value in ("app", "application", "flask_app")
        if isinstance(node, cst.Attribute):
            return node.attr.value in ("app", "flask_app")
        return False

    def _report(self, node: cst.BaseExpression, message: str) -> None:
        if not self.foreign_suppressed():
            self.report(node, message)

    def _report_flask(self, node: cst.BaseExpression) -> None:
        self._report(
            node,
            "Flask debug mode serves the Werkzeug debugger, which runs arbitrary code for anyone "
            "who can reach the app; take the flag from configuration (`FLASK_DEBUG`) and keep it "
            "off in production.",
        )


def _calls_in(node: cst.BaseExpression) -> list[cst.Call]:
    calls: list[cst.Call] = []
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Call):
            calls.append(current)
        stack.extend(current.children)
    return calls


def _literal(node: cst.BaseExpression) -> object:
    """The value of a literal `True`, integer or string; None for anything else."""
    if isinstance(node, cst.Name) and node.value in ("True", "False"):
        return node.value == "True"
    if isinstance(node, cst.Integer):
        return int(node.value, 0) if node.value.isdigit() else None
    return string_value(node)
