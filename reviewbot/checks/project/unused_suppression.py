"""unused-suppression: `reviewbot: ignore[...]` directives that silenced nothing (Ruff's RUF100)."""

from __future__ import annotations

from reviewbot.model.catalog import load_catalog
from reviewbot.model.registry import ProjectRule
from reviewbot.scan.suppressions import ALL


class UnusedSuppression(ProjectRule):
    """Runs after every other rule (engine.LATE_RULES), reading `project.used_directives`."""

    id = "unused-suppression"

    def check(self) -> None:
        known = load_catalog()
        enabled = self.project.enabled
        used = self.project.used_directives
        for path, suppressions in sorted(self.project.suppressions.items()):
            for directive in suppressions.directives:
                if (path, directive.line, directive.column) in used:
                    continue
                named = [r for r in directive.rules if r != ALL]
                if any(r not in known for r in named):
                    continue  # invalid-suppression reports it
                if any(r not in enabled for r in named):
                    continue  # a rule that did not run cannot prove the directive stale
                what = f"[{', '.join(named)}]" if named else " (every rule)"
                self.report_at(
                    path,
                    directive.line,
                    f"`reviewbot: {directive.kind}{what}` suppresses no finding; delete it "
                    "(or narrow it to the rule that still reports here).",
                    column=directive.column,
                )
