"""invalid-suppression: `reviewbot: ignore[...]` directives naming rules that do not exist."""

from __future__ import annotations

from reviewbot.model.catalog import load_catalog
from reviewbot.model.registry import ProjectRule
from reviewbot.scan.suppressions import ALL
from reviewbot.workspace.config import closest


class InvalidSuppression(ProjectRule):
    id = "invalid-suppression"

    def check(self) -> None:
        known = load_catalog()
        require_reason = bool(self.options.get("require-reason"))
        for path, suppressions in sorted(self.project.suppressions.items()):
            for directive in suppressions.directives:
                if require_reason and not directive.reason:
                    self.report_at(
                        path,
                        directive.line,
                        f"`reviewbot: {directive.kind}` gives no reason; say why the code is safe "
                        f"after it: `# reviewbot: {directive.kind}[rule] -- why` "
                        "(`require-reason` is on).",
                        column=directive.column,
                    )
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
