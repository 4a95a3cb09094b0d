"""Plain data shared by every stage: severities, findings, scan errors and checklist references."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import asdict, dataclass, field, replace
from typing import Any

# What a secret in a finding's snippet is replaced with (the scan redacts, reporters check).
REDACTED = "****"


class Severity(enum.IntEnum):
    """Ordered so that `severity >= threshold` reads naturally."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str) -> Severity:
        return cls[value.upper()]


@dataclass(frozen=True, slots=True)
class ChecklistRef:
    """One checklist item of an agent document that a finding enforces."""

    agent: str
    path: str
    line: int
    text: str
    section: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# Code lines longer than this are shown as a window of it (minified or generated code, a 5 MB
# line): the window starts SNIPPET_CONTEXT characters before the finding, marked with CLIP.
SNIPPET_LINE = 400
SNIPPET_CONTEXT = 80
CLIP = "\u2026"


def snippet_window(column: int) -> int:
    """Where (0-based) the window of a clipped finding's first line starts in the real line."""
    return max(0, column - 1 - SNIPPET_CONTEXT)


def clip_snippet(lines: list[str], column: int) -> tuple[list[str], bool]:
    """Lines as a snippet shows them, and whether any was too long and clipped.

    When clipping, the first line is always the window from `snippet_window(column)` (so a
    reader can place the column in it), the others their first SNIPPET_LINE characters.
    """
    if all(len(line) <= SNIPPET_LINE for line in lines):
        return lines, False
    out = []
    for index, line in enumerate(lines):
        start = snippet_window(column) if index == 0 else 0
        end = start + SNIPPET_LINE
        out.append((CLIP if start else "") + line[start:end] + (CLIP if end < len(line) else ""))
    return out, True


@dataclass(frozen=True, slots=True)
class Edit:
    """One replacement in one file: `text` replaces `[start, end)` of the file's decoded text.

    `path` is posix and relative to the scan root, as `Finding.path`; a path that does not
    exist means "create this file" (start == end == 0). Offsets are 0-based `str` indices into
    the text the scan read; `start == end` inserts.
    """

    path: str
    start: int
    end: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True, slots=True)
class Fix:
    """A finding's proposed change: edits applied together or not at all.

    `safe`: the program means the same with the edits, only the defect goes, so `scan --fix`
    applies it; an unsafe fix is a judgement call (a timeout value, a changed behaviour) and is
    applied only with `--unsafe-fixes`.
    """

    title: str
    edits: tuple[Edit, ...]
    safe: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "safe": self.safe,
            "edits": [edit.to_dict() for edit in self.edits],
        }


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule violation. Positions are 1-based; `path` is posix and relative to the scan root.

    `snippet` holds the flagged lines; `snippet_clipped` says they were too long and are shown
    as windows (see `clip_snippet`), so they are not the file's text.
    """

    rule: str
    severity: Severity
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    message: str
    snippet: str = ""
    suggestion: str | None = None
    checklist: tuple[ChecklistRef, ...] = ()
    fingerprint: str = ""
    snippet_clipped: bool = False
    # For a finding an inline directive silenced (JSON `suppressed`, SARIF `suppressions`):
    # {"kind": "ignore" | "ignore-file", "line": N, "reason": "..." or None}.
    suppression: dict[str, Any] | None = None
    fix: Fix | None = None
    # The fix as a unified diff of the files it changes, for reviewers (PR comments); the scan
    # fills it, as it fills `suggestion` when the fix touches only the finding's own lines.
    fix_diff: str = ""

    def with_fingerprint(self, occurrence: int) -> Finding:
        """Fingerprint from rule, path and the flagged code's text, never its line number."""
        code = " ".join(self.snippet.split())
        digest = hashlib.sha256(
            f"{self.rule}\x00{self.path}\x00{code}\x00{occurrence}".encode()
        ).hexdigest()
        return replace(self, fingerprint=digest[:32])

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity.label,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "message": self.message,
            "suggestion": self.suggestion,
            "fix": self.fix.to_dict() if self.fix is not None else None,
            "fingerprint": self.fingerprint,
            "checklist": [ref.to_dict() for ref in self.checklist],
            **({"suppression": dict(self.suppression)} if self.suppression is not None else {}),
        }


class ErrorKind(enum.StrEnum):
    PARSE_ERROR = "parse-error"
    DECODE_ERROR = "decode-error"
    BINARY_FILE = "binary-file"
    READ_ERROR = "read-error"
    TOO_LARGE = "too-large"
    RULE_CRASH = "rule-crash"
    TIMEOUT = "timeout"
    AGENT_DOCUMENT = "agent-document"


@dataclass(frozen=True, slots=True)
class ScanError:
    """Something that could not be scanned; the scan goes on without it."""

    kind: ErrorKind
    path: str
    message: str
    line: int | None = None
    column: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind),
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class AgentSource:
    """An agent document named under `agents:` and the rules its checklist items opt in."""

    agent: str
    path: str
    items: int
    enforced: int
    rules: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent": self.agent,
            "path": self.path,
            "items": self.items,
            "enforced": self.enforced,
            "rules": list(self.rules),
        }


@dataclass(slots=True)
class ScanSummary:
    files_scanned: int = 0
    python_files: int = 0
    sql_files: int = 0
    rules_enabled: tuple[str, ...] = ()
    rule_source: str = ""
    suppressed: int = 0
    # Of `suppressed`: findings a rule withheld for a Bandit/Ruff code on the line (nosec or
    # a Ruff code such as S608); they have no record, only this count.
    foreign_suppressed: int = 0
    baselined: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    agents: tuple[AgentSource, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "files_scanned": self.files_scanned,
            "python_files": self.python_files,
            "sql_files": self.sql_files,
            "rules_enabled": list(self.rules_enabled),
            "rule_source": self.rule_source,
            "suppressed": self.suppressed,
            "foreign_suppressed": self.foreign_suppressed,
            "baselined": self.baselined,
            "counts": dict(sorted(self.counts.items())),
            "agents": [a.to_dict() for a in self.agents],
        }
