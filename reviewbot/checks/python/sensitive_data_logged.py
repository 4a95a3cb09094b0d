"""sensitive-data-logged: passwords, tokens, keys or card data passed to a logger or `print`."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

import libcst as cst

from reviewbot.model.rule import PythonRule
from reviewbot.python.bindings import Bindings
from reviewbot.python.names import (
    dotted,
    last_name,
    method_name,
    receiver,
    source_of,
    subscript_key,
)
from reviewbot.python.syntax import Syntax
from reviewbot.python.vocabulary import (
    is_personal_data_name,
    is_sensitive_key,
    secret_kind,
)

LOG_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log", "msg"}
)
LOGGING_MODULE = frozenset(f"logging.{m}" for m in LOG_METHODS)
LOGGER_FACTORIES = frozenset(
    {"logging.getLogger", "structlog.get_logger", "structlog.getLogger", "loguru.logger"}
)
# How code usually names a logger it did not build in view.
LOGGER_NAMES = frozenset(
    {"logger", "log", "_logger", "_log", "logging", "LOGGER", "LOG", "getLogger"}
)
PRINT = "builtins.print"
# Keyword arguments of logging calls that never reach the message text.
QUIET_KEYWORDS = ("exc_info", "stack_info", "extra")
# Calls that pass their argument's content on into the text (`str(token)`, `json.dumps(data)`).
TRANSPARENT_CALLS = frozenset({"str", "repr", "format", "dumps", "join", "encode", "decode"})
# Attributes of a secret that reveal nothing about it.
HARMLESS_ATTRIBUTES = frozenset({"__class__", "__name__", "expires_at", "expiry", "scopes"})
# Methods a secret string has; any other attribute read means the name holds an object (an OTP
# device called `token`, a `Password` policy model), not the secret text.
STRING_METHODS = frozenset(
    {"encode", "decode", "strip", "lower", "upper", "split", "startswith", "endswith", "replace"}
)
STRING_ANNOTATIONS = frozenset({"str", "bytes", "SecretStr", "Optional[str]", "str | None"})


@dataclass(slots=True)
class Frame:
    """Findings of one function, held until we know which names hold objects."""

    candidates: list[tuple[str, cst.BaseExpression, str]] = field(default_factory=list)
    objects: set[str] = field(default_factory=set)


def sensitive_name(name: str) -> str | None:
    """Kind of sensitive value a name holds: "password", "token", "card number", ..."""
    kind = secret_kind(name)
    if kind is not None:
        return str(kind)
    if is_personal_data_name(name):
        return "card or identity number"
    return None


def _ast_sensitive(node: ast.AST) -> bool:
    """`SensitiveDataLogged._sensitive` on the ast (whether it finds anything)."""
    if isinstance(node, ast.Starred):  # libcst keeps the star on the argument, not the value
        return _ast_sensitive(node.value)
    if isinstance(node, ast.Name):
        return sensitive_name(node.id) is not None
    if isinstance(node, ast.Attribute):
        return node.attr not in HARMLESS_ATTRIBUTES and sensitive_name(node.attr) is not None
    if isinstance(node, ast.Subscript):
        key = node.slice
        return (
            isinstance(key, ast.Constant)
            and isinstance(key.value, str)
            and is_sensitive_key(key.value)
        )
    if isinstance(node, ast.JoinedStr):
        return any(
            isinstance(v, ast.FormattedValue) and _ast_sensitive(v.value) for v in node.values
        )
    if isinstance(node, ast.BinOp):
        return _ast_sensitive(node.left) or _ast_sensitive(node.right)
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return any(_ast_sensitive(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return any(_ast_sensitive(v) for v in node.values)
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name not in TRANSPARENT_CALLS:
            return False
        if any(_ast_sensitive(a) for a in (*node.args, *(k.value for k in node.keywords))):
            return True
        return name == "format" and isinstance(func, ast.Attribute) and _ast_sensitive(func.value)
    return False


class SensitiveDataLogged(Bindings, PythonRule):
    id = "sensitive-data-logged"
    skip_tests = True
    prefilter = (
        "password",
        "passwd",
        "pwd",
        "secret",
        "token",
        "Token",
        "api_key",
        "apikey",
        "apiKey",
        "API_KEY",
        "PASSWORD",
        "SECRET",
        "TOKEN",
        "card",
        "cvv",
        "cvc",
        "ssn",
        "Authorization",
        "authorization",
        "credential",
    )

    @classmethod
    def wants(cls, text: str) -> bool:
        # Both a sensitive word and something that writes a log line.
        return super().wants(text) and ("log" in text or "print" in text)

    @classmethod
    def wants_tree(cls, syntax: Syntax) -> bool:
        # A call that may write a log line or print, with an argument `_sensitive` would flag.
        imports = syntax.names.imports if syntax.names.ok else {}
        for call in syntax.nodes(ast.Call):
            func = call.func
            if isinstance(func, ast.Attribute):
                sink = func.attr in LOG_METHODS
            elif isinstance(func, ast.Name):
                sink = func.id == "print" or bool(imports.get(func.id, set()) & LOGGING_MODULE)
            else:
                sink = False
            if not sink:
                continue
            arguments = [
                *call.args,
                *(k.value for k in call.keywords if k.arg not in QUIET_KEYWORDS),
            ]
            if any(_ast_sensitive(argument) for argument in arguments):
                return True
        return False

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.frames: list[Frame] = [Frame()]
        # A command's stdout is the operator's terminal, where printing a freshly created
        # credential is how it is handed over.
        self.cli = self.context.command

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        super().visit_FunctionDef(node)
        self.frames.append(Frame())

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        super().leave_FunctionDef(original_node)
        self._flush(self.frames.pop())

    def leave_Module(self, original_node: cst.Module) -> None:
        self._flush(self.frames.pop())

    def _flush(self, frame: Frame) -> None:
        for key, node, message in frame.candidates:
            if key not in frame.objects:
                self.report(node, message)

    def visit_Param(self, node: cst.Param) -> None:
        if node.annotation is not None:
            annotation = source_of(node.annotation.annotation, limit=200)
            if annotation not in STRING_ANNOTATIONS:
                self.frames[-1].objects.add(node.name.value)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value not in STRING_METHODS:
            holder = dotted(node.value)
            if holder is not None:
                self.frames[-1].objects.add(holder)

    def visit_Call(self, node: cst.Call) -> None:
        sink = self._sink(node)
        if sink is None:
            return
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value in QUIET_KEYWORDS:
                continue
            found = self._sensitive(arg.value)
            if found is not None:
                expression, kind = found
                self.frames[-1].candidates.append(
                    (
                        dotted(expression) or "",
                        expression,
                        f"`{source_of(expression)}` ({kind}) is written to {sink}; logs are kept, "
                        "shipped and read far more widely than the secret should be. Log an "
                        "identifier instead (user id, last 4 digits, a token's hash prefix), or "
                        "drop it.",
                    )
                )
                return

    def _sink(self, node: cst.Call) -> str | None:
        names = self.qualified_names(node.func)
        if PRINT in names:
            return None if self.cli else "stdout by `print`"
        if names & LOGGING_MODULE:
            return "the log"
        method = method_name(node)
        target = receiver(node)
        if method not in LOG_METHODS or target is None:
            return None
        if self.constructed_by(target, self.qualified_names) & LOGGER_FACTORIES:
            return "the log"
        if last_name(target) in LOGGER_NAMES or (last_name(target) or "").endswith("logger"):
            return "the log"
        return None

    def _sensitive(self, node: cst.BaseExpression) -> tuple[cst.BaseExpression, str] | None:
        """The first sensitive value that reaches the text of the log line."""
        if isinstance(node, cst.Name):
            kind = sensitive_name(node.value)
            return (node, kind) if kind else None
        if isinstance(node, cst.Attribute):
            if node.attr.value in HARMLESS_ATTRIBUTES:
                return None
            kind = sensitive_name(node.attr.value)
            return (node, kind) if kind else None
        if isinstance(node, cst.Subscript):
            key = subscript_key(node)
            if key is not None and is_sensitive_key(key):
                return node, "credential"
            return None  # `token[:4]`: a prefix is how a secret is identified safely
        if isinstance(node, cst.FormattedString):
            for part in node.parts:
                if isinstance(part, cst.FormattedStringExpression):
                    found = self._sensitive(part.expression)
                    if found:
                        return found
            return None
        if isinstance(node, cst.BinaryOperation):
            return self._sensitive(node.left) or self._sensitive(node.right)
        if isinstance(node, (cst.Tuple, cst.List, cst.Set)):
            for element in node.elements:
                found = self._sensitive(element.value)
                if found:
                    return found
            return None
        if isinstance(node, cst.Dict):
            for entry in node.elements:
                if isinstance(entry, cst.DictElement):
                    found = self._sensitive(entry.value)
                    if found:
                        return found
            return None
        if isinstance(node, cst.Call):
            name = last_name(node.func)
            if name in TRANSPARENT_CALLS:
                for arg in node.args:
                    found = self._sensitive(arg.value)
                    if found:
                        return found
                if name == "format" and isinstance(node.func, cst.Attribute):
                    return self._sensitive(node.func.value)
            return None  # `len(token)`, `mask(card_number)`, `hash(pw)`: derived, not the value
        return None
