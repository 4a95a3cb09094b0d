"""Rule ids bound to their implementations, without the parsers.

`Rule` (the registry entry), `ProjectRule` and `RawFinding` need neither libcst nor sqlglot, so
the scan can run its project rules and read cached outcomes without importing either; the
per-file rule bases (`PythonRule`, `SqlRule`) live in `model.rule`, which re-exports these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from reviewbot.model.catalog import RuleMeta
    from reviewbot.model.findings import Fix

REGISTRY: dict[str, type[Rule]] = {}


@dataclass(slots=True)
class RawFinding:
    """A report before filtering: positions resolved, severity and provenance not yet applied."""

    rule: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    message: str
    suggestion: str | None = None
    redact: tuple[str, ...] = ()
    # The table a finding assumes already holds rows (a lock while an index builds): a change
    # that itself creates the table answers it (see scan/filtering.py).
    existing_table: str | None = None
    fix: Fix | None = None


class Rule:
    """Every rule has a kebab-case `id`; everything a user reads about it is in rules/<id>.yml."""

    id: ClassVar[str] = ""
    meta: ClassVar[RuleMeta]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        rule_id = cls.__dict__.get("id")
        if rule_id:
            if rule_id in REGISTRY and REGISTRY[rule_id] is not cls:
                raise TypeError(f"two implementations of rule {rule_id}")
            REGISTRY[rule_id] = cls

    @classmethod
    def complete_fixes(cls, findings: list[RawFinding], project: Any) -> list[RawFinding]:
        """This rule's findings of the per-file pass, with fixes that need other files added
        from `project.facts` (the engine's `Project`). Called once per scan, after the per-file
        pass (cached outcomes included), for a rule that recorded an `OPEN_FIX_FACT` (value:
        its id) in some file; the edits must use offsets the per-file pass recorded."""
        return findings


class ProjectRule(Rule):
    """Runs once per scan after the per-file pass, over everything the pass collected."""

    def __init__(self, project: Any, options: dict[str, Any]) -> None:
        self.project = project
        self.options = options

    def check(self) -> None:
        raise NotImplementedError

    def report_at(
        self,
        path: str,
        line: int,
        message: str,
        column: int = 1,
        end_line: int | None = None,
        end_column: int | None = None,
        suggestion: str | None = None,
        *,
        fix: Fix | None = None,
    ) -> None:
        self.project.add(
            RawFinding(
                rule=self.id,
                path=path,
                line=line,
                column=column,
                end_line=end_line or line,
                end_column=end_column or column,
                message=message,
                suggestion=suggestion,
                fix=fix,
            )
        )
