"""Inline suppressions: `# reviewbot: ignore[ids]`, `-- reviewbot: ignore[...]`, `ignore-file[...]`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

DIRECTIVE = re.compile(
    r"(?:#|--)\s*reviewbot:\s*(?P<kind>ignore-file|ignore)\b(?:\[(?P<ids>[^\]]*)\])?",
    re.IGNORECASE,
)
ALL = "*"


@dataclass(frozen=True, slots=True)
class Directive:
    line: int
    column: int
    kind: str
    rules: tuple[str, ...]  # ("*",) for a bare directive


@dataclass(slots=True)
class Suppressions:
    """Directives of one file: which rules are silenced on which line, and for the whole file."""

    by_line: dict[int, set[str]] = field(default_factory=dict)
    whole_file: set[str] = field(default_factory=set)
    directives: list[Directive] = field(default_factory=list)

    def suppresses(self, rule: str, line: int) -> bool:
        if ALL in self.whole_file or rule in self.whole_file:
            return True
        ids = self.by_line.get(line)
        if not ids:
            return False
        return ALL in ids or rule in ids


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
            result.directives.append(Directive(index + 1, match.start() + 1, kind, ids))
            if kind == "ignore-file":
                result.whole_file.update(ids)
                continue
            result.by_line.setdefault(index + 1, set()).update(ids)
            if _is_comment_line(line.strip()):
                # A directive on a comment line of its own covers the next code line (skipping
                # further comment lines, so several directives can stack above one statement).
                target = index + 1
                while target < len(lines) and _is_comment_line(lines[target].strip()):
                    target += 1
                if target < len(lines):
                    result.by_line.setdefault(target + 1, set()).update(ids)
    return result
