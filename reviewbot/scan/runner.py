"""One scan from request to result: config, rule selection, checklists, engine, baseline."""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewbot.checklist import documents
from reviewbot.checklist.extract import MAX_BYTES as AGENT_DOCUMENT_BYTES
from reviewbot.model.catalog import active_catalog
from reviewbot.model.findings import AgentSource, ChecklistRef, ErrorKind, ScanError, Severity
from reviewbot.output.context import ReportContext
from reviewbot.scan import timeline
from reviewbot.scan.baseline import apply_baseline, read_baseline
from reviewbot.scan.cache import Cache, cache_location
from reviewbot.scan.engine import Scanner, ScanResult
from reviewbot.scan.parallel import DEFAULT_FILE_TIMEOUT
from reviewbot.workspace.config import Config, ConfigError, Selection, load_config, select_rules
from reviewbot.workspace.config import git_toplevel as find_git_top
from reviewbot.workspace.sources import SourceFile, language_of, read_regular


@dataclass(slots=True)
class ScanRequest:
    paths: list[Path] = field(default_factory=lambda: [Path(".")])
    config_path: Path | None = None
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    fail_on: Severity | str | None = "config"
    sql_dialect: str | None = None
    baseline: Path | None = None
    jobs: int | None = None  # None: one per CPU
    # Seconds one file may take in a parallel scan before it is stopped and reported (None: no
    # limit; the default is parallel.DEFAULT_FILE_TIMEOUT).
    file_timeout: float | None = DEFAULT_FILE_TIMEOUT
    cache: bool = True
    cache_dir: Path | None = None
    # `reviewbot scan -`: (the file name it stands for, the text read from stdin).
    stdin: tuple[Path, str] | None = None
    progress: Callable[[int, int], None] | None = None
    services: dict[str, Any] = field(default_factory=dict)
    # Check every migration, history or not (`--all-migrations`).
    all_migrations: bool = False
    # Texts standing for files, by path relative to the scan root (see Scanner.overlay).
    overlay: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Checklists:
    """Rules the configured agent documents opt in, and the items each rule enforces."""

    rules: set[str] = field(default_factory=set)
    refs: dict[str, tuple[ChecklistRef, ...]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    sources: list[AgentSource] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)


@dataclass(slots=True)
class ScanOutcome:
    config: Config
    selection: Selection
    result: ScanResult
    fail_on: Severity | None
    notes: list[str]

    @property
    def failed(self) -> bool:
        threshold = self.fail_on
        return threshold is not None and any(f.severity >= threshold for f in self.result.findings)

    def report_context(self, color: bool = False) -> ReportContext:
        root = self.config.root
        top = find_git_top(root)
        repo_prefix = ""
        if top is not None and root != top and root.is_relative_to(top):
            repo_prefix = root.relative_to(top).as_posix() + "/"
        display_prefix = ""
        cwd = Path.cwd().resolve()
        if root != cwd:
            display_prefix = os.path.relpath(root, cwd).replace(os.sep, "/") + "/"
        return ReportContext(
            color=color,
            repo_prefix=repo_prefix,
            display_prefix=display_prefix,
            scan_root=str(root),
            cwd=str(cwd),
            fail_on=self.fail_on,
            rule_source=self.selection.source,
            notes=tuple(self.notes),
            rules_off=tuple(self.selection.off.items()),
        )


def start_folder(paths: list[Path]) -> Path:
    first = paths[0] if paths else Path(".")
    if not first.exists():
        raise ConfigError(f"{first}: no such file or directory")
    return first if first.is_dir() else first.parent


def load_checklists(config: Config, store: Cache | None = None) -> Checklists:
    """Agent-document opt-in and provenance.

    The documents matched by the config's `agents:` globs opt in exactly the rules their items
    map to (rules still planned are skipped) and are quoted by the findings of those rules. When
    the config names no documents, the documents bundled with reviewbot are quoted instead; they
    opt nothing in. With a `store`, the mapping of documents seen before is read from it.
    """
    result = Checklists()
    if config.agents:
        where = f"{config.path.name if config.path else 'config'}: `agents`"
        found = documents.under_root(config.root, config.agents, where)
        located, opt_in = found.documents, True
        for pattern in found.unmatched:
            result.notes.append(f"Agent documents: `{pattern}` under `agents:` matched no file.")
    else:
        # No `agents:` key: quote the repository's own documents from the usual places when it
        # has some (their paths resolve in PR comments), else the ones bundled with reviewbot.
        # Either way they only provide citations; listing them under `agents:` opts rules in.
        located, _ = documents.in_repository(config.root)
        if located:
            result.notes.append(
                "Agent documents "
                + ", ".join(d.shown for d in located[:5])
                + (f" and {len(located) - 5} more" if len(located) > 5 else "")
                + " are quoted in findings; list them under `agents:` (`reviewbot init` does)"
                " to add the rules they ask for."
            )
        else:
            located = documents.bundled()
        opt_in = False
    mapped = _cached_mapping(located, opt_in, store) if store is not None else None
    if mapped is None:
        mapped = _map_documents(located, opt_in)
        if store is not None and (key := _mapping_key(located, opt_in, store)) is not None:
            store.put(key, mapped)
    mapped.notes[:0] = result.notes
    return mapped


def _mapping_key(located: list[documents.Located], opt_in: bool, store: Cache) -> str | None:
    """The cache key of mapping these documents: their paths and bytes and the rules that can
    run (the catalog files and the mapping code are in every key through the cache's salt);
    None if a document cannot be read."""
    digest = hashlib.sha256(b"checklists\0" + (b"opt-in" if opt_in else b"quote"))
    digest.update(" ".join(sorted(active_catalog())).encode())
    for doc_file in located:
        try:
            # As read_agent_document reads it: a regular file (a FIFO would block), bounded.
            data = read_regular(doc_file.file, AGENT_DOCUMENT_BYTES)
        except OSError:
            return None  # not cached: the mapping reports what is wrong with the file
        for part in (str(doc_file.file), doc_file.shown):
            digest.update(b"\0" + part.encode("utf-8", "surrogateescape"))
        digest.update(b"\0%d\0" % len(data) + data)
    return store.key("", digest.hexdigest())


def _cached_mapping(
    located: list[documents.Located], opt_in: bool, store: Cache
) -> Checklists | None:
    key = _mapping_key(located, opt_in, store)
    return store.get_value(key, Checklists) if key is not None else None


def _map_documents(located: list[documents.Located], opt_in: bool) -> Checklists:
    """Map each document's items to rules (about 0.2 s of regex and stemming: cached)."""
    from reviewbot.checklist.extract import AgentDocumentError, read_agent_document
    from reviewbot.checklist.mapping import coverage, default_mapper

    result = Checklists()
    mapper = default_mapper()
    runnable = active_catalog()
    refs: dict[str, list[tuple[int, int, ChecklistRef]]] = {}
    for doc_file in located:
        try:
            document = read_agent_document(doc_file.file, doc_file.shown)
        except AgentDocumentError as exc:
            if opt_in:
                result.errors.append(
                    ScanError(
                        ErrorKind.AGENT_DOCUMENT,
                        doc_file.shown,
                        f"cannot read agent document: {exc}",
                    )
                )
            continue
        mapped = mapper.map_document(document)
        for item in mapped:
            for rule in item.rules:
                bucket = refs.setdefault(rule, [])
                bucket.append((len(item.rules), len(bucket), item.ref()))
        if not opt_in:
            continue
        for note in document.notes:
            where = f"{document.path}:{note.line}" if note.line else document.path
            result.notes.append(f"Agent document {where}: {note.message}.")
        cover = coverage(mapped)
        enabled = tuple(r for r in cover.rules if r in runnable)
        result.rules.update(enabled)
        result.sources.append(
            AgentSource(document.name, document.path, cover.items, cover.enforced, enabled)
        )
        result.notes.append(
            f"Agent checklist {document.path} ({document.name}): {cover.enforced} of "
            f"{cover.items} items enforced; "
            + (f"opts in {', '.join(enabled)}." if enabled else "opts in no rule.")
        )
    # The item a finding quotes first is the most specific one: an item naming this rule's
    # concern alone before a broad one ("Data management: ... indexing, migrations") that maps
    # to six rules. Document order breaks ties.
    result.refs = {
        rule: tuple(ref for _, _, ref in sorted(items, key=lambda e: (e[0], e[1])))
        for rule, items in refs.items()
    }
    return result


def _stdin_source(config: Config, name: Path, text: str) -> SourceFile:
    language = language_of(name.name)
    if language is None:
        raise ConfigError(
            f"--stdin-filename {name}: not a Python or SQL file name (.py, .sql); "
            "it decides the language and which config applies"
        )
    absolute = name if name.is_absolute() else Path.cwd() / name
    try:
        shown = absolute.resolve().relative_to(config.root).as_posix()
    except ValueError:
        shown = name.as_posix()
    return SourceFile(path=shown, text=text, language=language)


def run_scan(request: ScanRequest) -> ScanOutcome:
    if request.stdin is not None:
        # The config is the one the named file would get; the file need not exist.
        folder = request.stdin[0].parent if request.stdin[0].parent.is_dir() else Path(".")
        start = folder
    else:
        start = start_folder(request.paths)
    config = load_config(start, request.config_path)
    if request.sql_dialect:
        config.sql_dialect = request.sql_dialect
    store = (
        Cache(
            cache_location(config.root, config.path is not None, request.cache_dir),
            {"checklists": True},
        )
        if request.cache
        else None
    )
    checklists = load_checklists(config, store)
    selection = select_rules(
        config, checklists.rules, request.select, request.ignore, request.extend_select
    )
    fail_on = config.fail_on if request.fail_on == "config" else request.fail_on
    assert not isinstance(fail_on, str)
    scanner = Scanner(
        config,
        selection.rules,
        checklists.refs,
        jobs=request.jobs or os.cpu_count() or 1,
        cache=request.cache,
        progress=request.progress,
        cache_dir=request.cache_dir,
        services=request.services,
        file_timeout=request.file_timeout,
        overlay=request.overlay,
    )
    if request.stdin is not None:
        result = scanner.scan_sources([_stdin_source(config, *request.stdin)])
    else:
        result = scanner.scan_paths([p.resolve() for p in request.paths])
    result.errors.extend(checklists.errors)
    notes = list(checklists.notes)
    if not request.all_migrations:
        result.findings, result.held_back, line = timeline.apply(
            result.findings, result.migrations, result.rules, config
        )
        result.summary.counts = dict(Counter(f.rule for f in result.findings))
        if line:
            notes.append(line)
    result.summary.agents = tuple(checklists.sources)
    if request.baseline is not None:
        result.findings, result.summary.baselined = apply_baseline(
            result.findings, read_baseline(request.baseline)
        )
    if selection.off:
        by_reason: dict[str, list[str]] = {}
        for rule_id, reason in selection.off.items():
            by_reason.setdefault(reason, []).append(rule_id)
        notes.append(
            "Recommended rules off: "
            + "; ".join(
                f"{', '.join(ids) if len(ids) <= 6 else f'{len(ids)} rules'} ({why})"
                for why, ids in by_reason.items()
            )
            + "."
        )
    return ScanOutcome(config, selection, result, fail_on, notes)
