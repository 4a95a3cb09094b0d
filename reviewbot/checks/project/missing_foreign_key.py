"""missing-foreign-key: a `<table>_id` column of an existing table's key type with no foreign key."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from reviewbot.model.rule import ProjectRule
from reviewbot.sql.names import display
from reviewbot.sql.reporting import report_site
from reviewbot.sql.schema import Catalog, Column, Table, catalog_of

T = exp.DataType.Type
# Types that store the same values: a `serial` key is an `integer` column.
SAME_STORAGE = {
    T.SERIAL: T.INT,
    T.BIGSERIAL: T.BIGINT,
    T.SMALLSERIAL: T.SMALLINT,
    T.MEDIUMINT: T.INT,
    T.NVARCHAR: T.VARCHAR,
    T.NCHAR: T.CHAR,
}
SUFFIX = "_id"


def stored_as(dtype: exp.DataType) -> object:
    kind = dtype.this
    return SAME_STORAGE.get(kind, kind)


def plural_forms(stem: str) -> Iterator[str]:
    """The names a table holding `<stem>` rows is usually given: `user`, `users`, `categories`."""
    yield stem
    yield stem + "s"
    if stem.endswith(("s", "x", "ch", "sh")):
        yield stem + "es"
    if stem.endswith("y") and len(stem) > 1 and stem[-2] not in "aeiou":
        yield stem[:-1] + "ies"


def referenced_table(catalog: Catalog, table: Table, column: str) -> Table | None:
    """The table `<stem>_id` names, in the same schema, when the catalog created it."""
    stem = column[: -len(SUFFIX)]
    if not stem or stem.endswith("_"):
        return None
    prefix = f"{table.schema}." if table.schema else ""
    for name in plural_forms(stem):
        target = catalog.known(prefix + name)
        if target is not None:
            return target
    return None


def key_column(table: Table) -> Column | None:
    """The table's one-column primary key, when it has one and its type is known."""
    primary = table.primary_key
    if primary is None or len(primary.columns) != 1 or primary.columns[0] is None:
        return None
    column = table.columns.get(primary.columns[0])
    return column if column is not None and column.dtype is not None else None


class MissingForeignKey(ProjectRule):
    """Judges the schema as the migrations leave it: a key added in a later migration counts."""

    id = "missing-foreign-key"

    def check(self) -> None:
        catalog = catalog_of(self.project)
        # A schema without a single foreign key leaves references to the application on
        # purpose (Prisma's `relationMode = "prisma"`, Vitess, sharded stores): a policy, not a
        # forgotten constraint; the team that wants them hears it from the agent document.
        if not any(table.foreign_keys for table in catalog.tables.values()):
            return
        for table in catalog.created_tables():
            if table.derived:
                continue
            constrained = {c for f in table.foreign_keys for c in f.columns}
            for column in table.columns.values():
                if (
                    not column.name.endswith(SUFFIX)
                    or column.name in constrained
                    or column.dtype is None
                ):
                    continue
                target = referenced_table(catalog, table, column.name)
                if target is None or target.key == table.key:
                    continue
                key = key_column(target)
                if key is None or key.dtype is None:
                    continue
                if stored_as(key.dtype) != stored_as(column.dtype):
                    continue
                parent = display(target.key)
                type_sql = column.dtype.sql()
                report_site(
                    self,
                    column.site,
                    f"`{table.name}.{column.name}` ({type_sql}) holds `{parent}.{key.name}` "
                    f"values but has no foreign key: nothing stops rows pointing at a `{parent}` "
                    "row that was deleted or never existed. Add `REFERENCES "
                    f"{parent} ({key.name})` (on a filled table: `ALTER TABLE {table.name} ADD "
                    f"FOREIGN KEY ({column.name}) REFERENCES {parent} ({key.name}) NOT VALID`, "
                    "then `VALIDATE CONSTRAINT`), or suppress it where the link is loose on "
                    "purpose (history kept after the parent is deleted, another database).",
                )
