"""Rule base classes and the registry binding implementations to catalog entries by id."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import libcst as cst
from sqlglot import exp

from reviewbot.sql_source import SqlDocument, SqlStatement, node_span

if TYPE_CHECKING:
    from reviewbot.catalog import RuleMeta
    from reviewbot.sources import SourceFile

REGISTRY: dict[str, type[Rule]] = {}


@dataclass(slots=True)
class RawFinding:
    """A report before filtering: positions resolved, severity and provenance not yet applied."""

    rule: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    message: str
    suggestion: str | None = None
    redact: tuple[str, ...] = ()


class Rule:
    """Every rule has a kebab-case `id`; everything a user reads about it is in rules/<id>.yml."""

    id: ClassVar[str] = ""
    meta: ClassVar[RuleMeta]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        rule_id = cls.__dict__.get("id")
        if rule_id:
            if rule_id in REGISTRY and REGISTRY[rule_id] is not cls:
                raise TypeError(f"two implementations of rule {rule_id}")
            REGISTRY[rule_id] = cls


@dataclass(slots=True)
class PythonFile:
    """A parsed Python file, shared by every Python rule for one batched traversal."""

    source: SourceFile
    module: cst.Module
    # Facts collected for project-wide rules (e.g. schema from Alembic calls), keyed by kind.
    facts: dict[str, list[Any]] = field(default_factory=dict)
    # SQL found in strings of this file; run through the SQL rules after the traversal.
    embedded_sql: list[SqlDocument] = field(default_factory=list)
    pending: list[tuple[str, cst.CSTNode, str, str | None, tuple[str, ...]]] = field(
        default_factory=list
    )
    # Qualified names by node id, shared by the rules: most ask about the same call targets.
    qualified: dict[int, set[str]] = field(default_factory=dict)

    def add_fact(self, kind: str, value: Any) -> None:
        self.facts.setdefault(kind, []).append(value)


class PythonRule(Rule, cst.BatchableCSTVisitor):
    """A libcst visitor run in one batched traversal with every other Python rule.

    `prefilter`: substrings of which at least one must occur in the file for the rule to run at
    all; a cheap text check that spares most files the parse metadata the rule depends on.
    """

    prefilter: ClassVar[tuple[str, ...] | re.Pattern[str]] = ()

    def __init__(self, file: PythonFile, options: dict[str, Any]) -> None:
        super().__init__()
        self.file = file
        self.options = options

    @classmethod
    def wants(cls, text: str) -> bool:
        prefilter = cls.prefilter
        if isinstance(prefilter, re.Pattern):
            return prefilter.search(text) is not None
        return not prefilter or any(token in text for token in prefilter)

    def report(
        self,
        node: cst.CSTNode,
        message: str,
        suggestion: str | None = None,
        redact: tuple[str, ...] = (),
    ) -> None:
        # Positions are resolved after the traversal and only for files with reports: computing
        # libcst's PositionProvider for every file costs more than all the rules together.
        self.file.pending.append((self.id, node, message, suggestion, redact))

    def qualified_names(self, node: cst.CSTNode) -> set[str]:
        from libcst.metadata import QualifiedNameProvider

        cached = self.file.qualified.get(id(node))
        if cached is None:
            cached = {q.name for q in self.get_metadata(QualifiedNameProvider, node, set())}
            self.file.qualified[id(node)] = cached
        return cached


class SqlRule(Rule):
    """Walks each SQL statement once with every other SQL rule; `visit_<Class>` per node type."""

    def __init__(self, context: SqlRuleContext, options: dict[str, Any]) -> None:
        self.context = context
        self.options = options

    @classmethod
    def handlers(cls) -> Iterator[tuple[type[exp.Expression], str]]:
        for name in dir(cls):
            if name.startswith("visit_"):
                node_type = getattr(exp, name[len("visit_") :], None)
                if isinstance(node_type, type) and issubclass(node_type, exp.Expression):
                    yield node_type, name

    def report(self, node: exp.Expression, message: str, suggestion: str | None = None) -> None:
        self.context.report(self.id, node, message, suggestion)


@dataclass(slots=True)
class SqlRuleContext:
    """The document and statement being walked, shared by the SQL rules during the walk."""

    document: SqlDocument
    sink: Callable[[RawFinding], None]
    statement: SqlStatement | None = None

    def report(
        self, rule_id: str, node: exp.Expression, message: str, suggestion: str | None
    ) -> None:
        assert self.statement is not None
        start, end = node_span(node, self.statement)
        self.report_span(rule_id, start, end, message, suggestion)

    def report_span(
        self, rule_id: str, start: int, end: int, message: str, suggestion: str | None = None
    ) -> None:
        line, col = self.document.host_position(start)
        end_line, end_col = self.document.host_position(max(end, start + 1) - 1)
        self.sink(
            RawFinding(
                rule=rule_id,
                path=self.document.path,
                line=line,
                column=col,
                end_line=end_line,
                end_column=end_col + 1,
                message=message,
                suggestion=suggestion,
            )
        )


class ProjectRule(Rule):
    """Runs once per scan after the per-file pass, over everything the pass collected."""

    def __init__(self, project: Any, options: dict[str, Any]) -> None:
        self.project = project
        self.options = options

    def check(self) -> None:
        raise NotImplementedError

    def report_at(
        self,
        path: str,
        line: int,
        message: str,
        column: int = 1,
        end_line: int | None = None,
        end_column: int | None = None,
        suggestion: str | None = None,
    ) -> None:
        self.project.add(
            RawFinding(
                rule=self.id,
                path=path,
                line=line,
                column=column,
                end_line=end_line or line,
                end_column=end_column or column,
                message=message,
                suggestion=suggestion,
            )
        )
