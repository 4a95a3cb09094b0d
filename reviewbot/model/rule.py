"""The per-file rule bases (libcst visitors, sqlglot walkers); the registry and project rules are
in `model.registry`, re-exported here."""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import libcst as cst
from sqlglot import exp

from reviewbot.model.findings import Edit, Fix
from reviewbot.model.registry import REGISTRY, ProjectRule, RawFinding, Rule
from reviewbot.python.context import FileContext, Where, file_context
from reviewbot.python.positions import offsets
from reviewbot.python.scopes import NameTable, ScopePath
from reviewbot.sql.source import SqlDocument, SqlStatement, node_span

__all__ = [
    "REGISTRY",
    "ProjectRule",
    "PythonFile",
    "PythonRule",
    "RawFinding",
    "Rule",
    "SqlRule",
    "SqlRuleContext",
]

if TYPE_CHECKING:
    from libcst.metadata import QualifiedName

    from reviewbot.python.syntax import Syntax
    from reviewbot.workspace.sources import SourceFile


@dataclass(slots=True)
class Pending:
    """A Python rule's report during the traversal: positions are resolved afterwards."""

    rule: str
    node: cst.CSTNode
    message: str
    suggestion: str | None = None
    redact: tuple[str, ...] = ()
    fix: Fix | None = None


@dataclass(slots=True)
class PythonFile:
    """A parsed Python file, shared by every Python rule for one batched traversal."""

    source: SourceFile
    module: cst.Module
    # Facts collected for project-wide rules (e.g. schema from Alembic calls), keyed by kind.
    facts: dict[str, list[Any]] = field(default_factory=dict)
    # SQL found in strings of this file; run through the SQL rules after the traversal.
    embedded_sql: list[SqlDocument] = field(default_factory=list)
    pending: list[Pending] = field(default_factory=list)
    # Qualified names by node id, shared by the rules: most ask about the same call targets.
    qualified: dict[int, set[str]] = field(default_factory=dict)
    # Computes libcst's QualifiedNameProvider for the module; called at most once, on demand.
    resolver: Callable[[], Mapping[cst.CSTNode, Collection[QualifiedName]]] | None = None
    _resolved: Mapping[cst.CSTNode, Collection[QualifiedName]] | None = None
    _bindings: NameTable | None = None
    # Where the traversal is, for names whose meaning depends on the scope (see scopes.py).
    scope_path: ScopePath = field(default_factory=ScopePath)
    # Where the file sits, when the scan knows more than its path and text say (a settings
    # module only tests load); None: `file_context(path, text)`.
    context: FileContext | None = None

    def add_fact(self, kind: str, value: Any) -> None:
        self.facts.setdefault(kind, []).append(value)

    def span(self, node: cst.CSTNode) -> tuple[int, int]:
        """Character offsets of `node` in the file's text, for a fix's edits. Each call is one
        code-generation pass (positions.offsets): rules ask only for nodes they report on."""
        found = offsets(self.module, self.source, [node])
        if node not in found:
            raise LookupError("node is not part of this module")
        return found[node]

    def qualified_names(self, node: cst.CSTNode) -> set[str]:
        """Names `node` refers to, with imports and aliases resolved (`h` -> `hashlib.md5`).

        libcst's scope analysis (QualifiedNameProvider) costs several times the parse, so the
        answer comes from the stdlib `ast` (scopes.py): a name bound only by imports resolves to
        exactly what those imports name; a name no import binds is a builtin or a local, whose
        qualified name is its own dotted text; a name bound by an import and otherwise (an
        assignment, a parameter, a def) follows Python's scoping rule from the scope the
        traversal is in. `import *` binds nothing, as in libcst's analysis. libcst's analysis
        runs only for files CPython cannot parse and questions asked after the traversal about
        names bound both ways.
        """
        cached = self.qualified.get(id(node))
        if cached is not None:
            return cached
        head, dotted = _head_and_dotted(node)
        table = self.bindings()
        if head is None or dotted is None:
            cached = set()  # `x[0].y`, `(a or b).c`: no name to resolve, as libcst says too
        elif table is None:
            cached = self._scope_names(node)
        elif head in table.ambiguous:
            cached = self._scoped(node, head, dotted, table)
        elif head in table.imports:
            rest = dotted[len(head) :]
            cached = {target + rest for target in table.imports[head]}
        elif head in _BUILTINS and head not in table.other:
            cached = {f"builtins.{dotted}"}
        else:
            cached = {dotted}
        self.qualified[id(node)] = cached
        return cached

    def _scoped(self, node: cst.CSTNode, head: str, dotted: str, table: NameTable) -> set[str]:
        """A name bound by an import in one scope and otherwise in another: Python's scoping
        rule on the `ast` table, for the scope the traversal is in; libcst's scope analysis
        when asked outside the traversal."""
        path = self.scope_path.path
        chain = table.scope_chain(path) if path is not None else None
        if chain is None:
            return self._scope_names(node)
        found = table.lookup(head, chain)
        if found is None:
            return {f"builtins.{dotted}"} if head in _BUILTINS else {dotted}
        rest = dotted[len(head) :]
        names = {target + rest for target in found.imports}
        if found.other:
            names.add(dotted)
        return names

    def _scope_names(self, node: cst.CSTNode) -> set[str]:
        if self._resolved is None:
            self._resolved = self.resolver() if self.resolver is not None else {}
        value: Any = self._resolved.get(node, ())
        if callable(value):  # libcst computes qualified names lazily, per node
            value = value()
        return {q.name for q in value}

    def bindings(self) -> NameTable | None:
        """Names bound by imports, and names bound otherwise, from CPython's own fast parser."""
        if self._bindings is None:
            self._bindings = NameTable.of(self.source.text)
        return self._bindings if self._bindings.ok else None


_BUILTINS = frozenset(dir(builtins))


def _head_and_dotted(node: cst.CSTNode) -> tuple[str | None, str | None]:
    """`a.b().c` -> ("a", "a.b.c"): calls are looked through, as QualifiedNameProvider does."""
    parts: list[str] = []
    current: cst.CSTNode = node
    while True:
        if isinstance(current, cst.Attribute):
            parts.append(current.attr.value)
            current = current.value
        elif isinstance(current, cst.Call):
            current = current.func
        elif isinstance(current, cst.Name):
            parts.append(current.value)
            return current.value, ".".join(reversed(parts))
        else:
            return None, None


class PythonRule(Rule, cst.BatchableCSTVisitor):
    """A libcst visitor run in one batched traversal with every other Python rule.

    `prefilter`: substrings of which at least one must occur in the file for the rule to run at
    all; a cheap text check that spares most files the parse metadata the rule depends on.
    """

    prefilter: ClassVar[tuple[str, ...] | re.Pattern[str]] = ()
    # True for rules whose findings in test code are noise (fixtures, round-trip tests): such
    # files are then not even parsed for the rule.
    skip_tests: ClassVar[bool] = False
    # Places (python/context.py) where this rule's findings are not worth a comment: such files
    # are not parsed for the rule. Where a finding is worth one but needs saying why it matters
    # there, the rule asks `self.context` instead.
    skip_in: ClassVar[frozenset[Where]] = frozenset()

    def __init__(self, file: PythonFile, options: dict[str, Any]) -> None:
        super().__init__()
        self.file = file
        self.options = options

    @property
    def context(self) -> FileContext:
        """Where this file sits: migration, data migration, command, test code, settings."""
        if self.file.context is not None:
            return self.file.context
        return file_context(self.file.source.path, self.file.source.text)

    @classmethod
    def wants(cls, text: str) -> bool:
        prefilter = cls.prefilter
        if isinstance(prefilter, re.Pattern):
            return prefilter.search(text) is not None
        return not prefilter or any(token in text for token in prefilter)

    @classmethod
    def wants_tree(cls, syntax: Syntax) -> bool:
        """Second prefilter, on CPython's `ast` of a file `wants` accepted (syntax.py): False
        only if the rule cannot report anything in it. Must be a superset of what it reports."""
        return True

    def report(
        self,
        node: cst.CSTNode,
        message: str,
        suggestion: str | None = None,
        redact: tuple[str, ...] = (),
        *,
        fix: Fix | None = None,
    ) -> None:
        # Positions are resolved after the traversal and only for files with reports: computing
        # libcst's PositionProvider for every file costs more than all the rules together.
        self.file.pending.append(Pending(self.id, node, message, suggestion, redact, fix))

    def qualified_names(self, node: cst.CSTNode) -> set[str]:
        return self.file.qualified_names(node)

    def edit(self, node: cst.CSTNode, text: str) -> Edit:
        """An edit replacing `node`'s code (its syntactic range) with `text`."""
        start, end = self.file.span(node)
        return Edit(self.file.source.path, start, end, text)

    def insert(self, offset: int, text: str) -> Edit:
        return Edit(self.file.source.path, offset, offset, text)

    def get_visitors(self) -> Mapping[str, Any]:
        # libcst finds visit_/leave_ methods with inspect.getmembers on every instance, i.e.
        # once per rule per file; the names depend only on the class, so find them once.
        names = _VISITOR_NAMES.get(type(self))
        if names is None:
            names = tuple(sorted(super().get_visitors()))
            _VISITOR_NAMES[type(self)] = names
        return {name: getattr(self, name) for name in names}


_VISITOR_NAMES: dict[type, tuple[str, ...]] = {}


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

    def report(
        self,
        node: exp.Expression,
        message: str,
        suggestion: str | None = None,
        existing_table: str | None = None,
        *,
        fix: Fix | None = None,
    ) -> None:
        self.context.report(self.id, node, message, suggestion, existing_table, fix=fix)


@dataclass(slots=True)
class SqlRuleContext:
    """The document and statement being walked, shared by the SQL rules during the walk."""

    document: SqlDocument
    sink: Callable[[RawFinding], None]
    statement: SqlStatement | None = None

    def report(
        self,
        rule_id: str,
        node: exp.Expression,
        message: str,
        suggestion: str | None,
        existing_table: str | None = None,
        *,
        fix: Fix | None = None,
    ) -> None:
        assert self.statement is not None
        start, end = node_span(node, self.statement)
        self.report_span(rule_id, start, end, message, suggestion, existing_table, fix=fix)

    def edit(self, start: int, end: int, text: str) -> Edit:
        """An edit of document offsets `[start, end)`, in host-file offsets (the same for a
        `.sql` file; inside a Python string the document's offsets are mapped to the host's).
        `text` goes into the host as it is: inside a Python literal it must be escaped for it."""
        host = self.document.host
        return Edit(
            host.path, self.document.host_offset(start), self.document.host_offset(end), text
        )

    def report_span(
        self,
        rule_id: str,
        start: int,
        end: int,
        message: str,
        suggestion: str | None = None,
        existing_table: str | None = None,
        *,
        fix: Fix | None = None,
    ) -> None:
        """`start`/`end` are offsets into the document; a `fix`'s edits are offsets into the
        host file (`document.host_offset` maps one to the other for SQL inside Python)."""
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
                existing_table=existing_table,
                fix=fix,
            )
        )
