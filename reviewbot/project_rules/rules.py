"""Each project rule as a rule class of the usual kind, registered by id like a built-in one.

- a `python:` pattern is a `PythonRule`: it joins the one batched libcst traversal of each
  file, visiting only the node types its patterns (and `inside` patterns) start with; its
  text prefilter asks for identifiers every match must contain, so files without them are not
  even parsed for it;
- a `sql:` pattern is a `SqlRule`: it joins the one walk of each SQL statement (SQL files,
  migrations, SQL embedded in Python);
- a `schema:` condition is a `ProjectRule` over the scan's schema catalog.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, ClassVar

import libcst as cst
from sqlglot import exp

from reviewbot.model.rule import REGISTRY, ProjectRule, PythonFile, PythonRule, Rule, SqlRule
from reviewbot.project_rules.python_patterns import (
    Matcher,
    PatternError,
    PythonPattern,
    _dotted,
    code_of,
    compile_python,
    is_literal,
)
from reviewbot.project_rules.regex_guard import check_regex, search
from reviewbot.project_rules.spec import RuleSpec, Where
from reviewbot.project_rules.sql_patterns import (
    SqlMatcher,
    SqlPattern,
    SqlPatternError,
    check_type,
    compile_sql,
    schema_hits,
    text_of,
)
from reviewbot.project_rules.sql_patterns import is_literal as sql_literal
from reviewbot.sql.reporting import report_site
from reviewbot.sql.schema import catalog_of
from reviewbot.workspace.config import ConfigError
from reviewbot.workspace.globs import any_match

_METAVARIABLE = re.compile(r"\$[A-Z_][A-Z0-9_]*")
MAX_SHOWN = 60
CompiledWhere = tuple[Where, re.Pattern[str] | None, re.Pattern[str] | None]


class Texts(dict[str, str]):
    """The code each metavariable matched, computed on first use (printing a node costs)."""

    def __init__(self, env: Mapping[str, Any], show: Callable[[Any], str]) -> None:
        super().__init__()
        self.env = env
        self.show = show

    def __missing__(self, name: str) -> str:
        value = self.show(self.env[name])
        self[name] = value
        return value

    def get(self, name: str, default: Any = None) -> Any:
        return self[name] if name in self.env else default


def render(message: str, names: Mapping[str, str]) -> str:
    def one(found: re.Match[str]) -> str:
        value = names.get(found.group(0))
        if value is None:
            return found.group(0)
        value = " ".join(value.split())
        return value if len(value) <= MAX_SHOWN else value[: MAX_SHOWN - 3] + "..."

    return _METAVARIABLE.sub(one, message)


def path_ok(spec: RuleSpec, path: str) -> bool:
    match = spec.match
    if match.include and not any_match(match.include, path):
        return False
    return not (match.exclude and any_match(match.exclude, path))


def _where(spec: RuleSpec) -> tuple[CompiledWhere, ...]:
    return tuple(
        (
            w,
            check_regex(w.regex) if w.regex is not None else None,
            check_regex(w.not_regex) if w.not_regex is not None else None,
        )
        for w in spec.match.where
    )


def _where_ok(
    conditions: tuple[CompiledWhere, ...], names: Mapping[str, str], literal: Callable[[str], bool]
) -> bool:
    for where, regex, not_regex in conditions:
        text = names.get(where.metavariable)
        if text is None:
            return False
        if regex is not None and not search(regex, text):
            return False
        if not_regex is not None and search(not_regex, text):
            return False
        if where.is_literal is not None and literal(where.metavariable) != where.is_literal:
            return False
    return True


def _literal(env: Mapping[str, Any], test: Callable[[Any], bool], name: str) -> bool:
    return test(env[name])


def show_python(node: cst.CSTNode) -> str:
    """A matched node as text: names and strings directly, anything else printed by libcst."""
    dotted = _dotted(node)
    if dotted is not None:
        return dotted
    if isinstance(node, cst.SimpleString):
        return node.value
    return code_of(node).strip()


class PythonPatternRule(PythonRule):
    """A `python:` project rule; subclassed once per rule by `register`."""

    spec: ClassVar[RuleSpec]
    patterns: ClassVar[tuple[PythonPattern, ...]] = ()
    inside: ClassVar[tuple[PythonPattern, ...]] = ()
    not_inside: ClassVar[tuple[PythonPattern, ...]] = ()
    conditions: ClassVar[tuple[CompiledWhere, ...]] = ()
    roots: ClassVar[frozenset[type[cst.CSTNode]]] = frozenset()
    containers: ClassVar[frozenset[type[cst.CSTNode]]] = frozenset()
    token_sets: ClassVar[tuple[frozenset[str], ...]] = ()
    names_only: ClassVar[bool] = False  # some pattern is a bare dotted name

    def __init__(self, file: PythonFile, options: dict[str, Any]) -> None:
        super().__init__(file, options)
        self.active = path_ok(self.spec, file.source.path)
        self.stack: list[cst.CSTNode] = []
        self.not_references: set[int] = set()
        self.matcher = Matcher(self.qualified_names)
        self.verdicts: dict[tuple[int, int], bool] = {}

    @classmethod
    def wants(cls, text: str) -> bool:
        # Every identifier of a pattern occurs in a file holding a match (python_patterns).
        return any(all(token in text for token in tokens) for tokens in cls.token_sets)

    def enter(self, node: cst.CSTNode) -> None:
        if not self.active:
            return
        kind = type(node)
        if kind in self.containers:
            self.stack.append(node)
        if self.names_only:
            self._note_definitions(node)
        if kind in self.roots and id(node) not in self.not_references:
            self._try(node)

    def leave(self, node: cst.CSTNode) -> None:
        if self.stack and self.stack[-1] is node:
            self.stack.pop()

    def _note_definitions(self, node: cst.CSTNode) -> None:
        """Names that are not references to anything: attribute names, names defined or
        imported, keyword names. A bare-name pattern must not match them."""
        if isinstance(node, cst.Attribute):
            self.not_references.add(id(node.attr))
        elif isinstance(node, cst.FunctionDef | cst.ClassDef | cst.Param):
            self.not_references.add(id(node.name))
        elif isinstance(node, cst.Arg) and node.keyword is not None:
            self.not_references.add(id(node.keyword))
        elif isinstance(node, cst.Import | cst.ImportFrom):
            stack: list[cst.CSTNode] = [node]
            while stack:
                current = stack.pop()
                self.not_references.add(id(current))
                stack.extend(current.children)

    def _try(self, node: cst.CSTNode) -> None:
        for pattern in self.patterns:
            if type(pattern.node) is not type(node) and _dotted(pattern.node) is None:
                continue
            env = self.matcher.match(pattern.node, node)
            if env is None:
                continue
            if not self._in_context():
                return
            names = Texts(env, show_python)
            if not _where_ok(self.conditions, names, partial(_literal, env, is_literal)):
                continue
            self.report(node, render(self.spec.message, names))
            return

    def _in_context(self) -> bool:
        # Inside any one of the `inside` patterns, and inside none of the `not-inside` ones.
        if self.inside and not any(
            self._holds(index, pattern, outer)
            for index, pattern in enumerate(self.inside)
            for outer in self.stack
        ):
            return False
        offset = len(self.inside)
        for index, pattern in enumerate(self.not_inside):
            if any(self._holds(offset + index, pattern, outer) for outer in self.stack):
                return False
        return True

    def _holds(self, index: int, pattern: PythonPattern, outer: cst.CSTNode) -> bool:
        key = (index, id(outer))
        verdict = self.verdicts.get(key)
        if verdict is None:
            verdict = type(outer) is type(pattern.node) and (
                self.matcher.match(pattern.node, outer) is not None
            )
            self.verdicts[key] = verdict
        return verdict


class SqlPatternRule(SqlRule):
    """A `sql:` project rule; subclassed once per rule by `register`."""

    spec: ClassVar[RuleSpec]
    conditions: ClassVar[tuple[CompiledWhere, ...]] = ()
    compiled: ClassVar[dict[str, tuple[SqlPattern, ...]]]

    def patterns(self, dialect: str) -> tuple[SqlPattern, ...]:
        found = self.compiled.get(dialect)
        if found is None:
            try:
                found = tuple(compile_sql(text, dialect) for text in self.spec.match.sql)
            except SqlPatternError:
                found = ()  # valid in postgres (checked when read), not in this dialect
            self.compiled[dialect] = found
        return found

    def enter(self, node: exp.Expression) -> None:
        document = self.context.document
        if not path_ok(self.spec, document.path):
            return
        for pattern in self.patterns(document.dialect):
            if type(pattern.node) is not type(node):
                continue
            env = SqlMatcher().match(pattern.node, node)
            if env is None:
                continue
            names = Texts(env, text_of)
            if not _where_ok(self.conditions, names, partial(_literal, env, sql_literal)):
                continue
            self.report(node, render(self.spec.message, names))
            return


class SchemaRule(ProjectRule):
    """A `schema:` project rule; subclassed once per rule by `register`."""

    spec: ClassVar[RuleSpec]

    def check(self) -> None:
        condition = self.spec.match.schema
        assert condition is not None
        dialect = self.project.config.sql_dialect
        for hit in schema_hits(condition, catalog_of(self.project), dialect):
            site = (
                hit.column.type_site or hit.column.site
                if hit.column is not None and condition.column is not None
                else hit.table.created
            )
            if site is None or not path_ok(self.spec, site.path):
                continue
            report_site(self, site, render(self.spec.message, hit.message_names))


def _named(name: str, function: Any) -> Any:
    """`function` as a method called `name`: libcst finds visitors by their `__name__`."""

    def method(self: Any, node: Any) -> None:
        function(self, node)

    method.__name__ = method.__qualname__ = name
    return method


def _class_name(rule_id: str) -> str:
    return "Project_" + rule_id.replace("-", "_")


def _python_class(spec: RuleSpec) -> type[Rule]:
    match = spec.match

    def compiled(key: str, texts: tuple[str, ...]) -> tuple[PythonPattern, ...]:
        out = []
        for index, text in enumerate(texts):
            try:
                out.append(compile_python(text))
            except PatternError as exc:
                suffix = f"[{index}]" if len(texts) > 1 else ""
                raise ConfigError(f"{spec.file}: `match.{key}{suffix}` {exc}") from None
        return tuple(out)

    patterns = compiled("python", match.python)
    inside = compiled("inside", match.inside)
    not_inside = compiled("not-inside", match.not_inside)
    names_only = any(_dotted(p.node) is not None for p in patterns)
    roots: set[type[cst.CSTNode]] = set()
    for pattern in patterns:
        roots.update((cst.Name, cst.Attribute) if _dotted(pattern.node) else (pattern.root,))
    containers = {p.root for p in (*inside, *not_inside)}
    definitions: set[type[cst.CSTNode]] = (
        {
            cst.Attribute,
            cst.FunctionDef,
            cst.ClassDef,
            cst.Param,
            cst.Arg,
            cst.Import,
            cst.ImportFrom,
        }
        if names_only
        else set()
    )
    namespace: dict[str, Any] = {
        "id": spec.meta.id,
        "spec": spec,
        "patterns": patterns,
        "inside": inside,
        "not_inside": not_inside,
        "conditions": _where(spec),
        "roots": frozenset(roots),
        "containers": frozenset(containers),
        "token_sets": tuple(p.tokens() for p in patterns),
        "names_only": names_only,
        "__module__": __name__,
    }
    for kind in roots | containers | definitions:
        name = f"visit_{kind.__name__}"
        namespace[name] = _named(name, PythonPatternRule.enter)
    for kind in containers:
        name = f"leave_{kind.__name__}"
        namespace[name] = _named(name, PythonPatternRule.leave)
    return type(_class_name(spec.meta.id), (PythonPatternRule,), namespace)


def _sql_class(spec: RuleSpec) -> type[Rule]:
    patterns: list[SqlPattern] = []
    for index, text in enumerate(spec.match.sql):
        try:
            patterns.append(compile_sql(text, "postgres"))
        except SqlPatternError as exc:
            suffix = f"[{index}]" if len(spec.match.sql) > 1 else ""
            raise ConfigError(f"{spec.file}: `match.sql{suffix}` {exc}") from None
    namespace: dict[str, Any] = {
        "id": spec.meta.id,
        "spec": spec,
        "conditions": _where(spec),
        "compiled": {"postgres": tuple(patterns)},
        "__module__": __name__,
    }
    for pattern in patterns:
        name = f"visit_{pattern.root.__name__}"
        namespace[name] = _named(name, SqlPatternRule.enter)
    return type(_class_name(spec.meta.id), (SqlPatternRule,), namespace)


def _schema_class(spec: RuleSpec) -> type[Rule]:
    condition = spec.match.schema
    assert condition is not None
    for key, value in (
        ("table-without-column.type", condition.required_type),
        ("type", condition.type_is),
        ("type-not", condition.type_not),
    ):
        if value is not None:
            try:
                check_type(value, "postgres")
            except SqlPatternError as exc:
                raise ConfigError(f"{spec.file}: `match.schema.{key}`: {exc}") from None
    namespace = {"id": spec.meta.id, "spec": spec, "__module__": __name__}
    return type(_class_name(spec.meta.id), (SchemaRule,), namespace)


def build(spec: RuleSpec) -> type[Rule]:
    if spec.match.python:
        return _python_class(spec)
    if spec.match.sql:
        return _sql_class(spec)
    return _schema_class(spec)


def register(specs: list[RuleSpec]) -> None:
    """Compile every spec, then register them all (nothing registered if one is refused)."""
    for spec in specs:
        if spec.meta.id in REGISTRY:
            raise ConfigError(f"{spec.file}: `id` `{spec.meta.id}` is already a rule")
    classes: list[type[Rule]] = []
    # Creating the class registers it (Rule.__init_subclass__): build on a copy of nothing.
    try:
        for spec in specs:
            classes.append(build(spec))
    except BaseException:
        unregister([c.id for c in classes])
        raise


def unregister(rule_ids: list[str]) -> None:
    for rule_id in rule_ids:
        cls = REGISTRY.get(rule_id)
        if cls is not None and issubclass(cls, PythonPatternRule | SqlPatternRule | SchemaRule):
            del REGISTRY[rule_id]
