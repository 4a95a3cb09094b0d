"""What a reporter needs beyond the findings: where paths are shown from, colour, the threshold."""

from __future__ import annotations

from dataclasses import dataclass, field

from reviewbot.model.findings import Severity


@dataclass(frozen=True, slots=True)
class ReportContext:
    color: bool = False
    # Prefix that turns a scan-root path into a repository path (GitHub, SARIF) or a path the
    # user can click from their working directory (text).
    repo_prefix: str = ""
    display_prefix: str = ""
    fail_on: Severity | None = Severity.WARNING
    rule_source: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    def repo_path(self, path: str) -> str:
        return f"{self.repo_prefix}{path}"

    def display_path(self, path: str) -> str:
        return f"{self.display_prefix}{path}"
