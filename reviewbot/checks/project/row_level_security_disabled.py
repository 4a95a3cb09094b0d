"""row-level-security-disabled: exposed Postgres tables without row level security."""

from __future__ import annotations

from reviewbot.model.registry import ProjectRule
from reviewbot.sql.reporting import report_site
from reviewbot.sql.schema import catalog_of


def is_supabase_project(paths: list[str]) -> bool:
    return any("supabase" in path.split("/")[:-1] for path in paths)


class RowLevelSecurityDisabled(ProjectRule):
    id = "row-level-security-disabled"

    def check(self) -> None:
        documents = self.project.sql_documents
        if self.options.get("require-supabase", True) and not is_supabase_project(
            [d.path for d in documents]
        ):
            return
        exposed = {str(s).lower() for s in self.options.get("exposed-schemas") or ("public",)}
        catalog = catalog_of(self.project)
        for table in catalog.created_tables():
            if table.dialect != "postgres" or table.schema not in exposed or table.rls:
                continue
            assert table.created is not None
            report_site(
                self,
                table.created,
                f"Table `{table.name}` is in the exposed schema `{table.schema}` but no migration "
                "enables row level security on it, so any client with the public API key can "
                f"read and write every row; add `ALTER TABLE {table.name} ENABLE ROW LEVEL "
                "SECURITY` and policies.",
            )
        for change in catalog.rls_changes:
            schema = change.table.rsplit(".", 1)[0] if "." in change.table else ""
            if change.enabled or change.document.dialect != "postgres" or schema not in exposed:
                continue
            report_site(
                self,
                change.site,
                "`DISABLE ROW LEVEL SECURITY` opens every row of this exposed table to any "
                "client; keep row level security on and write policies for the access needed.",
            )
