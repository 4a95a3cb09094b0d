"""Python patterns written as code, matched on libcst trees with names resolved through imports.

A pattern is Python with two extensions, as in Semgrep and ast-grep: `$NAME` (a metavariable,
any expression, the same one each time it recurs) and `...` (any arguments, any statements, any
expression; `def f(...)` any parameters). Dotted names are compared as the names they resolve
to through the file's imports (`PythonFile.qualified_names`): the pattern `requests.get(...)`
matches `import requests as r; r.get(u)` and `from requests import get; get(u)`, and a pattern
naming a trailing part of a qualified name (`datetime.utcnow` for `datetime.datetime.utcnow`)
matches it too. Keyword arguments match in any order; extra arguments only where the pattern
has `...`. Decorators, `with` items and base classes in a pattern must each be present, in any
order. A statement in a pattern's body must occur somewhere inside the matched block.

Matching is bounded: a pattern that would match every node (`$X`, `...`) is refused, and each
attempt has a step budget, so no pattern makes the traversal hang.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields

import libcst as cst

MV_PREFIX = "__rb_mv_"
ANY_PARAMS = "__rb_any_params__"
_MV_TEXT = re.compile(r"\$([A-Z_][A-Z0-9_]*)")
_ANY_PARAMS_TEXT = re.compile(r"(\bdef\s+[A-Za-z_$][A-Za-z0-9_]*\s*)\(\s*\.\.\.\s*\)")
MAX_STEPS = 20_000
_SKIPPED_FIELDS = frozenset(
    {
        "lpar",
        "rpar",
        "comma",
        "semicolon",
        "leading_lines",
        "lines_after_decorators",
        "header",
        "footer",
        "trailing_whitespace",
        "lbracket",
        "rbracket",
        "lbrace",
        "rbrace",
        "colon",
        "equal",
        "newline",
        "asname",  # compared where it matters (with-items, imports) by the special cases
    }
)
_WHITESPACE = (
    cst.BaseParenthesizableWhitespace,
    cst.Comment,
    cst.EmptyLine,
    cst.TrailingWhitespace,
    cst.Newline,
)
Env = dict[str, cst.CSTNode]
Resolver = Callable[[cst.CSTNode], set[str]]


class PatternError(ValueError):
    """A pattern that does not parse, or would match everything."""


class _Budget(Exception):
    """The step budget of one match attempt ran out: no match."""


@dataclass(frozen=True, slots=True)
class PythonPattern:
    text: str
    node: cst.CSTNode

    @property
    def root(self) -> type[cst.CSTNode]:
        return type(self.node)

    def tokens(self) -> frozenset[str]:
        """Identifiers every file holding a match contains as text (the text prefilter)."""
        return frozenset(_tokens(self.node))


def metavariable(node: cst.CSTNode) -> str | None:
    if isinstance(node, cst.Name) and node.value.startswith(MV_PREFIX):
        return "$" + node.value[len(MV_PREFIX) :]
    return None


def _is_wild(node: cst.CSTNode) -> bool:
    """`...` standing for any number of items of a sequence."""
    if isinstance(node, cst.Ellipsis):
        return True
    if isinstance(node, cst.Arg | cst.Element) and not getattr(node, "keyword", None):
        return isinstance(node.value, cst.Ellipsis) and getattr(node, "star", "") == ""
    if isinstance(node, cst.Expr):
        return isinstance(node.value, cst.Ellipsis)
    if isinstance(node, cst.SimpleStatementLine) and len(node.body) == 1:
        return _is_wild(node.body[0])
    return False


def _statement(source: str) -> cst.CSTNode:
    try:
        module = cst.parse_module(textwrap.dedent(source) + "\n")
    except (cst.ParserSyntaxError, RecursionError, MemoryError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "syntax error"
        raise PatternError(f"is not a Python expression or statement ({first})") from None
    if len(module.body) != 1:
        raise PatternError("must be one expression or one statement (with its body)")
    node: cst.CSTNode = module.body[0]
    if isinstance(node, cst.SimpleStatementLine) and len(node.body) == 1:
        inner = node.body[0]
        node = inner.value if isinstance(inner, cst.Expr) else inner
    return node


def compile_python(text: str) -> PythonPattern:
    source = _ANY_PARAMS_TEXT.sub(lambda m: f"{m.group(1)}({ANY_PARAMS})", text.strip())
    source = _MV_TEXT.sub(lambda m: MV_PREFIX + m.group(1), source)
    node: cst.CSTNode
    try:
        node = cst.parse_expression(source)
    except (cst.ParserSyntaxError, RecursionError, MemoryError, ValueError):
        node = _statement(source)
    if metavariable(node) is not None or _is_wild(node) or isinstance(node, cst.Ellipsis):
        raise PatternError("matches every expression; say what to look for (`$X.save(...)`)")
    if isinstance(node, cst.Pass):
        raise PatternError("matches every `pass`; say what to look for")
    return PythonPattern(text=text, node=node)


def _dotted(node: cst.CSTNode) -> str | None:
    """`a.b.c` for a Name/Attribute chain without metavariables, else None."""
    if isinstance(node, cst.Name):
        return None if metavariable(node) or node.value == ANY_PARAMS else node.value
    if isinstance(node, cst.Attribute):
        head = _dotted(node.value)
        return (
            f"{head}.{node.attr.value}"
            if head is not None and not metavariable(node.attr)
            else None
        )
    return None


def _tokens(node: cst.CSTNode) -> Iterator[str]:
    if isinstance(node, cst.Name):
        if not metavariable(node) and node.value not in (ANY_PARAMS, "builtins"):
            yield node.value
        return
    if isinstance(node, cst.SimpleString | cst.FormattedString | cst.ConcatenatedString):
        return  # quotes and escapes vary
    for child in node.children:
        yield from _tokens(child)


def resolves_to(dotted: str, node: cst.CSTNode, resolve: Resolver) -> bool:
    if not isinstance(node, cst.Name | cst.Attribute):
        return False
    names = resolve(node)
    if dotted in names or f"builtins.{dotted}" in names:
        return True
    return "." in dotted and any(name.endswith("." + dotted) for name in names)


def code_of(node: cst.CSTNode) -> str:
    try:
        return cst.Module(body=[]).code_for_node(node)
    except Exception:  # a node libcst cannot print alone
        return ""


class Matcher:
    """One match attempt of a pattern on a node; `env` holds the metavariables bound."""

    def __init__(self, resolve: Resolver) -> None:
        self.resolve = resolve
        self.steps = 0
        self.env: Env = {}

    def match(self, pattern: cst.CSTNode, node: cst.CSTNode) -> Env | None:
        self.steps = 0
        env: Env = {}
        try:
            return env if self._m(pattern, node, env) else None
        except (_Budget, RecursionError):
            return None

    # -- the recursion ---------------------------------------------------------------------

    def _tick(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise _Budget

    def _bind(self, name: str, node: cst.CSTNode, env: Env) -> bool:
        bound = env.get(name)
        if bound is None:
            env[name] = node
            return True
        return bound.deep_equals(node) or code_of(bound).strip() == code_of(node).strip()

    def _m(self, p: cst.CSTNode, n: cst.CSTNode, env: Env) -> bool:
        self._tick()
        name = metavariable(p)
        if name is not None:
            return self._bind(name, n, env)
        if isinstance(p, cst.Ellipsis):
            return True
        dotted = _dotted(p)
        if dotted is not None:
            return resolves_to(dotted, n, self.resolve)
        if isinstance(p, cst.Attribute):
            return (
                isinstance(n, cst.Attribute)
                and self._name(p.attr, n.attr, env)
                and self._m(p.value, n.value, env)
            )
        if type(p) is not type(n):
            return False
        if isinstance(p, cst.Call):
            assert isinstance(n, cst.Call)
            return self._m(p.func, n.func, env) and self._args(p.args, n.args, env)
        if isinstance(p, cst.FunctionDef):
            assert isinstance(n, cst.FunctionDef)
            return (
                self._name(p.name, n.name, env)
                and self._subset(p.decorators, n.decorators, env)
                and self._params(p.params, n.params, env)
                and self._body(p.body, n.body, env)
            )
        if isinstance(p, cst.ClassDef):
            assert isinstance(n, cst.ClassDef)
            return (
                self._name(p.name, n.name, env)
                and self._subset(p.decorators, n.decorators, env)
                and self._args([*p.bases, *p.keywords], [*n.bases, *n.keywords], env, True)
                and self._body(p.body, n.body, env)
            )
        if isinstance(p, cst.With):
            assert isinstance(n, cst.With)
            return self._subset(p.items, n.items, env) and self._body(p.body, n.body, env)
        if isinstance(p, cst.WithItem):
            assert isinstance(n, cst.WithItem)
            if not self._m(p.item, n.item, env):
                return False
            if p.asname is None:
                return True
            return n.asname is not None and self._m(p.asname.name, n.asname.name, env)
        if isinstance(p, cst.SimpleString):
            assert isinstance(n, cst.SimpleString)
            return p.evaluated_value == n.evaluated_value
        if isinstance(p, cst.Name):
            assert isinstance(n, cst.Name)
            return p.value == n.value
        return self._fields(p, n, env)

    def _name(self, p: cst.Name, n: cst.Name, env: Env) -> bool:
        name = metavariable(p)
        return self._bind(name, n, env) if name is not None else p.value == n.value

    def _fields(self, p: cst.CSTNode, n: cst.CSTNode, env: Env) -> bool:
        for spec in fields(p):
            if spec.name in _SKIPPED_FIELDS or spec.name.startswith("whitespace"):
                continue
            pv, nv = getattr(p, spec.name), getattr(n, spec.name)
            if isinstance(pv, _WHITESPACE):
                continue
            if isinstance(pv, cst.CSTNode):
                if not isinstance(nv, cst.CSTNode) or not self._m(pv, nv, env):
                    return False
            elif isinstance(pv, tuple | list):
                items = [x for x in pv if not isinstance(x, _WHITESPACE)]
                others = [x for x in nv if not isinstance(x, _WHITESPACE)]
                if not self._seq(items, others, env):
                    return False
            elif isinstance(pv, cst.MaybeSentinel):
                continue
            elif pv != nv:
                return False
        return True

    def _seq(self, ps: Sequence[cst.CSTNode], ns: Sequence[cst.CSTNode], env: Env) -> bool:
        """Items in order; a wildcard item (`...`) stands for any number of them."""
        self._tick()
        if not ps:
            return not ns
        first, rest = ps[0], ps[1:]
        if _is_wild(first):
            for skip in range(len(ns) + 1):
                trial = dict(env)
                if self._seq(rest, ns[skip:], trial):
                    env.update(trial)
                    return True
            return False
        if not ns:
            return False
        trial = dict(env)
        if self._m(first, ns[0], trial) and self._seq(rest, ns[1:], trial):
            env.update(trial)
            return True
        return False

    def _subset(self, ps: Sequence[cst.CSTNode], ns: Sequence[cst.CSTNode], env: Env) -> bool:
        """Each pattern item matches some distinct item, in any order."""
        if not ps:
            return True
        first, rest = ps[0], ps[1:]
        if _is_wild(first):
            return self._subset(rest, ns, env)
        for index, candidate in enumerate(ns):
            trial = dict(env)
            if self._m(first, candidate, trial) and self._subset(
                rest, [*ns[:index], *ns[index + 1 :]], trial
            ):
                env.update(trial)
                return True
        return False

    def _args(
        self,
        ps: Sequence[cst.Arg],
        ns: Sequence[cst.Arg],
        env: Env,
        open_ended: bool = False,
    ) -> bool:
        """Positional arguments in order (`...` for any run of them); keywords in any order;
        extra keywords only where the pattern has a `...`."""
        positional = [a for a in ps if a.keyword is None]
        keywords = [a for a in ps if a.keyword is not None]
        wild = open_ended or any(_is_wild(a) for a in positional)
        n_positional = [a for a in ns if a.keyword is None and a.star != "**"]
        n_keywords = [a for a in ns if a.keyword is not None or a.star == "**"]
        if not self._seq(positional, n_positional, env):
            return False
        used: set[int] = set()
        for arg in keywords:
            assert arg.keyword is not None
            found = False
            for index, other in enumerate(n_keywords):
                if index in used or other.keyword is None:
                    continue
                if other.keyword.value == arg.keyword.value or metavariable(arg.keyword):
                    trial = dict(env)
                    if (
                        metavariable(arg.keyword) is None
                        or self._bind(str(metavariable(arg.keyword)), other.keyword, trial)
                    ) and self._m(arg.value, other.value, trial):
                        env.update(trial)
                        used.add(index)
                        found = True
                        break
            if not found:
                return False
        return wild or len(used) == len(n_keywords)

    def _params(self, p: cst.Parameters, n: cst.Parameters, env: Env) -> bool:
        if any(param.name.value == ANY_PARAMS for param in p.params):
            return True
        return self._fields(p, n, env)

    def _body(self, p: cst.BaseSuite, n: cst.BaseSuite, env: Env) -> bool:
        """Each statement of the pattern's body occurs somewhere inside the node's body."""
        wanted = [s for s in _statements(p) if not _is_wild(s) and not _is_pass(s)]
        for statement in wanted:
            target: cst.CSTNode = statement
            if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
                inner = statement.body[0]
                target = inner.value if isinstance(inner, cst.Expr) else inner
            found = False
            for candidate in descendants(n):
                if type(candidate) is not type(target) and _dotted(target) is None:
                    continue
                trial = dict(env)
                if self._m(target, candidate, trial):
                    env.update(trial)
                    found = True
                    break
            if not found:
                return False
        return True


def _statements(suite: cst.BaseSuite) -> Sequence[cst.CSTNode]:
    if isinstance(suite, cst.IndentedBlock):
        return suite.body
    if isinstance(suite, cst.SimpleStatementSuite):
        return suite.body
    return ()


def _is_pass(node: cst.CSTNode) -> bool:
    if isinstance(node, cst.SimpleStatementLine) and len(node.body) == 1:
        return isinstance(node.body[0], cst.Pass)
    return isinstance(node, cst.Pass)


def descendants(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    stack = list(reversed(node.children))
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


LITERALS = (
    cst.SimpleString,
    cst.ConcatenatedString,
    cst.Integer,
    cst.Float,
    cst.Imaginary,
)


def is_literal(node: cst.CSTNode) -> bool:
    """A constant written in the code: a string (no f-string with expressions), a number,
    True/False/None, or a tuple/list of them."""
    if isinstance(node, cst.ConcatenatedString):
        return is_literal(node.left) and is_literal(node.right)
    if isinstance(node, cst.FormattedString):
        return not any(isinstance(part, cst.FormattedStringExpression) for part in node.parts)
    if isinstance(node, LITERALS):
        return True
    if isinstance(node, cst.Name):
        return node.value in ("True", "False", "None")
    if isinstance(node, cst.UnaryOperation):
        return isinstance(node.expression, cst.Integer | cst.Float)
    if isinstance(node, cst.Tuple | cst.List):
        return all(is_literal(e.value) for e in node.elements)
    if isinstance(node, cst.Arg):
        return is_literal(node.value)
    return False
