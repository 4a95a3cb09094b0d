"""table-without-comment: a table that no `COMMENT ON TABLE` (or table comment option) describes."""

from __future__ import annotations

from reviewbot.model.registry import ProjectRule
from reviewbot.sql.reporting import report_site
from reviewbot.sql.schema import catalog_of


class TableWithoutComment(ProjectRule):
    id = "table-without-comment"

    def check(self) -> None:
        for table in catalog_of(self.project).created_tables():
            if table.derived or table.comment or table.created is None:
                continue
            report_site(
                self,
                table.created,
                f"Table `{table.name}` has no comment; add `COMMENT ON TABLE {table.name} IS "
                "'...'` saying what a row represents, so the schema documents itself.",
            )
