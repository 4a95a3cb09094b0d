"""Diff filter modes (like reviewdog's): which findings a change is answerable for."""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reviewbot.model.findings import Finding, ScanError
from reviewbot.workspace.config import ConfigError, closest
from reviewbot.workspace.diff import FileDiff, FileStatus

if TYPE_CHECKING:
    from reviewbot.scan.runner import ScanOutcome
    from reviewbot.sql.migrations import MigrationFile


class FilterMode(enum.StrEnum):
    ADDED = "added"  # findings touching an added or changed line
    DIFF_CONTEXT = "diff-context"  # findings touching any line the diff shows (changes + context)
    FILE = "file"  # findings anywhere in a changed file
    ALL = "all"  # every finding

    @classmethod
    def parse(cls, value: str, where: str = "--filter") -> FilterMode:
        try:
            return cls(value.strip().lower())
        except ValueError:
            choices = [m.value for m in cls]
            raise ConfigError(
                f"{where} must be one of {', '.join(choices)}, not `{value}`"
                f"{closest(value, choices)}"
            ) from None


FILTER_HELP = {
    FilterMode.ADDED: "only findings on lines the change adds or modifies (default)",
    FilterMode.DIFF_CONTEXT: "findings on any line the diff shows, including its context lines",
    FilterMode.FILE: "findings anywhere in a file the change touches",
    FilterMode.ALL: "every finding, changed or not",
}


@dataclass(slots=True)
class ChangeSet:
    """The files a change touches, by repository path after the change; deleted files are kept
    apart because nothing can be reported on them."""

    files: dict[str, FileDiff] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    label: str = ""

    @classmethod
    def from_diffs(cls, diffs: list[FileDiff], label: str = "") -> ChangeSet:
        changes = cls(label=label)
        for diff in diffs:
            if diff.status is FileStatus.DELETED or diff.new_path is None:
                changes.deleted.append(diff.path)
            else:
                changes.files[diff.new_path] = diff
        return changes

    def get(self, path: str) -> FileDiff | None:
        return self.files.get(path)


def _touches_added(diff: FileDiff, first: int, last: int) -> bool:
    added = diff.added_lines
    if last - first < len(added):
        return any(n in added for n in range(first, last + 1))
    return any(first <= n <= last for n in added)


def _touches_hunk(diff: FileDiff, first: int, last: int) -> bool:
    return any(h.new_count > 0 and h.new_start <= last and h.new_end >= first for h in diff.hunks)


def in_change(
    changes: ChangeSet, mode: FilterMode, path: str, line: int, end_line: int | None = None
) -> bool:
    """Whether a report on `path` lines line..end_line (repository path) passes `mode`."""
    if mode is FilterMode.ALL:
        return True
    diff = changes.get(path)
    if diff is None:
        return False
    if mode is FilterMode.FILE or not diff.lines_known:
        return True
    last = max(line, end_line or line)
    if mode is FilterMode.ADDED:
        return _touches_added(diff, line, last)
    return _touches_hunk(diff, line, last)


def filter_findings(
    findings: list[Finding], changes: ChangeSet, mode: FilterMode, repo_prefix: str = ""
) -> list[Finding]:
    """Findings that pass `mode`; `repo_prefix` turns scan-root paths into repository paths."""
    return [
        f
        for f in findings
        if in_change(changes, mode, f"{repo_prefix}{f.path}", f.line, f.end_line)
    ]


def filter_errors(
    errors: list[ScanError], changes: ChangeSet, mode: FilterMode, repo_prefix: str = ""
) -> list[ScanError]:
    """Files that could not be checked matter to a change when the change touches them."""
    if mode is FilterMode.ALL:
        return list(errors)
    return [e for e in errors if changes.get(f"{repo_prefix}{e.path}") is not None]


def recount(findings: list[Finding]) -> dict[str, int]:
    return dict(Counter(f.rule for f in findings))


def describe_dropped(mode: FilterMode, label: str, kept: int, total: int) -> str:
    """The note a report carries about what the diff filter left out."""
    dropped = total - kept
    where = f" against {label}" if label else ""
    if not dropped:
        return f"Diff filter `{mode}`{where}: every finding is in the change."
    noun = "finding" if total == 1 else "findings"
    verb = "is" if dropped == 1 else "are"
    return (
        f"Diff filter `{mode}`{where}: {dropped} of {total} {noun} {verb} outside the change and "
        "not shown (`--filter all` shows them)."
    )


def drop_new_tables(
    findings: list[Finding],
    migrations: list[MigrationFile],
    changes: ChangeSet,
    repo_prefix: str = "",
) -> list[Finding]:
    """Findings about locking a table that holds rows, dropped where the table is created by a
    migration the change adds, in the same folder: it is empty until the change deploys."""
    new: dict[str, set[str]] = {}
    stream_of: dict[str, str] = {}
    for migration in migrations:
        stream_of[migration.path] = migration.stream
        diff = changes.get(repo_prefix + migration.path)
        if diff is not None and diff.status is FileStatus.ADDED and migration.creates:
            new.setdefault(migration.stream, set()).update(migration.creates)
    if not new:
        return findings
    return [
        f
        for f in findings
        if f.existing_table is None
        or f.path not in stream_of
        or f.existing_table not in new.get(stream_of[f.path], ())
    ]


def filter_outcome(outcome: ScanOutcome, changes: ChangeSet, mode: FilterMode) -> None:
    """Narrow a finished scan to the change. Rules saw the whole repository; only what is
    reported (and what decides the exit status) is filtered."""
    result = outcome.result
    prefix = outcome.report_context().repo_prefix
    # Migrations the change adds or edits are checked whatever the timeline says.
    touched = [f for f in result.held_back if prefix + f.path in changes.files]
    if touched:
        result.findings = sorted(
            [*result.findings, *touched], key=lambda f: (f.path, f.line, f.column, f.rule)
        )
        result.held_back = [f for f in result.held_back if prefix + f.path not in changes.files]
        # Imported here: the timeline reads migrations with sqlglot, which `reviewbot github`'s
        # argument parser (built on every run) must not load.
        from reviewbot.scan.timeline import NOTE_PREFIX as TIMELINE_NOTE

        outcome.notes[:] = [n for n in outcome.notes if not n.startswith(TIMELINE_NOTE)]
    result.findings = drop_new_tables(result.findings, result.migrations, changes, prefix)
    total = len(result.findings)
    result.findings = filter_findings(result.findings, changes, mode, prefix)
    result.errors = filter_errors(result.errors, changes, mode, prefix)
    result.summary.counts = recount(result.findings)
    outcome.notes.append(describe_dropped(mode, changes.label, len(result.findings), total))
