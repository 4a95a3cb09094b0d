"""A query built by formatting values into SQL, rewritten as placeholders plus parameters.

Used by sql-injection's fix, on a query written in the call itself or bound once to a variable
only that call reads (query_variable.py): an f-string, `"..." % values`, `"...".format(values)`
or a `+` chain of literals and values; only statements that take parameters
(SELECT, INSERT, UPDATE, DELETE, WITH, MERGE, VALUES: a `SET`, DDL or `SHOW` takes none on a
driver that binds on the server). Every spliced value must sit where SQL takes a value (after a
comparison, `LIKE`, `LIMIT`/`OFFSET`, inside `IN (...)`/`VALUES (...)`), either bare or alone
inside single quotes (which go: the driver quotes). A splice anywhere else is an identifier or a
clause, which no placeholder can carry: then there is no rewrite.
"""

from __future__ import annotations

import json
import re
import string
from dataclasses import dataclass

import libcst as cst

from reviewbot.python.fixes import code

# Paramstyles (PEP 249 names): what a placeholder looks like and how parameters are passed.
FORMAT, QMARK, DOLLAR, NAMED = "format", "qmark", "dollar", "named"
# Modules whose import fixes the paramstyle of a file's `execute` calls.
DRIVER_STYLES = {
    "psycopg2": FORMAT,
    "psycopg": FORMAT,
    "pymysql": FORMAT,
    "MySQLdb": FORMAT,
    "mysql.connector": FORMAT,
    "django.db": FORMAT,
    "sqlite3": QMARK,
    "aiosqlite": QMARK,
    "asyncpg": DOLLAR,
}

# Text right before a value: a comparison, LIKE, LIMIT/OFFSET, BETWEEN x AND.
_VALUE_BEFORE = re.compile(
    r"(?:=|<>|!=|<=|>=|<|>|\blike|\bilike|\blimit|\boffset|\bbetween|\bbetween\s+\S+\s+and)\s*\Z",
    re.IGNORECASE,
)
_LIST_OPEN = re.compile(r"\b(?:in|values)\s*\Z", re.IGNORECASE)
_PARAMETERIZABLE = re.compile(
    r"\s*\(*\s*(?:select|insert|update|delete|with|merge|values)\b", re.IGNORECASE
)
_PERCENT_SPEC = re.compile(r"%(?:%|[sd])|%")


@dataclass(frozen=True, slots=True)
class Rewrite:
    """The query literal with placeholders, and the parameters as code, for one call."""

    query: str
    params: tuple[str, ...]
    names: tuple[str, ...] = ()  # NAMED: the bind parameter names, in `params`' order


def pieces(node: cst.BaseExpression) -> list[str | cst.BaseExpression] | None:
    """The query as literal text (str) and spliced values (nodes), or None for another shape."""
    if isinstance(node, cst.FormattedString):
        return _fstring(node)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Modulo):
        return _percent(node)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        return _concatenation(node)
    if (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == "format"
        and isinstance(node.func.value, cst.SimpleString)
    ):
        return _format(node, node.func.value)
    return None


def _format(node: cst.Call, receiver: cst.SimpleString) -> list[str | cst.BaseExpression] | None:
    """`"... {} ... {name}".format(a, name=b)`: plain fields only, every argument used."""
    template = receiver.evaluated_value
    if not isinstance(template, str) or any(arg.star for arg in node.args):
        return None
    positional = [arg.value for arg in node.args if arg.keyword is None]
    named = {arg.keyword.value: arg.value for arg in node.args if arg.keyword is not None}
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError:
        return None
    out: list[str | cst.BaseExpression] = []
    auto, manual = 0, False
    used: set[int | str] = set()
    for literal, field, spec, conversion in fields:
        out.append(literal)
        if field is None:
            continue
        if spec or conversion:
            return None
        key: int | str
        if field == "":
            key, auto = auto, auto + 1
        elif field.isdigit():
            key, manual = int(field), True
        elif field.isidentifier():
            key = field
        else:
            return None  # `{0.name}`, `{row[id]}`: an attribute or item of an argument
        if isinstance(key, int):
            if key >= len(positional):
                return None
            out.append(positional[key])
        else:
            if key not in named:
                return None
            out.append(named[key])
        used.add(key)
    if auto and manual:
        return None
    if used != {*range(len(positional)), *named}:
        return None  # an argument the text does not use: dropping it would skip its evaluation
    return out


def _fstring(node: cst.FormattedString) -> list[str | cst.BaseExpression] | None:
    prefix = node.prefix.lower().replace("f", "")
    if "b" in prefix:
        return None
    out: list[str | cst.BaseExpression] = []
    for part in node.parts:
        if isinstance(part, cst.FormattedStringText):
            raw = part.value.replace("{{", "{").replace("}}", "}")
            value = _evaluate(prefix, node.quote, raw)
            if value is None:
                return None
            out.append(value)
        elif isinstance(part, cst.FormattedStringExpression):
            if part.conversion or part.format_spec or part.equal:
                return None
            out.append(part.expression)
    return out


def _evaluate(prefix: str, quote: str, raw: str) -> str | None:
    try:
        value = cst.SimpleString(f"{prefix}{quote}{raw}{quote}").evaluated_value
    except Exception:  # libcst validates the literal; a text part it refuses means no fix
        return None
    return value if isinstance(value, str) else None


def _percent(node: cst.BinaryOperation) -> list[str | cst.BaseExpression] | None:
    left = node.left
    if not isinstance(left, cst.SimpleString):
        return None
    template = left.evaluated_value
    if not isinstance(template, str):
        return None
    right = node.right
    values: list[cst.BaseExpression]
    if isinstance(right, cst.Tuple):
        if any(isinstance(e, cst.StarredElement) for e in right.elements):
            return None
        values = [e.value for e in right.elements]
    elif isinstance(right, cst.Name | cst.Attribute | cst.Subscript | cst.Call | cst.Integer):
        values = [right]
    else:
        return None
    out: list[str | cst.BaseExpression] = []
    last = 0
    text = ""
    index = 0
    for match in _PERCENT_SPEC.finditer(template):
        text += template[last : match.start()]
        last = match.end()
        spec = match[0]
        if spec == "%%":
            text += "%"
            continue
        if spec == "%" or index >= len(values):
            return None  # `%(name)s`, `%5d`, `%r`: not a plain positional value
        out += [text, values[index]]
        text = ""
        index += 1
    if index != len(values):
        return None
    return [*out, text + template[last:]]


def _concatenation(node: cst.BaseExpression) -> list[str | cst.BaseExpression] | None:
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        left, right = _concatenation(node.left), _concatenation(node.right)
        if left is None or right is None:
            return None
        return [*left, *right]
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return [value] if isinstance(value, str) else None
    if isinstance(node, cst.FormattedString | cst.ConcatenatedString):
        return None  # mixed shapes: left to the author
    return [node]


def rewrite(node: cst.BaseExpression, style: str) -> Rewrite | None:
    """`node` (the query as written in the call) with placeholders in `style`; None when a
    splice is not a value, or the literal text would clash with the placeholders."""
    parts = pieces(node)
    if parts is None:
        return None
    merged: list[str | cst.BaseExpression] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    if not any(not isinstance(p, str) for p in merged):
        return None
    texts = [p for p in merged if isinstance(p, str)]
    if _clashes("".join(texts), style):
        return None
    first = merged[0] if isinstance(merged[0], str) else ""
    if not _PARAMETERIZABLE.match(first):
        # `SET x = {v}`, DDL defaults, `SHOW`: PostgreSQL binds parameters only in these
        # statements (psycopg 3 and asyncpg bind on the server; `SET x = $1` is an error there).
        return None
    sql = ""
    params: list[str] = []
    names: list[str] = []
    seen: dict[str, int] = {}
    for index, part in enumerate(merged):
        if isinstance(part, str):
            sql += part
            continue
        after = next((p for p in merged[index + 1 :] if isinstance(p, str)), "")
        following_value = index + 1 < len(merged) and not isinstance(merged[index + 1], str)
        if following_value:
            return None  # two values glued together: `{a}{b}`
        value_code = code(part)
        if isinstance(part, cst.SimpleString | cst.FormattedString | cst.ConcatenatedString):
            return None
        quoted = sql.endswith("'") and after.startswith("'")
        if quoted:
            sql = sql[:-1]
            merged[index + 1] = after[1:]
            after = after[1:]
        if not _value_position(sql, after):
            return None
        if style == DOLLAR and value_code in seen:
            sql += f"${seen[value_code] + 1}"
            continue
        if style == NAMED and value_code in seen:
            sql += f":{names[seen[value_code]]}"
            continue
        seen[value_code] = len(params)
        params.append(value_code)
        if style == NAMED:
            name = _bind_name(part, names)
            names.append(name)
            sql += f":{name}"
        elif style == DOLLAR:
            sql += f"${len(params)}"
        elif style == QMARK:
            sql += "?"
        else:
            sql += "%s"
    if style == FORMAT:
        # With parameters the driver reads `%` as the start of a placeholder: double the rest.
        sql = _double_percents(sql)
    quote = node.quote if isinstance(node, cst.FormattedString) else _quote_of(node)
    return Rewrite(_literal(sql, quote), tuple(params), tuple(names))


def _double_percents(sql: str) -> str:
    return re.sub(r"%(?!s)", "%%", sql.replace("%s", "\0")).replace("\0", "%s")


def _clashes(text: str, style: str) -> bool:
    """Literal text that already holds what the placeholders would look like."""
    if style == QMARK:
        return "?" in text
    if style == DOLLAR:
        return re.search(r"\$\d", text) is not None
    if style == FORMAT:
        return "%s" in text
    if style == NAMED:
        # SQLAlchemy's text() takes `:word` as a bind parameter (`::` casts are fine).
        return re.search(r"(?<![:\w]):\w", text) is not None
    return True


def _value_position(before: str, after: str) -> bool:
    """Whether SQL takes a value between `before` and `after`: not inside a string literal,
    after an operator that compares or limits, or in an `IN (...)` / `VALUES (...)` list;
    followed by nothing that makes it part of a name (`.`, `(`, a letter, `::`)."""
    if before.count("'") % 2:
        return False  # inside a longer string literal: `'%{term}%'`
    if after[:1] and not (after[:1].isspace() or after[:1] in "),;"):
        return False
    if _VALUE_BEFORE.search(before):
        return True
    stripped = before.rstrip()
    if stripped.endswith(("(", ",")):
        depth = 0
        for position in range(len(stripped) - 1, -1, -1):
            char = stripped[position]
            if char == ")":
                depth += 1
            elif char == "(":
                if depth == 0:
                    return _LIST_OPEN.search(stripped[:position]) is not None
                depth -= 1
    return False


def _bind_name(node: cst.BaseExpression, taken: list[str]) -> str:
    text = code(node)
    words = re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text)
    candidates = [w for w in words if w not in ("self", "cls", "str", "int")]
    base = candidates[-1].strip("_") if candidates else "value"
    base = base or "value"
    name, suffix = base, 2
    while name in taken:
        name, suffix = f"{base}_{suffix}", suffix + 1
    return name


def _quote_of(node: cst.BaseExpression) -> str:
    for child in _strings(node):
        return child.quote
    return '"'


def _strings(node: cst.BaseExpression) -> list[cst.SimpleString]:
    if isinstance(node, cst.SimpleString):
        return [node]
    if isinstance(node, cst.BinaryOperation):
        return [*_strings(node.left), *_strings(node.right)]
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        return _strings(node.func.value)
    return []


def _literal(value: str, quote: str) -> str:
    """A plain Python string literal for `value`, in the quotes the query was written with."""
    if len(quote) == 3 and quote not in value and not value.endswith(quote[0]):
        return quote + value.replace("\\", "\\\\") + quote
    if quote[0] == "'" and ('"' in value or "'" not in value):
        text = repr(value)
        if text.startswith("'"):
            return text
    return json.dumps(value, ensure_ascii=False)
