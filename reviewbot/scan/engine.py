"""The scan: read and parse each file once, run every enabled rule, then filter and fingerprint."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reviewbot import checks
from reviewbot.model.catalog import RuleMeta, active_catalog
from reviewbot.model.facts import (
    FOREIGN_FACT,
    OPEN_FIX_FACT,
    REVISION_FACT,
    SQL_FACTS,
    AlembicRevision,
)
from reviewbot.model.findings import (
    REDACTED,
    ChecklistRef,
    Finding,
    ScanError,
    ScanSummary,
    clip_snippet,
)
from reviewbot.model.registry import REGISTRY, ProjectRule, RawFinding
from reviewbot.project_rules.install import digests as project_rule_digests
from reviewbot.python.context import settings_only_tests_load
from reviewbot.scan.cache import Cache, cache_location
from reviewbot.scan.fixer import fix_diff, span_replacement
from reviewbot.scan.outcome import FileOutcome, rule_crash
from reviewbot.scan.parallel import (
    DEFAULT_FILE_TIMEOUT,
    PARALLEL_MIN_BYTES,
    PARALLEL_MIN_FILES,
    parallel_analyze,
    transient,
)
from reviewbot.scan.suppressions import Directive, Suppressions, parse_suppressions
from reviewbot.scan.timeline import fresh_paths
from reviewbot.sql.migrations import (
    MigrationFile,
    Timeline,
    alembic_ids,
    migration_of,
    timeline_file,
)
from reviewbot.workspace.config import Config
from reviewbot.workspace.discovery import discover
from reviewbot.workspace.globs import glob_set
from reviewbot.workspace.guards import run_deep
from reviewbot.workspace.sources import SourceFile, language_of, read_source

if TYPE_CHECKING:
    from reviewbot.scan.analysis import Analyzer
    from reviewbot.sql.source import SqlDocument

# Project rules that judge the suppressions: they run after every other rule has reported.
LATE_RULES = frozenset({"unused-suppression"})


@dataclass(slots=True)
class ScanResult:
    root: Path
    findings: list[Finding]
    errors: list[ScanError]
    summary: ScanSummary
    skipped: list[tuple[str, str]]
    rules: dict[str, RuleMeta]
    # Every migration file scanned, for the timeline (which of them are history).
    migrations: list[MigrationFile] = field(default_factory=list)
    # Findings of migration rules in history migrations, held back from the report; a diff
    # filter brings back those in files the change touches.
    held_back: list[Finding] = field(default_factory=list)
    # Findings silenced by an inline directive, each with its `suppression` (JSON, SARIF).
    suppressed: list[Finding] = field(default_factory=list)


@dataclass(slots=True)
class ProjectOutcome:
    """What the project pass adds to the per-file outcomes, as the cache keeps it: per-file
    findings after fixes were completed, the project rules' findings and errors, and the
    migration files (which need the SQL documents to list)."""

    raw: list[RawFinding]
    findings: list[RawFinding]
    errors: list[ScanError]
    migrations: list[MigrationFile]


@dataclass(slots=True)
class Project:
    """What project-wide rules see: every source, SQL document and fact from the per-file pass."""

    config: Config
    sources: dict[str, SourceFile]
    sql_documents: list[SqlDocument]
    facts: dict[str, list[tuple[str, Any]]]
    suppressions: dict[str, Suppressions]
    enabled: frozenset[str]
    # What a command lends its project rules beyond the files (`migrations verify`: the database).
    services: dict[str, Any] = field(default_factory=dict)
    # Migration files that are history (scan/timeline.py): applied everywhere, never edited.
    history: frozenset[str] = frozenset()
    findings: list[RawFinding] = field(default_factory=list)
    # Directives that silenced at least one finding: (path, line, column).
    used_directives: set[tuple[str, int, int]] = field(default_factory=set)
    _shared: dict[str, Any] = field(default_factory=dict)

    def add(self, finding: RawFinding) -> None:
        self.findings.append(finding)

    def shared(self, key: str, build: Any) -> Any:
        """Build a derived structure (e.g. the schema catalog) once per scan, for every rule."""
        if key not in self._shared:
            self._shared[key] = build(self)
        return self._shared[key]


class Scanner:
    """One configured scan. Build it once, call `scan_paths` (or `scan_sources` in tests).

    `jobs` > 1 runs the per-file pass in worker processes when there is enough to do; `cache`
    reuses per-file outcomes from `.reviewbot_cache/` under the scan root; `progress` is called
    with (files done, files total) as the per-file pass advances; `file_timeout` is the time
    budget of one file in worker processes (None: unlimited).
    """

    def __init__(
        self,
        config: Config,
        rules: Iterable[str],
        checklist: dict[str, tuple[ChecklistRef, ...]] | None = None,
        jobs: int = 1,
        cache: bool = False,
        progress: Callable[[int, int], None] | None = None,
        cache_dir: Path | None = None,
        services: dict[str, Any] | None = None,
        file_timeout: float | None = DEFAULT_FILE_TIMEOUT,
        overlay: dict[str, str] | None = None,
    ) -> None:
        self.config = config
        # Texts that stand for files (`scan --fix` re-scans its fixed texts before writing any):
        # path relative to the root -> text; a path not on disk is scanned as a new file.
        self.overlay = overlay or {}
        self.services = services or {}
        self.file_timeout = file_timeout
        catalog = active_catalog()
        kinds = checks.index()
        # Rules proven on a live database run only where a command lends one (`services`).
        self.enabled = frozenset(
            r
            for r in rules
            if r in catalog
            and (r in kinds or r in REGISTRY)  # a module, or registered by code (tests)
            and (catalog[r].language != "database" or "database" in self.services)
        )
        self.metas = {rid: catalog[rid] for rid in sorted(self.enabled)}
        self.checklist = checklist or {}
        self.options = {rid: config.rule_options(meta) for rid, meta in self.metas.items()}
        # Rule modules are imported when they run: the per-file rules (libcst, sqlglot) only if
        # some file is not served from the cache, the project rules after the per-file pass.
        self.project_ids = [
            rid
            for rid in self.metas
            if (
                kinds[rid] in checks.PROJECT_KINDS
                if rid in kinds
                else issubclass(REGISTRY[rid], ProjectRule)
            )
        ]
        self.extract_sql = any(meta.language in ("sql", "database") for meta in self.metas.values())
        self._analyzer: Analyzer | None = None
        # Settings modules only tests load (the project's test configuration names them).
        self.test_settings: frozenset[str] = frozenset()
        self.jobs = max(1, jobs)
        self.progress = progress
        self.cache = (
            Cache(
                cache_location(config.root, config.path is not None, cache_dir),
                {
                    "rules": sorted(self.enabled),
                    "options": self.options,
                    "dialect": config.sql_dialect,
                    "extract_sql": self.extract_sql,
                    "project_rules": project_rule_digests(self.enabled),
                },
            )
            if cache
            else None
        )
        self.errors: list[ScanError] = []
        self.raw: list[RawFinding] = []
        self.sources: dict[str, SourceFile] = {}
        self.sql_documents: list[SqlDocument] = []
        self.facts: dict[str, list[tuple[str, Any]]] = {}
        self._ignored_rules: dict[str, frozenset[str]] = {}
        # The uncommitted files (timeline), once per scan; the project pass's output, to store.
        self._fresh: frozenset[str] | None = None
        self._stored: ProjectOutcome | None = None

    @property
    def analyzer(self) -> Analyzer:
        """The per-file pass, built (and its parsers imported) on first use."""
        if self._analyzer is None:
            from reviewbot.scan.analysis import Analyzer

            self._analyzer = Analyzer(self.config, self.enabled, self.options, self.extract_sql)
            self._analyzer.test_settings = self.test_settings
        return self._analyzer

    # -- whole scan ----------------------------------------------------------------------------

    def scan_sources(self, sources: Iterable[SourceFile]) -> ScanResult:
        sources = list(sources)
        self._know_places(sources)
        for source in sources:
            self._collect(source, self.analyzer.analyze(source))
        return self._finish(skipped=[])

    def scan_paths(self, paths: list[Path]) -> ScanResult:
        found = discover(paths, self.config.root, self.config.exclude)
        sources: list[SourceFile] = []
        for candidate in found.files:
            if candidate.rel in self.overlay:
                text = self.overlay[candidate.rel]
                sources.append(SourceFile(candidate.rel, text, candidate.language))
                continue
            source = read_source(candidate.absolute, candidate.rel, candidate.language)
            if isinstance(source, ScanError):
                self.errors.append(source)
            else:
                sources.append(source)
        listed = {source.path for source in sources}
        for rel, text in sorted(self.overlay.items()):
            language = language_of(rel)
            if rel not in listed and language is not None and not (self.config.root / rel).exists():
                sources.append(SourceFile(rel, text, language))
        self._know_places(sources)
        outcomes: list[FileOutcome | None] = [None] * len(sources)
        keys: list[str] = [""] * len(sources)
        todo: list[int] = []
        for index, source in enumerate(sources):
            if self.cache is not None:
                # A file's outcome also depends on where the project's configuration says it
                # sits (a settings module only tests load).
                where = "test-settings" if source.path in self.test_settings else ""
                keys[index] = self.cache.key(source.path, source.text, where)
                cached = self.cache.get(keys[index], len(source.text))
                if cached is not None:
                    outcomes[index] = cached
                    continue
            todo.append(index)
        project_key = self._project_key(sources, keys)
        if not todo and project_key is not None:
            assert self.cache is not None
            stored = self.cache.get_value(project_key, ProjectOutcome, counted=False)
            if stored is not None:
                # Every file and everything the project pass reads is as when it ran: its
                # output stands, and no SQL document is unpickled (nor sqlglot imported).
                for source, result in zip(sources, outcomes, strict=True):
                    assert result is not None
                    self._collect(source, result)
                self._report_progress(len(sources), len(sources))
                return self._finish(skipped=found.skipped, stored=stored)
        if self.cache is not None:
            for index, held in enumerate(outcomes):
                if held is None or not held.sql_elsewhere:
                    continue
                documents = self.cache.get_sql(keys[index], len(sources[index].text))
                if documents is None:  # the SQL part is gone: analyse the file again
                    outcomes[index] = None
                    todo.append(index)
                    continue
                held.sql_documents = documents
                held.sql_elsewhere = False
            todo.sort()
        for index, held in enumerate(outcomes):
            if held is not None:
                held.attach(sources[index])
        done = len(sources) - len(todo)
        self._report_progress(done, len(sources))
        complete = True
        for index, outcome in self._analyze_all([sources[i] for i in todo], todo):
            if self.cache is not None:
                if transient(outcome):
                    complete = False
                else:
                    self.cache.put_outcome(keys[index], outcome.detach(), len(sources[index].text))
            outcomes[index] = outcome.attach(sources[index])
            done += 1
            self._report_progress(done, len(sources))
        for source, result in zip(sources, outcomes, strict=True):
            assert result is not None
            self._collect(source, result)
        scanned = self._finish(skipped=found.skipped)
        if project_key is not None and complete and self._stored is not None:
            assert self.cache is not None
            self.cache.put(project_key, self._stored)
        return scanned

    def _project_key(self, sources: list[SourceFile], keys: list[str]) -> str | None:
        """The cache key of the project pass's output, from everything that pass reads: each
        file's outcome key, in order (they hold the rules, options, project rule digests and
        reviewbot's code), the configuration (`migrations.start-after`) and which files are
        uncommitted (the migration timeline). None: never cached (no cache, a fix overlay, or a
        service such as a database lent to the rules, whose state no key describes)."""
        if self.cache is None or self.overlay or self.services:
            return None
        if self.project_ids and self.config.root.is_dir():
            self._fresh = fresh_paths(self.config.root)
        return self.cache.key(
            "project",
            "\0".join(keys),
            json.dumps(
                {
                    "config": repr(self.config),
                    "fresh": sorted(self._fresh or ()),
                    "paths": [s.path for s in sources],
                },
                sort_keys=True,
            ),
        )

    def _know_places(self, sources: list[SourceFile]) -> None:
        """What the project's own configuration says about its files, before any is analysed."""
        if any(s.language == "python" for s in sources):
            self.test_settings = settings_only_tests_load(
                self.config.root, ((s.path, s.text) for s in sources)
            )
            if self._analyzer is not None:
                self._analyzer.test_settings = self.test_settings

    def _report_progress(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(done, total)

    def _analyze_all(
        self, sources: list[SourceFile], indexes: list[int]
    ) -> Iterator[tuple[int, FileOutcome]]:
        """Outcomes in input order; in worker processes when there is enough work to share."""
        size = sum(len(s.text) for s in sources)
        if self.jobs == 1 or len(sources) < PARALLEL_MIN_FILES or size < PARALLEL_MIN_BYTES:
            for index, source in zip(indexes, sources, strict=True):
                yield index, self.analyzer.analyze(source)
            return
        yield from parallel_analyze(
            self.analyzer, sources, indexes, self.jobs, file_timeout=self.file_timeout
        )

    def _collect(self, source: SourceFile, outcome: FileOutcome) -> None:
        self.sources[source.path] = source
        self.raw.extend(outcome.raw)
        self.errors.extend(outcome.errors)
        for kind, values in outcome.facts.items():
            self.facts.setdefault(kind, []).extend((source.path, v) for v in values)
        self.sql_documents.extend(outcome.sql_documents)

    def _finish(
        self, skipped: list[tuple[str, str]], stored: ProjectOutcome | None = None
    ) -> ScanResult:
        suppressions = {path: parse_suppressions(src.text) for path, src in self.sources.items()}
        if stored is not None:
            self.raw = list(stored.raw)
            self.errors.extend(stored.errors)
            return self._report(skipped, suppressions, list(stored.findings), stored.migrations)
        errors_before = len(self.errors)
        migrations = self._migration_files()
        project = Project(
            config=self.config,
            sources=self.sources,
            sql_documents=self.sql_documents,
            facts=self.facts,
            suppressions=suppressions,
            enabled=self.enabled,
            services=self.services,
            history=self._history(migrations) if self.project_ids else frozenset(),
        )
        self._complete_fixes(project)
        project_rules = self._project_rules(project)
        early = [c for c in project_rules if c.id not in LATE_RULES]
        late = [c for c in project_rules if c.id in LATE_RULES]
        if early:
            # Project rules walk the SQL of every file, including statements parsed on a large
            # stack (guards.run_deep): they run on one too.
            run_deep(self._project_pass, project, early)
        if late:
            # Rules about the suppressions themselves see which directives silenced something.
            for _item, directive in self._classify([*self.raw, *project.findings], suppressions):
                if isinstance(directive, Directive):
                    project.used_directives.add((_item.path, directive.line, directive.column))
            self._project_pass(project, late)
        self._stored = ProjectOutcome(
            raw=list(self.raw),
            findings=list(project.findings),
            errors=self.errors[errors_before:],
            migrations=migrations,
        )
        return self._report(skipped, suppressions, project.findings, migrations)

    def _report(
        self,
        skipped: list[tuple[str, str]],
        suppressions: dict[str, Suppressions],
        project_findings: list[RawFinding],
        migrations: list[MigrationFile],
    ) -> ScanResult:
        findings, silenced, suppressed = self._filter([*self.raw, *project_findings], suppressions)
        foreign = len(self.facts.get(FOREIGN_FACT, ()))
        summary = ScanSummary(
            files_scanned=len(self.sources),
            python_files=sum(1 for s in self.sources.values() if s.language == "python"),
            sql_files=sum(1 for s in self.sources.values() if s.language == "sql"),
            rules_enabled=tuple(sorted(self.enabled)),
            suppressed=suppressed + foreign,
            foreign_suppressed=foreign,
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
            migrations=migrations,
            suppressed=silenced,
        )

    def _history(self, migrations: list[MigrationFile]) -> frozenset[str]:
        if not migrations:
            return frozenset()
        fresh = self._fresh
        if fresh is None:
            fresh = fresh_paths(self.config.root) if self.config.root.is_dir() else frozenset()
        return Timeline.build(migrations, self.config.start_after, fresh).history

    def _migration_files(self) -> list[MigrationFile]:
        revisions: dict[str, tuple[str, tuple[str, ...]]] = {}
        if REVISION_FACT in self.facts:
            revisions = {
                path: (fact.revision, fact.down_revisions)
                for path, fact in self.facts[REVISION_FACT]
                if isinstance(fact, AlembicRevision)
            }
        creates: dict[str, set[str]] = {}
        for document in self.sql_documents:
            migration = migration_of(document)
            if migration is not None:
                creates.setdefault(document.path, set()).update(migration.unit.created_tables)
        files: list[MigrationFile] = []
        for path, source in self.sources.items():
            text = source.text if path.endswith(".sql") else None
            ids = revisions.get(path)
            if ids is None and path.endswith(".py") and "down_revision" in source.text:
                # Revisions with nothing to extract (a merge revision's `pass`) yield no fact.
                ids = alembic_ids(source.text)
            found = timeline_file(path, text, ids)
            if found is not None:
                files.append(replace(found, creates=frozenset(creates.get(path, ()))))
        return files

    def _complete_fixes(self, project: Project) -> None:
        """Per-file rules whose fixes wait for the whole project (an `OPEN_FIX_FACT` names them)
        complete them from its facts (`Rule.complete_fixes`); only those rules are imported."""
        waiting = sorted(
            {rid for _, rid in self.facts.get(OPEN_FIX_FACT, ()) if rid in self.enabled}
        )
        if not waiting:
            return
        checks.load(waiting)
        for rid in waiting:
            cls = REGISTRY.get(rid)
            if cls is None:
                continue
            own = [item for item in self.raw if item.rule == rid]
            try:
                completed = cls.complete_fixes(own, project)
            except Exception as exc:  # a bug in a rule must not stop the scan
                self.errors.append(rule_crash(rid, ".", exc))
                continue
            self.raw = [item for item in self.raw if item.rule != rid] + completed

    def _project_rules(self, project: Project) -> list[type[ProjectRule]]:
        """The enabled project rules that can see anything. A rule the catalog files under
        `sql` reads the project through its SQL documents and SQL facts (sql/schema.py builds
        its catalog from them): without either it has nothing to report, and is not loaded."""
        sql_side = bool(project.sql_documents) or any(kind in SQL_FACTS for kind in project.facts)
        wanted = [rid for rid in self.project_ids if sql_side or self.metas[rid].language != "sql"]
        checks.load(wanted)
        return [c for rid in wanted if issubclass(c := REGISTRY[rid], ProjectRule)]

    def _project_pass(self, project: Project, rules: list[type[ProjectRule]]) -> None:
        for cls in rules:
            try:
                cls(project, self.options[cls.id]).check()
            except Exception as exc:
                self.errors.append(rule_crash(cls.id, ".", exc))

    def _classify(
        self, raw: list[RawFinding], suppressions: dict[str, Suppressions]
    ) -> Iterator[tuple[RawFinding, tuple[str, int, int] | Directive | None]]:
        """Each distinct finding, in report order, with what silences it: a config ignore
        (path, 0, 0), an inline directive (as (path, line, column)), or None."""
        seen: set[tuple[str, str, int, int, str]] = set()
        for item in sorted(raw, key=lambda r: (r.path, r.line, r.column, r.rule, r.message)):
            key = (item.rule, item.path, item.line, item.column, item.message)
            if key in seen:
                continue
            seen.add(key)
            if self._ignored_by_config(item):
                yield item, (item.path, 0, 0)
                continue
            file_suppressions = suppressions.get(item.path)
            directive = (
                file_suppressions.directive_for(item.rule, item.line) if file_suppressions else None
            )
            if (
                directive is not None
                and item.rule in LATE_RULES
                and item.rule not in directive.rules
            ):
                directive = None  # a bare directive does not silence the report that it is unused
            yield item, directive

    def _filter(
        self, raw: list[RawFinding], suppressions: dict[str, Suppressions]
    ) -> tuple[list[Finding], list[Finding], int]:
        kept: list[Finding] = []
        silenced: list[Finding] = []
        suppressed = 0
        for item, by in self._classify(raw, suppressions):
            if by is None:
                kept.append(self._finding(item))
                continue
            suppressed += 1
            if isinstance(by, Directive):
                silenced.append(replace(self._finding(item), suppression=by.to_dict()))
        occurrences: Counter[tuple[str, str, str]] = Counter()
        out: list[Finding] = []
        for finding in kept:
            key3 = (finding.rule, finding.path, " ".join(finding.snippet.split()))
            out.append(finding.with_fingerprint(occurrences[key3]))
            occurrences[key3] += 1
        return out, silenced, suppressed

    def _ignored_by_config(self, item: RawFinding) -> bool:
        ignored = self._ignored_rules.get(item.path)
        if ignored is None:
            # All `per-file-ignores` patterns in one linear-time pass per path (globs.GlobSet).
            entries = list(self.config.per_file_ignores.items())
            matched = glob_set(tuple(p for p, _ in entries)).matching(item.path) if entries else ()
            ignored = frozenset(rule for index in matched for rule in entries[index][1])
            self._ignored_rules[item.path] = ignored
        return item.rule in ignored or "all" in ignored

    def _finding(self, item: RawFinding) -> Finding:
        meta = self.metas.get(item.rule)
        severity = self.config.severity.get(item.rule) or (
            meta.severity if meta else active_catalog()[item.rule].severity
        )
        source = self.sources.get(item.path)
        lines: list[str] = []
        if source is not None:
            last = min(item.end_line, item.line + 4)
            lines = [source.line_text(n) for n in range(item.line, last + 1)]
        message, suggestion = item.message, item.suggestion
        # Redact before clipping long lines, so a window edge never shows part of a secret.
        for secret in sorted(filter(None, item.redact), key=len, reverse=True):
            masked = redact(secret)
            lines = [line.replace(secret, masked) for line in lines]
            message = message.replace(secret, masked)
            if suggestion is not None:
                suggestion = suggestion.replace(secret, masked)
        diff = ""
        if item.fix is not None and not item.redact:
            diff = fix_diff(item.fix, self._text_of)
            if suggestion is None and source is not None:
                suggestion = span_replacement(
                    item.fix, source, item.line, item.column, item.end_line, item.end_column
                )
        lines, clipped = clip_snippet(lines, item.column)
        snippet = "\n".join(lines)
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
            suggestion=suggestion,
            checklist=self.checklist.get(item.rule, ()),
            snippet_clipped=clipped,
            existing_table=item.existing_table,
            fix=item.fix,
            fix_diff=diff,
        )

    def _text_of(self, path: str) -> str | None:
        """A file's text as scanned (None: not scanned, e.g. a file a fix creates)."""
        source = self.sources.get(path)
        return source.text if source is not None else None


def redact(secret: str) -> str:
    """Keep a hint of the value's shape (first 2 chars for long ones), never enough to use it."""
    if len(secret) >= 12:
        return secret[:2] + REDACTED
    return REDACTED


def apply_severity_threshold(findings: list[Finding], threshold: Any) -> bool:
    """Whether any finding reaches `threshold` (None: never fail)."""
    return threshold is not None and any(f.severity >= threshold for f in findings)
