"""What a reporter needs beyond the findings: where paths are shown from, colour, the threshold."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from reviewbot.model.findings import Severity


@dataclass(frozen=True, slots=True)
class ReportContext:
    color: bool = False
    # Prefix that turns a scan-root path into a repository path (GitHub, SARIF) or a path the
    # user can click from their working directory (text).
    repo_prefix: str = ""
    display_prefix: str = ""
    # When set (absolute scan root and working directory), text paths are shown relative to the
    # working directory the way ruff does: `orders.py` from inside `app/`, not `../app/orders.py`.
    scan_root: str = ""
    cwd: str = ""
    fail_on: Severity | None = Severity.WARNING
    rule_source: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    # Recommended rules that do not run, with why (rule id, reason).
    rules_off: tuple[tuple[str, str], ...] = ()

    def repo_path(self, path: str) -> str:
        return f"{self.repo_prefix}{path}"

    def display_path(self, path: str) -> str:
        if self.scan_root and self.cwd:
            shown = os.path.relpath(os.path.join(self.scan_root, path), self.cwd)
            return shown.replace(os.sep, "/")
        return f"{self.display_prefix}{path}"
