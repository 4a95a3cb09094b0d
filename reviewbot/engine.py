"""The scan: read and parse each file once, run every enabled rule, then filter and fingerprint."""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from reviewbot import checks
from reviewbot.catalog import RuleMeta, active_catalog
from reviewbot.config import Config
from reviewbot.discovery import discover
from reviewbot.globs import glob_match
from reviewbot.models import ChecklistRef, ErrorKind, Finding, ScanError, ScanSummary
from reviewbot.rule import (
    REGISTRY,
    ProjectRule,
    PythonFile,
    PythonRule,
    RawFinding,
    SqlRule,
    SqlRuleContext,
)
from reviewbot.sources import SourceFile, read_source
from reviewbot.sql_source import SqlDocument, split_and_parse
from reviewbot.sqlkit.extract import SqlExtractor
from reviewbot.suppressions import Suppressions, parse_suppressions

checks.load_all()

REDACTED = "****"


@dataclass(slots=True)
class ScanResult:
    root: Path
    findings: list[Finding]
    errors: list[ScanError]
    summary: ScanSummary
    skipped: list[tuple[str, str]]
    rules: dict[str, RuleMeta]


@dataclass(slots=True)
class Project:
    """What project-wide rules see: every source, SQL document and fact from the per-file pass."""

    config: Config
    sources: dict[str, SourceFile]
    sql_documents: list[SqlDocument]
    facts: dict[str, list[tuple[str, Any]]]
    suppressions: dict[str, Suppressions]
    enabled: frozenset[str]
    findings: list[RawFinding] = field(default_factory=list)
    _shared: dict[str, Any] = field(default_factory=dict)

    def add(self, finding: RawFinding) -> None:
        self.findings.append(finding)

    def shared(self, key: str, build: Any) -> Any:
        """Build a derived structure (e.g. the schema catalog) once per scan, for every rule."""
        if key not in self._shared:
            self._shared[key] = build(self)
        return self._shared[key]


def _handler_table(rules: list[SqlRule]) -> dict[type, list[Any]]:
    table: dict[type, list[Any]] = {}
    for rule in rules:
        for node_type, name in type(rule).handlers():
            table.setdefault(node_type, []).append(getattr(rule, name))
    return table


class Scanner:
    """One configured scan. Build it once, call `scan_paths` (or `scan_sources` in tests)."""

    def __init__(
        self,
        config: Config,
        rules: Iterable[str],
        checklist: dict[str, tuple[ChecklistRef, ...]] | None = None,
    ) -> None:
        self.config = config
        catalog = active_catalog()
        self.enabled = frozenset(r for r in rules if r in catalog and r in REGISTRY)
        self.metas = {rid: catalog[rid] for rid in sorted(self.enabled)}
        self.checklist = checklist or {}
        self.options = {rid: config.rule_options(meta) for rid, meta in self.metas.items()}
        classes = [REGISTRY[rid] for rid in sorted(self.enabled)]
        self.python_rules = [c for c in classes if issubclass(c, PythonRule)]
        self.sql_rules = [c for c in classes if issubclass(c, SqlRule)]
        self.project_rules = [c for c in classes if issubclass(c, ProjectRule)]
        # SQL inside Python (query strings, Alembic operations, Django RunSQL) is extracted by a
        # built-in visitor of the same traversal whenever any SQL rule is enabled.
        self.extract_sql = any(meta.language == "sql" for meta in self.metas.values())
        self.errors: list[ScanError] = []
        self.raw: list[RawFinding] = []
        self.sources: dict[str, SourceFile] = {}
        self.sql_documents: list[SqlDocument] = []
        self.facts: dict[str, list[tuple[str, Any]]] = {}
        self._dispatch_cache: dict[type, dict[type, list[Any]]] = {}

    # -- per-file pass -------------------------------------------------------------------------

    def _scan_python(self, source: SourceFile) -> None:
        active = [cls for cls in self.python_rules if cls.wants(source.text)]
        extract = self.extract_sql and SqlExtractor.wants(source.text)
        if not active and not extract:
            return
        try:
            module = cst.parse_module(source.text)
        except cst.ParserSyntaxError as exc:
            message, line, column = _syntax_error(exc, source.text)
            self.errors.append(
                ScanError(
                    ErrorKind.PARSE_ERROR,
                    source.path,
                    f"Python syntax error ({message}); file not checked",
                    line=line,
                    column=column,
                )
            )
            return
        except (RecursionError, MemoryError, ValueError) as exc:
            self.errors.append(
                ScanError(
                    ErrorKind.PARSE_ERROR,
                    source.path,
                    f"Python file could not be parsed ({type(exc).__name__}); file not checked",
                )
            )
            return
        pyfile = PythonFile(source=source, module=module)
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        instances = [cls(pyfile, self.options[cls.id]) for cls in active]
        extractor = SqlExtractor(pyfile, self.config.sql_dialect) if extract else None
        try:
            wrapper.visit_batched([*instances, *([extractor] if extractor else [])])
        except Exception:
            # One rule crashed the shared traversal: rerun each alone so the others still report
            # and the culprit is named.
            pyfile.pending.clear()
            pyfile.facts.clear()
            pyfile.embedded_sql.clear()
            for cls in active:
                kept = len(pyfile.pending)
                try:
                    wrapper.visit_batched([cls(pyfile, self.options[cls.id])])
                except Exception as exc:  # a bug in a rule must not stop the scan
                    del pyfile.pending[kept:]
                    self._rule_crash(cls.id, source.path, exc)
            if extractor is not None:
                extractor = SqlExtractor(pyfile, self.config.sql_dialect)
                try:
                    wrapper.visit_batched([extractor])
                except Exception as exc:
                    extractor = None
                    self._rule_crash(SqlExtractor.name, source.path, exc)
        resolved: list[Any] = []

        def positions() -> Any:
            if not resolved:
                resolved.append(wrapper.resolve(PositionProvider))
            return resolved[0]

        if extractor is not None:
            try:
                extractor.finish(positions)
            except Exception as exc:
                self._rule_crash(SqlExtractor.name, source.path, exc)
        if pyfile.pending:
            for rule_id, node, message, suggestion, redact in pyfile.pending:
                code_range = positions().get(node)
                if code_range is None:
                    continue
                self.raw.append(
                    RawFinding(
                        rule=rule_id,
                        path=source.path,
                        line=code_range.start.line,
                        column=code_range.start.column + 1,
                        end_line=code_range.end.line,
                        end_column=code_range.end.column + 1,
                        message=message,
                        suggestion=suggestion,
                        redact=redact,
                    )
                )
        for kind, values in pyfile.facts.items():
            self.facts.setdefault(kind, []).extend((source.path, v) for v in values)
        for document in pyfile.embedded_sql:
            self._scan_sql_document(document)

    def _scan_sql_document(self, document: SqlDocument) -> None:
        if not document.statements and not document.errors:
            split_and_parse(document)
        self.errors.extend(document.errors)
        self.sql_documents.append(document)
        if not self.sql_rules:
            return
        context = SqlRuleContext(document=document, sink=self.raw.append)
        rules = [cls(context, self.options[cls.id]) for cls in self.sql_rules]
        table = _handler_table(rules)
        resolved: dict[type, list[Any]] = {}
        for statement in document.statements:
            if statement.expression is None:
                continue
            context.statement = statement
            for node in statement.expression.walk():
                node_type = type(node)
                handlers = resolved.get(node_type)
                if handlers is None:
                    handlers = [h for t in node_type.__mro__ for h in table.get(t, ())]
                    resolved[node_type] = handlers
                for handler in handlers:
                    try:
                        handler(node)
                    except Exception as exc:
                        self._rule_crash(handler.__self__.id, document.path, exc)
        context.statement = None

    def _rule_crash(self, rule_id: str, path: str, exc: BaseException) -> None:
        self.errors.append(
            ScanError(
                ErrorKind.RULE_CRASH,
                path,
                f"rule {rule_id} failed on this file ({type(exc).__name__}: {exc}); "
                "please report it. Other rules still ran.",
            )
        )

    def scan_source(self, source: SourceFile) -> None:
        self.sources[source.path] = source
        if source.language == "python":
            self._scan_python(source)
        elif source.language == "sql":
            self._scan_sql_document(
                SqlDocument(host=source, text=source.text, dialect=self.config.sql_dialect)
            )

    # -- whole scan ----------------------------------------------------------------------------

    def scan_sources(self, sources: Iterable[SourceFile]) -> ScanResult:
        for source in sources:
            self.scan_source(source)
        return self._finish(skipped=[])

    def scan_paths(self, paths: list[Path]) -> ScanResult:
        found = discover(paths, self.config.root, self.config.exclude)
        for candidate in found.files:
            source = read_source(candidate.absolute, candidate.rel, candidate.language)
            if isinstance(source, ScanError):
                self.errors.append(source)
                continue
            self.scan_source(source)
        return self._finish(skipped=found.skipped)

    def _finish(self, skipped: list[tuple[str, str]]) -> ScanResult:
        suppressions = {path: parse_suppressions(src.text) for path, src in self.sources.items()}
        project = Project(
            config=self.config,
            sources=self.sources,
            sql_documents=self.sql_documents,
            facts=self.facts,
            suppressions=suppressions,
            enabled=self.enabled,
        )
        for cls in self.project_rules:
            try:
                cls(project, self.options[cls.id]).check()
            except Exception as exc:
                self._rule_crash(cls.id, ".", exc)
        findings, suppressed = self._filter([*self.raw, *project.findings], suppressions)
        summary = ScanSummary(
            files_scanned=len(self.sources),
            python_files=sum(1 for s in self.sources.values() if s.language == "python"),
            sql_files=sum(1 for s in self.sources.values() if s.language == "sql"),
            rules_enabled=tuple(sorted(self.enabled)),
            suppressed=suppressed,
            counts=dict(Counter(f.rule for f in findings)),
        )
        errors = sorted(
            dict.fromkeys(self.errors), key=lambda e: (e.path, e.line or 0, e.column or 0)
        )
        return ScanResult(
            root=self.config.root,
            findings=findings,
            errors=errors,
            summary=summary,
            skipped=skipped,
            rules=self.metas,
        )

    def _filter(
        self, raw: list[RawFinding], suppressions: dict[str, Suppressions]
    ) -> tuple[list[Finding], int]:
        kept: list[Finding] = []
        suppressed = 0
        seen: set[tuple[str, str, int, int, str]] = set()
        for item in sorted(raw, key=lambda r: (r.path, r.line, r.column, r.rule, r.message)):
            key = (item.rule, item.path, item.line, item.column, item.message)
            if key in seen:
                continue
            seen.add(key)
            if self._ignored_by_config(item):
                suppressed += 1
                continue
            file_suppressions = suppressions.get(item.path)
            if file_suppressions and file_suppressions.suppresses(item.rule, item.line):
                suppressed += 1
                continue
            kept.append(self._finding(item))
        occurrences: Counter[tuple[str, str, str]] = Counter()
        out: list[Finding] = []
        for finding in kept:
            key3 = (finding.rule, finding.path, " ".join(finding.snippet.split()))
            out.append(finding.with_fingerprint(occurrences[key3]))
            occurrences[key3] += 1
        return out, suppressed

    def _ignored_by_config(self, item: RawFinding) -> bool:
        for pattern, ids in self.config.per_file_ignores.items():
            if (item.rule in ids or "all" in ids) and glob_match(pattern, item.path):
                return True
        return False

    def _finding(self, item: RawFinding) -> Finding:
        meta = self.metas.get(item.rule)
        severity = self.config.severity.get(item.rule) or (
            meta.severity if meta else active_catalog()[item.rule].severity
        )
        source = self.sources.get(item.path)
        snippet = ""
        if source is not None:
            last = min(item.end_line, item.line + 4)
            snippet = "\n".join(source.line_text(n) for n in range(item.line, last + 1))
        message = item.message
        for secret in item.redact:
            if secret:
                snippet = snippet.replace(secret, redact(secret))
                message = message.replace(secret, redact(secret))
        return Finding(
            rule=item.rule,
            severity=severity,
            path=item.path,
            line=item.line,
            column=item.column,
            end_line=item.end_line,
            end_column=item.end_column,
            message=message,
            snippet=snippet,
            suggestion=item.suggestion,
            checklist=self.checklist.get(item.rule, ()),
        )


def redact(secret: str) -> str:
    """Keep a hint of the value's shape (first 2 chars for long ones), never enough to use it."""
    if len(secret) >= 12:
        return secret[:2] + REDACTED
    return REDACTED


def _syntax_error(exc: cst.ParserSyntaxError, text: str) -> tuple[str, int, int]:
    """Message and 1-based position of a syntax error.

    libcst's native parser reports positions that are often a token or a line off; CPython's own
    parser (which runs only for files that failed) names the spot and the problem precisely.
    """
    try:
        ast.parse(text)
    except SyntaxError as err:
        return str(err.msg), err.lineno or 1, err.offset or 1
    except (ValueError, RecursionError, MemoryError):
        pass
    # CPython accepts it but libcst does not (syntax newer than libcst knows).
    message = re.sub(r"^parser error: error at \d+:\d+: ", "", exc.message.split("\n", 1)[0])
    if len(message) > 80:
        message = message[:77] + "..."
    return f"{message}; libcst cannot parse this syntax", exc.editor_line, exc.editor_column


def apply_severity_threshold(findings: list[Finding], threshold: Any) -> bool:
    """Whether any finding reaches `threshold` (None: never fail)."""
    return threshold is not None and any(f.severity >= threshold for f in findings)
