"""exception-cause-dropped: a broad `except` that raises a new exception carrying nothing of the
one it caught (no `from err`, not in its arguments, not logged)."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

import libcst as cst

from reviewbot.model.rule import PythonRule
from reviewbot.python.names import dotted, last_name, method_name
from reviewbot.python.syntax import Syntax

# Catching these means catching anything: the new exception is then all the caller learns.
BROAD = frozenset({"Exception", "BaseException"})
# Exceptions that end a program or a command on purpose: their message is for a person.
EXITS = frozenset({"SystemExit", "Exit", "Abort", "KeyboardInterrupt", "StopIteration"})
# A handler calling one of these has recorded the caught exception with its traceback.
RECORDS = frozenset(
    {
        "exception",
        "capture_exception",
        "captureException",
        "print_exc",
        "format_exc",
        "print_exception",
    }
)


# Exceptions that tell a client its input is wrong (a 4xx answer, a form or schema error, a bad
# setting or template): when the guarded code only parsed a value, the new exception states the
# cause ("not a valid date"), and the parser's own error is what the client must not see.
INPUT_ERRORS = re.compile(
    r"^(?:ValueError|TypeError|\w*ValidationError|BadRequest\w*|HTTPException|HttpError|"
    r"Wrong(?:Argument|Parameter)s?\w*|\w*(?:Parameter|Argument)(?:Error|Exception)|"
    r"Invalid(?:Argument|Parameter|Input)s?\w*|ImproperlyConfigured|\w*SyntaxError|"
    r"\w*ParseError|UnprocessableEntity\w*)$"
)
# Calls that parse or convert a value: their only way to fail is a malformed value. A name in a
# call's chain (`json.loads`, `datetime.strptime(...).date`, `Image.open(f).verify`) decides.
PARSE_NAMES = frozenset(
    {
        "int",
        "float",
        "complex",
        "Decimal",
        "UUID",
        "loads",
        "load",
        "safe_load",
        "literal_eval",
        "strptime",
        "fromisoformat",
        "fromtimestamp",
        "b64decode",
        "urlsafe_b64decode",
        "unhexlify",
        "fromhex",
        "split",
        "rsplit",
        "partition",
        "rpartition",
        "resolve",
        "verify",
    }
)
PARSE_PARTS = re.compile(r"parse|from_string|compile|decode|image|validat", re.I)
# Calls on a value that do no I/O (string, container and date helpers).
VALUE_NAMES = frozenset(
    {
        "str",
        "bool",
        "len",
        "dict",
        "list",
        "tuple",
        "set",
        "strip",
        "lstrip",
        "rstrip",
        "lower",
        "upper",
        "replace",
        "startswith",
        "endswith",
        "pop",
        "date",
        "today",
        "now",
        "isinstance",
    }
)


# Form, serializer and schema hooks (`clean_email`, `validate_text`, `_validate_slug`): turning
# a bad value into a ValidationError with a message for the user is what they are for.
VALIDATION_HOOK = re.compile(r"^_?(?:clean|validate)(?:_\w+)?$")
VALIDATION_ERROR = re.compile(r"^\w*ValidationError$")


def _call_names(call: cst.Call) -> list[str]:
    names: list[str] = []
    node: cst.BaseExpression | None = call.func
    while node is not None:
        if isinstance(node, cst.Call):
            node = node.func
        elif isinstance(node, cst.Attribute):
            names.append(node.attr.value)
            node = node.value
        elif isinstance(node, cst.Name):
            names.append(node.value)
            return names
        else:
            return names
    return names


def only_parses(body: cst.CSTNode) -> bool:
    """Whether the guarded code only parses or converts a value: at least one parsing call
    (`int(...)`, `json.loads(...)`, `datetime.strptime(...)`, an image decoded), and every other
    call a value helper or a class built (an exception raised). What a parser reads (its
    arguments) is not looked into."""
    parsed = False
    stack: list[cst.CSTNode] = [body]
    while stack:
        current = stack.pop()
        if isinstance(current, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            return False
        if isinstance(current, cst.Call):
            names = _call_names(current)
            if any(n in PARSE_NAMES or PARSE_PARTS.search(n) for n in names):
                parsed = True
                continue
            last = names[0] if names else ""
            if last not in VALUE_NAMES and not (last[:1].isupper() and len(names) == 1):
                return False
        stack.extend(current.children)
    return parsed


def _input_error(node: cst.BaseExpression) -> bool:
    """A client-input exception (`ValidationError(...)`, `BadRequest`, `HTTPException(400)`),
    not one carrying a 5xx status."""
    target = node.func if isinstance(node, cst.Call) else node
    name = last_name(target)
    if name is None or INPUT_ERRORS.match(name) is None:
        return False
    if isinstance(node, cst.Call):
        for arg in node.args:
            if isinstance(arg.value, cst.Integer) and arg.value.value.startswith("5"):
                return False
    return True


def _broad_ast(handler: ast.ExceptHandler) -> bool:
    kind = handler.type
    if kind is None:
        return True
    kinds = kind.elts if isinstance(kind, ast.Tuple) else [kind]
    for item in kinds:
        name = item.attr if isinstance(item, ast.Attribute) else getattr(item, "id", None)
        if name in BROAD:
            return True
    return False


def _broad(handler: cst.ExceptHandler) -> bool:
    kind = handler.type
    if kind is None:
        return True
    kinds = [e.value for e in kind.elements] if isinstance(kind, cst.Tuple) else [kind]
    return any(last_name(item) in BROAD for item in kinds)


def _records(handler: cst.ExceptHandler) -> bool:
    """Whether the handler logs the exception with its traceback (or to an error tracker)."""
    stack: list[cst.CSTNode] = [handler.body]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Call):
            name = method_name(current) or last_name(current.func)
            if name in RECORDS:
                return True
            if any(
                arg.keyword is not None and arg.keyword.value in ("exc_info", "stack_info")
                for arg in current.args
            ):
                return True
        if isinstance(current, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        stack.extend(current.children)
    return False


def _mentions(node: cst.CSTNode | None, name: str) -> bool:
    if node is None:
        return False
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name) and current.value == name:
            return True
        stack.extend(current.children)
    return False


def _new_exception(node: cst.BaseExpression) -> str | None:
    """`Other(...)` or a class named like one (`raise NotFound`): the name; else None (`raise
    err`, `raise self.error`: an exception built elsewhere, perhaps from the caught one)."""
    if isinstance(node, cst.Call):
        return dotted(node.func) or last_name(node.func) or "the new exception"
    name = last_name(node)
    if name and name[:1].isupper() and not name.isupper() and name not in ("True", "False"):
        return dotted(node) or name
    return None


@dataclass(slots=True)
class HandlerFrame:
    broad: bool
    bound: str | None
    carried: bool
    parses: bool = False


class ExceptionCauseDropped(PythonRule):
    id = "exception-cause-dropped"
    prefilter = ("except",)
    skip_tests = True

    @classmethod
    def wants_tree(cls, syntax: Syntax) -> bool:
        return any(
            _broad_ast(handler)
            and any(isinstance(n, ast.Raise) and n.exc is not None for n in ast.walk(handler))
            for handler in syntax.nodes(ast.ExceptHandler)
        )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # Handlers whose body we are in (innermost last); None marks a function or class.
        self.handlers: list[HandlerFrame | None] = []
        # The names of the functions we are in (innermost last).
        self.functions: list[str] = []
        # The `try` body each handler guards, by the handler's id.
        self.guarded: dict[int, cst.BaseSuite] = {}

    def visit_Try(self, node: cst.Try) -> None:
        for handler in node.handlers:
            self.guarded[id(handler)] = node.body

    def visit_TryStar(self, node: cst.TryStar) -> None:
        for handler in node.handlers:
            self.guarded[id(handler)] = node.body

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.handlers.append(None)
        self.functions.append(node.name.value)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.handlers.pop()
        self.functions.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.handlers.append(None)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.handlers.pop()

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if not _broad(node):
            self.handlers.append(HandlerFrame(False, None, False))
            return
        bound = node.name.name if node.name is not None else None
        name = bound.value if isinstance(bound, cst.Name) else None
        # Any use of the caught exception (logged with its message, kept, put in the new
        # exception, chained with `from`) carries it on.
        carried = _records(node) or (name is not None and _mentions(node.body, name))
        body = self.guarded.get(id(node))
        parses = body is not None and only_parses(body)
        self.handlers.append(HandlerFrame(True, name, carried, parses))

    def leave_ExceptHandler(self, original_node: cst.ExceptHandler) -> None:
        self.handlers.pop()

    def visit_Raise(self, node: cst.Raise) -> None:
        if not self.handlers or node.exc is None:
            return
        frame = self.handlers[-1]
        if frame is None or not frame.broad or frame.carried:
            return
        new = _new_exception(node.exc)
        if new is None or new.rsplit(".", 1)[-1] in EXITS:
            return
        if frame.parses and _input_error(node.exc):
            return  # a malformed value translated into an input error that says so
        if (
            self.functions
            and VALIDATION_HOOK.match(self.functions[-1])
            and VALIDATION_ERROR.match(new.rsplit(".", 1)[-1])
        ):
            return  # a validation hook reporting a bad value to the user
        cause = node.cause.item if node.cause is not None else None
        if cause is not None and not (isinstance(cause, cst.Name) and cause.value == "None"):
            return  # `from other`: chained to something on purpose
        caught = frame.bound or "err"
        if cause is not None:
            what = (
                f"`raise {new}(...) from None` in a handler that catches everything throws away "
                "the original exception and its traceback"
            )
        else:
            what = (
                f"`raise {new}(...)` in a handler that catches everything keeps nothing of the "
                "caught exception: its message says nothing about the cause, and the traceback "
                "shows the original only as an error during handling"
            )
        self.report(
            node,
            f"{what}. Chain it (`raise {new}(...) from {caught}`), put it in the message, or log "
            "it with its traceback (`logger.exception(...)`) before raising.",
        )
