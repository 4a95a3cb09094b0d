"""timestamp-without-time-zone: Postgres columns declared `timestamp` (without time zone)."""

from __future__ import annotations

from sqlglot import exp

from reviewbot.model.registry import ProjectRule
from reviewbot.sql.migrations import is_synthesized
from reviewbot.sql.reporting import report_site
from reviewbot.sql.schema import Column, catalog_of


def is_naive_timestamp(dtype: exp.DataType | None) -> bool:
    """`timestamp`, and arrays of it (`timestamp[]`)."""
    while isinstance(dtype, exp.DataType) and dtype.this == exp.DataType.Type.ARRAY:
        inner = dtype.expressions[0] if dtype.expressions else None
        dtype = inner if isinstance(inner, exp.DataType) else None
    return isinstance(dtype, exp.DataType) and dtype.this == exp.DataType.Type.TIMESTAMP


class TimestampWithoutTimeZone(ProjectRule):
    """Judges the schema as it stands: each column once, where its type was last set, and not
    at all when a later migration made it `timestamptz`."""

    id = "timestamp-without-time-zone"

    def check(self) -> None:
        for table in catalog_of(self.project).tables.values():
            # Only Postgres: MySQL's TIMESTAMP is stored in UTC, SQLite has no timestamp type.
            if table.dialect != "postgres":
                continue
            # Columns one migration defines together (`created_at`, `updated_at`) are one
            # comment on that migration, not one each; a diff still sees its own columns.
            groups: dict[str, list[Column]] = {}
            for column in table.columns.values():
                if column.document is not None and is_naive_timestamp(column.dtype):
                    groups.setdefault(column.site.path, []).append(column)
            for columns in groups.values():
                columns.sort(key=lambda c: (c.site.line, c.site.column))
                self._report(table.name, columns)

    def _report(self, table: str, columns: list[Column]) -> None:
        first = columns[0]
        assert first.document is not None
        fix = (
            "use `sa.DateTime(timezone=True)`"
            if is_synthesized(first.document) == "alembic"
            else "use `timestamptz` (`timestamp with time zone`)"
        )
        if len(columns) == 1:
            what = f"`{first.name}` of `{table}` is a `timestamp` without time zone"
        else:
            names = ", ".join(f"`{c.name}`" for c in columns)
            what = f"{names} of `{table}` are `timestamp` without time zone"
        report_site(
            self,
            first.type_site or first.site,
            f"{what}: wall-clock time with no offset, so values written from different time "
            f"zones cannot be compared; {fix}.",
        )
