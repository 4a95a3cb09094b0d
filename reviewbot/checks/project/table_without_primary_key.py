"""table-without-primary-key: a table whose definition, as migrations leave it, has no primary key."""

from __future__ import annotations

from reviewbot.model.registry import ProjectRule
from reviewbot.sql.reporting import report_site
from reviewbot.sql.schema import catalog_of


class TableWithoutPrimaryKey(ProjectRule):
    id = "table-without-primary-key"

    def check(self) -> None:
        for table in catalog_of(self.project).created_tables():
            if table.derived or table.primary_key is not None or table.created is None:
                continue
            report_site(
                self,
                table.created,
                f"Table `{table.name}` has no primary key: rows cannot be addressed reliably, "
                "duplicates creep in, and logical replication cannot replicate updates or "
                "deletes; declare a `PRIMARY KEY` (a surrogate `id` or the natural key).",
            )
