"""foreign-key-without-index: foreign key columns that no index has as its leading columns."""

from __future__ import annotations

from reviewbot.model.registry import ProjectRule
from reviewbot.sql.migrations import is_synthesized
from reviewbot.sql.names import display
from reviewbot.sql.reporting import report_site
from reviewbot.sql.schema import catalog_of


class ForeignKeyWithoutIndex(ProjectRule):
    id = "foreign-key-without-index"

    def check(self) -> None:
        catalog = catalog_of(self.project)
        for table in catalog.created_tables():
            if table.derived:
                continue
            for foreign_key in table.foreign_keys:
                # MySQL (InnoDB) creates an index for every foreign key by itself.
                if foreign_key.dialect == "mysql":
                    continue
                if table.index_covering(foreign_key.columns) is not None:
                    continue
                columns = ", ".join(foreign_key.columns)
                target = display(foreign_key.ref_table) if foreign_key.ref_table else "its parent"
                if is_synthesized(foreign_key.document) == "alembic":
                    fix = (
                        f'add `op.create_index(..., "{table.name}", '
                        f"[{', '.join(repr(c) for c in foreign_key.columns)}])`"
                    )
                else:
                    fix = f"add `CREATE INDEX ON {table.name} ({columns})`"
                report_site(
                    self,
                    foreign_key.site,
                    f"Foreign key `{table.name}({columns})` -> `{target}` has no index starting "
                    f"with `{columns}`: every delete or key update in `{target}` scans "
                    f"`{table.name}`, and joins from `{target}` cannot use an index; {fix}.",
                )
