"""What Python fixes share: binding a module or a name by an added import, and rendering code."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from reviewbot.model.findings import Edit

if TYPE_CHECKING:
    from reviewbot.model.rule import PythonFile


class NoImport(Exception):
    """The name an import would bind is already bound to something else: no fix."""


def code(node: cst.CSTNode) -> str:
    """libcst's own text for a node (as it was written, comments included)."""
    return cst.Module(body=[]).code_for_node(node)


def bind(file: PythonFile, module: str, name: str | None = None) -> tuple[str, Edit | None]:
    """How code in `file` can refer to `module` (or `name` from it), and the edit adding the
    import when no top-level import binds it yet.

    `bind(f, "secrets")` -> ("secrets", Edit("import secrets\\n") or None); with `name`, the
    local name bound to `module.name`. Raises NoImport when that local name is bound to
    anything else, or when the file's names cannot be read (syntax CPython refuses, `import *`).
    """
    table = file.bindings()
    if table is None:
        raise NoImport(module)
    target = f"{module}.{name}" if name else module
    for local, targets in table.imports.items():
        if targets == {target} and local not in table.other and local not in table.ambiguous:
            return local, None
    local = name or module.split(".")[0]
    if local in table.imports or local in table.other:
        raise NoImport(local)
    line = f"from {module} import {name}\n" if name else f"import {module}\n"
    return local, Edit(file.source.path, import_offset(file), import_offset(file), line)


def end_of(file: PythonFile, node: cst.BaseExpression) -> int:
    """Where `node` ends in the text, past the parentheses around it (a syntactic range stops
    inside them: inserting there would put the text into `(user, password)`)."""
    _, end = file.span(node)
    text = file.source.text
    for _ in getattr(node, "rpar", ()):
        close = text.find(")", end)
        if close == -1:
            raise LookupError("unbalanced parentheses")
        end = close + 1
    return end


def import_offset(file: PythonFile) -> int:
    """Where a new top-level import goes: after the imports that open the module (past its
    docstring and `from __future__` lines), else before its first statement."""
    body = file.module.body
    last: cst.CSTNode | None = None
    for index, statement in enumerate(body):
        if _is_import(statement) or (index == 0 and _is_docstring(statement)):
            last = statement
            continue
        break
    if last is not None:
        _, end = _statement_span(file, last)
        return end
    if body:
        start, _ = _statement_span(file, body[0])
        return start
    return len(file.source.text)


def _statement_span(file: PythonFile, statement: cst.CSTNode) -> tuple[int, int]:
    """A top-level simple statement's line: from its start to just past its newline."""
    if isinstance(statement, cst.SimpleStatementLine) and statement.body:
        start, _ = file.span(statement.body[0])
        _, end = file.span(statement.body[-1])
        text = file.source.text
        newline = text.find("\n", end)
        return start, len(text) if newline == -1 else newline + 1
    start, end = file.span(statement)
    return start, end


def _is_import(statement: cst.CSTNode) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, cst.Import | cst.ImportFrom) for small in statement.body
    )


def _is_docstring(statement: cst.CSTNode) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )
