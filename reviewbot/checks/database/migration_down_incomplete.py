"""migration-down-incomplete: a down step that runs but does not give back the schema from before."""

from __future__ import annotations

from reviewbot.database.session import verification_of
from reviewbot.model.registry import ProjectRule


class MigrationDownIncomplete(ProjectRule):
    id = "migration-down-incomplete"

    def check(self) -> None:
        verification = verification_of(self.project)
        if verification is None:
            return
        for item in verification.incomplete:
            unit = item.unit
            step = unit.down[0]
            path, line = step.position()
            shown = "; ".join(item.differences)
            self.report_at(
                path,
                line,
                f"After the down step of {unit.name} the schema is not what it was before the up "
                f"step (+ left behind, - missing, ~ changed): {shown}.",
            )
        for failure in verification.failures:
            if failure.direction != "up again":
                continue
            path, line = failure.step.position()
            self.report_at(
                path,
                line,
                f"{failure.unit.name} cannot be applied again after its down step: "
                f"{failure.message}. The down step leaves something behind that the up step "
                "creates.",
            )
