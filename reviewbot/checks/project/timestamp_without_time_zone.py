"""timestamp-without-time-zone: Postgres columns declared `timestamp` (without time zone)."""

from __future__ import annotations

from sqlglot import exp

from reviewbot.model.findings import Fix
from reviewbot.model.registry import ProjectRule
from reviewbot.sql.fixes import timestamptz_fix
from reviewbot.sql.migrations import is_synthesized
from reviewbot.sql.reporting import report_site
from reviewbot.sql.schema import Column, Table, catalog_of


def is_naive_timestamp(dtype: exp.DataType | None) -> bool:
    """`timestamp`, and arrays of it (`timestamp[]`)."""
    while isinstance(dtype, exp.DataType) and dtype.this == exp.DataType.Type.ARRAY:
        inner = dtype.expressions[0] if dtype.expressions else None
        dtype = inner if isinstance(inner, exp.DataType) else None
    return isinstance(dtype, exp.DataType) and dtype.this == exp.DataType.Type.TIMESTAMP


def is_aware_timestamp(dtype: exp.DataType | None) -> bool:
    return isinstance(dtype, exp.DataType) and dtype.this in (
        exp.DataType.Type.TIMESTAMPTZ,
        exp.DataType.Type.TIMESTAMPLTZ,
    )


# A schema whose applied migrations define at least this many naive timestamp groups (a table's
# columns one migration defines), and mostly naive ones, has naive timestamps as its convention.
CONVENTION_GROUPS = 6
CONVENTION_SHARE = 0.75


def _is_convention(applied: list[tuple[Table, list[Column]]], aware: int) -> bool:
    naive = sum(len(columns) for _, columns in applied)
    return len(applied) >= CONVENTION_GROUPS and naive >= CONVENTION_SHARE * (naive + aware)


class TimestampWithoutTimeZone(ProjectRule):
    """Judges the schema as it stands: each column once, where its type was last set, and not
    at all when a later migration made it `timestamptz`."""

    id = "timestamp-without-time-zone"

    def check(self) -> None:
        groups: list[tuple[Table, list[Column]]] = []
        aware = 0
        for table in catalog_of(self.project).tables.values():
            # Only Postgres: MySQL's TIMESTAMP is stored in UTC, SQLite has no timestamp type.
            if table.dialect != "postgres":
                continue
            # Columns one migration defines together (`created_at`, `updated_at`) are one
            # comment on that migration, not one each; a diff still sees its own columns.
            by_path: dict[str, list[Column]] = {}
            for column in table.columns.values():
                if column.document is not None and is_naive_timestamp(column.dtype):
                    by_path.setdefault(column.site.path, []).append(column)
                elif column.document is not None and is_aware_timestamp(column.dtype):
                    aware += 1
            for columns in by_path.values():
                columns.sort(key=lambda c: (c.site.line, c.site.column))
                groups.append((table, columns))
        history = self.project.history
        applied = [g for g in groups if g[1][0].site.path in history]
        if _is_convention(applied, aware):
            # A mature schema that stores naive timestamps everywhere: one comment on the
            # convention, not one per table; columns that are not history yet are still each
            # worth one (a pull request adding one gets its comment).
            self._report_convention(applied, sum(len(c) for _, c in groups) + aware)
            groups = [g for g in groups if g[1][0].site.path not in history]
        for table, columns in groups:
            self._report(table, columns)

    def _report_convention(self, applied: list[tuple[Table, list[Column]]], total: int) -> None:
        applied.sort(key=lambda g: (g[1][0].site.path, g[1][0].site.line))
        naive = sum(len(columns) for _, columns in applied)
        tables = sorted({table.name for table, _ in applied})
        examples = ", ".join(f"`{t.name}.{columns[0].name}`" for t, columns in applied[:3])
        first = applied[0][1][0]
        assert first.document is not None
        fix = (
            "`sa.DateTime(timezone=True)`"
            if is_synthesized(first.document) == "alembic"
            else "`timestamptz`"
        )
        report_site(
            self,
            first.type_site or first.site,
            f"Naive timestamps are this schema's convention: applied migrations define {naive} "
            f"of its {total} timestamp columns, in {len(tables)} tables ({examples}, ...), as "
            "`timestamp` without time zone. If the application writes UTC everywhere, say so "
            "once by suppressing this finding; if not, values from different time zones cannot "
            f"be compared: move them to {fix}. New naive columns are still reported one by one.",
        )

    def _report(self, schema_table: Table, columns: list[Column]) -> None:
        table = schema_table.name
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
            fix=_fix_all(schema_table, columns),
        )


def _fix_all(table: Table, columns: list[Column]) -> Fix | None:
    """One fix for the columns of one finding, only when each of them can be fixed (a column of
    a table that already exists keeps its finding and gets no fix)."""
    fixes = [timestamptz_fix(table, column) for column in columns]
    if not fixes or any(f is None for f in fixes):
        return None
    edits = tuple(edit for f in fixes if f is not None for edit in f.edits)
    return Fix("Use timestamptz", edits, safe=all(f.safe for f in fixes if f is not None))
