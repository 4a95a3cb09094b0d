"""Small readers of call sites shared by the Python rules: arguments, literals and dotted names."""

from __future__ import annotations

import libcst as cst


def keyword(call: cst.Call, name: str) -> cst.BaseExpression | None:
    """The value passed as `name=...`, if any."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg.value
    return None


def positional(call: cst.Call, index: int) -> cst.BaseExpression | None:
    """The `index`-th plain positional argument (`*args` ends the count: positions are unknown)."""
    seen = 0
    for arg in call.args:
        if arg.keyword is not None:
            continue
        if arg.star:
            return None
        if seen == index:
            return arg.value
        seen += 1
    return None


def argument(call: cst.Call, index: int, name: str) -> cst.BaseExpression | None:
    """A parameter passed either by position or by keyword."""
    found = keyword(call, name)
    return found if found is not None else positional(call, index)


def has_double_star(call: cst.Call) -> bool:
    """`**kwargs` at the call: any keyword argument may be hidden in it."""
    return any(arg.star == "**" for arg in call.args)


def is_true(node: cst.BaseExpression | None) -> bool:
    return isinstance(node, cst.Name) and node.value == "True"


def is_false(node: cst.BaseExpression | None) -> bool:
    return isinstance(node, cst.Name) and node.value == "False"


def is_none(node: cst.BaseExpression | None) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def evaluated(node: cst.SimpleString) -> str | bytes | None:
    """`node.evaluated_value`, or None when CPython would refuse the literal: libcst parses
    `"\\N{NO SUCH NAME}"`, non-ASCII bytes literals and NUL characters, and its
    `evaluated_value` (ast.literal_eval) then raises SyntaxError."""
    prefix = node.prefix.lower()
    if "b" not in prefix:
        body = node.raw_value
        # Most literals mean exactly their text: no escapes to process (ast.literal_eval
        # compiles each one, and rules read every string of a file).
        if ("r" in prefix or "\\" not in body) and "\x00" not in body:
            return body
    try:
        return node.evaluated_value
    except (SyntaxError, ValueError, MemoryError):
        return None


def literal_value(node: cst.SimpleString) -> str | None:
    """The value of a string literal, bytes read as latin-1; None as for `evaluated`."""
    value = evaluated(node)
    return value.decode("latin-1") if isinstance(value, bytes) else value


def string_value(node: cst.BaseExpression | None) -> str | None:
    """The text of a constant string literal (implicit concatenation included), else None."""
    if isinstance(node, cst.SimpleString):
        return literal_value(node)
    if isinstance(node, cst.ConcatenatedString):
        left, right = string_value(node.left), string_value(node.right)
        if left is not None and right is not None:
            return left + right
        return None
    if isinstance(node, cst.FormattedString):
        texts = [part for part in node.parts if isinstance(part, cst.FormattedStringText)]
        if len(texts) == len(node.parts):
            return "".join(part.value for part in texts)
    return None


def string_parts(node: cst.BaseExpression) -> list[cst.SimpleString]:
    """The literal pieces of a (possibly implicitly concatenated) constant string."""
    if isinstance(node, cst.SimpleString):
        return [node]
    if isinstance(node, cst.ConcatenatedString):
        return string_parts(node.left) + string_parts(node.right)
    return []


def dotted(node: cst.BaseExpression | None) -> str | None:
    """`a.b.c` for a chain of names and attributes, else None (calls, subscripts...)."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted(node.value)
        return None if base is None else f"{base}.{node.attr.value}"
    return None


def last_name(node: cst.BaseExpression | None) -> str | None:
    """The final identifier of `x`, `a.b.x`, `f().x`: how code refers to the value."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return None


def method_name(call: cst.Call) -> str | None:
    """`execute` for `anything.execute(...)`."""
    return call.func.attr.value if isinstance(call.func, cst.Attribute) else None


def receiver(call: cst.Call) -> cst.BaseExpression | None:
    """`cur` for `cur.execute(...)`."""
    return call.func.value if isinstance(call.func, cst.Attribute) else None


def unwrap_await(node: cst.BaseExpression) -> cst.BaseExpression:
    return node.expression if isinstance(node, cst.Await) else node


def subscript_key(node: cst.Subscript) -> str | None:
    """The constant string key of `x["key"]`."""
    if len(node.slice) != 1:
        return None
    index = node.slice[0].slice
    return string_value(index.value) if isinstance(index, cst.Index) else None


def dict_keys(node: cst.Dict) -> tuple[set[str], bool]:
    """Constant keys of a dict display, and whether it also has keys we cannot read (`**x`)."""
    keys: set[str] = set()
    opaque = False
    for element in node.elements:
        if isinstance(element, cst.DictElement):
            key = string_value(element.key)
            if key is None:
                opaque = True
            else:
                keys.add(key)
        else:
            opaque = True
    return keys, opaque


def dict_value(node: cst.Dict, key: str) -> cst.BaseExpression | None:
    for element in node.elements:
        if isinstance(element, cst.DictElement) and string_value(element.key) == key:
            return element.value
    return None


def names_in(node: cst.CSTNode) -> set[str]:
    """Every plain name read anywhere inside `node` (a cheap, scope-free collection)."""
    found: set[str] = set()
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name):
            found.add(current.value)
        elif isinstance(current, cst.Attribute):
            stack.append(current.value)  # `x.attr`: the attribute is not a name read
        elif isinstance(current, cst.Arg):
            stack.append(current.value)  # `f(key=v)`: the keyword is not a name read
        else:
            stack.extend(current.children)
    return found


def stored_names(node: cst.CSTNode) -> set[str]:
    """Names whose object itself ends up in the value of `node` (aliases, containers, arguments),
    not names only used to compute it: in `conn.cursor()` or `len(rows)`, nothing is stored."""
    found: set[str] = set()
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name):
            found.add(current.value)
        elif isinstance(current, (cst.Attribute, cst.Subscript)):
            continue
        elif isinstance(current, cst.Call):
            stack.extend(arg.value for arg in current.args)
        elif isinstance(current, (cst.Lambda, cst.Comparison, cst.UnaryOperation)):
            continue
        else:
            stack.extend(current.children)
    return found


_EMPTY_MODULE = cst.Module(body=[])


def source_of(node: cst.CSTNode, limit: int = 40) -> str:
    """The code of `node`, shortened for a message."""
    text = _EMPTY_MODULE.code_for_node(node)
    return text if len(text) <= limit else text[: limit - 3] + "..."
