"""One scan from request to result: config, rule selection, checklists, engine, baseline."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from reviewbot.baseline import apply_baseline, read_baseline
from reviewbot.config import Config, ConfigError, Selection, load_config, select_rules
from reviewbot.config import git_toplevel as find_git_top
from reviewbot.engine import Scanner, ScanResult
from reviewbot.models import ChecklistRef, Severity
from reviewbot.reporters.context import ReportContext


@dataclass(slots=True)
class ScanRequest:
    paths: list[Path] = field(default_factory=lambda: [Path(".")])
    config_path: Path | None = None
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    fail_on: Severity | str | None = "config"
    sql_dialect: str | None = None
    baseline: Path | None = None


@dataclass(slots=True)
class Checklists:
    """Rules the configured agent documents opt in, and the items each rule enforces."""

    rules: set[str] = field(default_factory=set)
    refs: dict[str, tuple[ChecklistRef, ...]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


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
            fail_on=self.fail_on,
            rule_source=self.selection.source,
            notes=tuple(self.notes),
        )


def start_folder(paths: list[Path]) -> Path:
    first = paths[0] if paths else Path(".")
    if not first.exists():
        raise ConfigError(f"{first}: no such file or directory")
    return first if first.is_dir() else first.parent


def load_checklists(config: Config) -> Checklists:
    """Agent-document opt-in: the rules the `agents` documents' checklist items map to.

    Extraction and mapping arrive with the checklist feature; until then `agents` is validated
    and nothing is opted in through it.
    """
    del config
    return Checklists()


def run_scan(request: ScanRequest) -> ScanOutcome:
    config = load_config(start_folder(request.paths), request.config_path)
    if request.sql_dialect:
        config.sql_dialect = request.sql_dialect
    checklists = load_checklists(config)
    selection = select_rules(config, checklists.rules, request.select, request.ignore)
    fail_on = config.fail_on if request.fail_on == "config" else request.fail_on
    assert not isinstance(fail_on, str)
    scanner = Scanner(config, selection.rules, checklists.refs)
    result = scanner.scan_paths([p.resolve() for p in request.paths])
    if request.baseline is not None:
        result.findings, result.summary.baselined = apply_baseline(
            result.findings, read_baseline(request.baseline)
        )
    notes = list(checklists.notes)
    if not selection.rules:
        notes.append(
            "No rules are enabled: add rule ids to `enable:` or agent documents to `agents:` in "
            f"{config.path.name if config.path else '.reviewbot.yml'}."
        )
    return ScanOutcome(config, selection, result, fail_on, notes)
