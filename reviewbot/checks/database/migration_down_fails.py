"""migration-down-fails: a down step that PostgreSQL rejects right after its up step."""

from __future__ import annotations

from reviewbot.database.session import verification_of
from reviewbot.model.registry import ProjectRule


class MigrationDownFails(ProjectRule):
    id = "migration-down-fails"

    def check(self) -> None:
        verification = verification_of(self.project)
        if verification is None:
            return
        for failure in verification.failures:
            if failure.direction != "down":
                continue
            path, line = failure.step.position()
            self.report_at(
                path,
                line,
                f"Rolling back {failure.unit.name} fails right after applying it: "
                f"{failure.message}. The down step cannot undo its own up step.",
            )
