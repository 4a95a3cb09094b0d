"""Inline suppressions: `# reviewbot: ignore[ids]`, `-- reviewbot: ignore[...]`, `ignore-file[...]`,
each optionally followed by a reason: `# reviewbot: ignore[sql-injection] -- ids are ints`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

DIRECTIVE = re.compile(
    r"(?:#|--)\s*reviewbot:\s*(?P<kind>ignore-file|ignore)\b(?:\[(?P<ids>[^\]]*)\])?",
    re.IGNORECASE,
)
# ` -- why` (or an em dash) right after the directive; the reason runs to the end of the line.
REASON = re.compile(r"\s*(?:--|\u2014)\s*(?P<reason>\S.*?)\s*$")
ALL = "*"


@dataclass(frozen=True, slots=True)
class Directive:
    line: int
    column: int
    kind: str
    rules: tuple[str, ...]  # ("*",) for a bare directive
    reason: str = ""

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "line": self.line, "reason": self.reason or None}


@dataclass(slots=True)
class Suppressions:
    """Directives of one file: which rules are silenced on which line, and for the whole file."""

    by_line: dict[int, list[Directive]] = field(default_factory=dict)
    whole_file: list[Directive] = field(default_factory=list)
    directives: list[Directive] = field(default_factory=list)

    def suppresses(self, rule: str, line: int) -> bool:
        return self.directive_for(rule, line) is not None

    def directive_for(self, rule: str, line: int) -> Directive | None:
        """The directive that silences `rule` on `line` (a line's own before a file's), or None."""
        for directive in (*self.by_line.get(line, ()), *self.whole_file):
            if ALL in directive.rules or rule in directive.rules:
                return directive
        return None


def _is_comment_line(stripped: str) -> bool:
    return stripped.startswith("#") or stripped.startswith("--")


def parse_suppressions(text: str) -> Suppressions:
    result = Suppressions()
    if "reviewbot" not in text:
        return result
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if "reviewbot" not in line:
            continue
        for match in DIRECTIVE.finditer(line):
            raw_ids = match.group("ids")
            ids = (
                tuple(i.strip() for i in raw_ids.split(",") if i.strip())
                if raw_ids is not None
                else (ALL,)
            )
            kind = match.group("kind").lower()
            reason = REASON.match(line, match.end())
            directive = Directive(
                index + 1, match.start() + 1, kind, ids, reason.group("reason") if reason else ""
            )
            result.directives.append(directive)
            if kind == "ignore-file":
                result.whole_file.append(directive)
                continue
            result.by_line.setdefault(index + 1, []).append(directive)
            if _is_comment_line(line.strip()):
                # A directive on a comment line of its own covers the next code line (skipping
                # further comment lines, so several directives can stack above one statement).
                target = index + 1
                while target < len(lines) and _is_comment_line(lines[target].strip()):
                    target += 1
                if target < len(lines):
                    result.by_line.setdefault(target + 1, []).append(directive)
    return result
