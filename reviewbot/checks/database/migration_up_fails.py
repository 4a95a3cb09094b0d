"""migration-up-fails: a migration's up step that PostgreSQL rejects."""

from __future__ import annotations

from reviewbot.database.session import verification_of
from reviewbot.model.registry import ProjectRule


class MigrationUpFails(ProjectRule):
    id = "migration-up-fails"

    def check(self) -> None:
        verification = verification_of(self.project)
        if verification is None:
            return
        for failure in verification.failures:
            if failure.direction != "up":
                continue
            path, line = failure.step.position()
            rows = (
                " The tables that existed before it held a few rows, as they do in production."
                if failure.seeded
                else ""
            )
            self.report_at(
                path,
                line,
                f"PostgreSQL rejects this statement of {failure.unit.name}: {failure.message}. "
                f"The migration cannot be applied (nor any after it in its folder).{rows}",
            )
