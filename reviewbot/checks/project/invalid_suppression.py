"""invalid-suppression: `reviewbot: ignore[...]` directives naming rules that do not exist."""

from __future__ import annotations

from reviewbot.model.catalog import load_catalog
from reviewbot.model.rule import ProjectRule
from reviewbot.scan.suppressions import ALL
from reviewbot.workspace.config import closest


class InvalidSuppression(ProjectRule):
    id = "invalid-suppression"

    def check(self) -> None:
        known = load_catalog()
        for path, suppressions in sorted(self.project.suppressions.items()):
            for directive in suppressions.directives:
                for rule_id in directive.rules:
                    if rule_id == ALL or rule_id in known:
                        continue
                    self.report_at(
                        path,
                        directive.line,
                        f"`reviewbot: {directive.kind}` names unknown rule `{rule_id}`"
                        f"{closest(rule_id, list(known))}; it suppresses nothing. "
                        "`reviewbot rules` lists the ids.",
                        column=directive.column,
                    )
