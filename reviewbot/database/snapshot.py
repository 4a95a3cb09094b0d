"""The schema as PostgreSQL's system catalogs describe it, and a readable difference of two.

A snapshot maps each object (`table orders`, `column orders.status`, `index orders_status_idx`,
...) to its definition as the server prints it (`format_type`, `pg_get_constraintdef`,
`pg_get_indexdef`, ...), so two snapshots compare as plain dictionaries and a difference reads
like the DDL that would close it. Object identities use names, never OIDs: a down step that drops
and recreates a table gives back an equal snapshot.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

_USER_SCHEMAS = (
    "n.nspname NOT IN ('pg_catalog', 'information_schema') "
    "AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'"
)

# (kind, query returning (name, definition) rows). Names are schema-qualified outside `public`.
_QUERIES: tuple[tuple[str, str], ...] = (
    (
        "schema",
        f"SELECT n.nspname, '' FROM pg_namespace n WHERE {_USER_SCHEMAS} AND n.nspname <> 'public'",
    ),
    (
        "extension",
        "SELECT extname, extversion FROM pg_extension WHERE extname <> 'plpgsql'",
    ),
    (
        "table",
        "SELECT format('%s', c.oid::regclass), "
        "CASE c.relkind WHEN 'p' THEN 'partitioned table' ELSE 'table' END "
        "|| CASE WHEN c.relrowsecurity THEN ', row level security' ELSE '' END "
        "|| CASE WHEN c.relforcerowsecurity THEN ' (forced)' ELSE '' END "
        "|| coalesce(', comment ' || quote_literal(obj_description(c.oid, 'pg_class')), '') "
        f"FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        f"WHERE c.relkind IN ('r', 'p') AND {_USER_SCHEMAS}",
    ),
    (
        "view",
        "SELECT format('%s', c.oid::regclass), "
        "CASE c.relkind WHEN 'm' THEN 'materialized ' ELSE '' END || pg_get_viewdef(c.oid) "
        f"FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        f"WHERE c.relkind IN ('v', 'm') AND {_USER_SCHEMAS}",
    ),
    (
        "column",
        "SELECT format('%s.%s', c.oid::regclass, quote_ident(a.attname)), "
        "format_type(a.atttypid, a.atttypmod) "
        "|| CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END "
        "|| coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '') "
        "|| CASE WHEN a.attidentity <> '' THEN ' IDENTITY' ELSE '' END "
        "|| CASE WHEN a.attgenerated <> '' THEN ' GENERATED' ELSE '' END "
        "|| coalesce(' COMMENT ' || quote_literal(col_description(c.oid, a.attnum)), '') "
        "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
        f"WHERE c.relkind IN ('r', 'p', 'v', 'm') AND a.attnum > 0 AND NOT a.attisdropped "
        f"AND {_USER_SCHEMAS}",
    ),
    (
        "constraint",
        "SELECT format('%s %s', con.conrelid::regclass, quote_ident(con.conname)), "
        "regexp_replace(pg_get_constraintdef(con.oid), ' NOT VALID$', '') "
        "FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace "
        f"WHERE con.conrelid <> 0 AND {_USER_SCHEMAS}",
    ),
    (
        "index",
        "SELECT format('%s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid) "
        "|| CASE WHEN NOT i.indisvalid THEN ' (invalid)' ELSE '' END "
        "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        f"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {_USER_SCHEMAS}",
    ),
    (
        "sequence",
        "SELECT format('%s', c.oid::regclass), "
        "format_type(s.seqtypid, NULL) || ' increment ' || s.seqincrement "
        "|| ' start ' || s.seqstart "
        "FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid "
        f"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {_USER_SCHEMAS}",
    ),
    (
        "type",
        "SELECT format('%s', t.oid::regtype), "
        "CASE t.typtype WHEN 'e' THEN 'enum (' || (SELECT string_agg(quote_literal(e.enumlabel), "
        "', ' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) || ')' "
        "WHEN 'd' THEN 'domain ' || format_type(t.typbasetype, t.typtypmod) "
        "ELSE 'composite' END "
        "FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
        "LEFT JOIN pg_class c ON c.oid = t.typrelid "
        f"WHERE (t.typtype IN ('e', 'd') OR (t.typtype = 'c' AND c.relkind = 'c')) "
        f"AND {_USER_SCHEMAS}",
    ),
    (
        "policy",
        "SELECT format('%s %s', p.polrelid::regclass, quote_ident(p.polname)), "
        "p.polcmd::text || ' ' || CASE WHEN p.polpermissive THEN 'permissive' ELSE 'restrictive' END "
        "|| coalesce(' USING ' || pg_get_expr(p.polqual, p.polrelid), '') "
        "|| coalesce(' WITH CHECK ' || pg_get_expr(p.polwithcheck, p.polrelid), '') "
        "FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid "
        f"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {_USER_SCHEMAS}",
    ),
    (
        "function",
        "SELECT format('%s(%s)', p.oid::regproc, pg_get_function_identity_arguments(p.oid)), "
        "pg_get_functiondef(p.oid) "
        "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        f"WHERE p.prokind IN ('f', 'p') AND {_USER_SCHEMAS} "
        "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')",
    ),
    (
        "trigger",
        "SELECT format('%s %s', t.tgrelid::regclass, quote_ident(t.tgname)), "
        "pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        f"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT t.tgisinternal AND {_USER_SCHEMAS}",
    ),
)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Every user object of a database: `kind name` -> definition."""

    objects: dict[str, str]

    def tables(self) -> set[str]:
        return {key.split(" ", 1)[1] for key in self.objects if key.startswith("table ")}


# A function restored with its body re-typed (`(a - b) >= (c)` for `a - b >= c`, other
# indentation, a comment more or less) behaves the same: bodies compare without comments,
# whitespace and parentheses.
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
_BODY_NOISE = re.compile(r"[\s()]+")


def _function(definition: str) -> str:
    body = _BODY_NOISE.sub("", _COMMENTS.sub("", definition))
    return "body " + hashlib.sha256(body.encode()).hexdigest()[:12]


def take(connection: Any) -> Snapshot:
    objects: dict[str, str] = {}
    for kind, query in _QUERIES:
        for name, definition in connection.execute(query).fetchall():
            text = str(definition)
            objects[f"{kind} {name}"] = _function(text) if kind == "function" else text
    return Snapshot(objects)


_ENUM = re.compile(r"^enum \((.*)\)$")


def _labels_added(before: str, after: str) -> bool:
    """An enum that only gained labels: PostgreSQL cannot drop a label, so a down step leaves
    it (the up step must then add it with `IF NOT EXISTS`, which the re-run proves)."""
    old, new = _ENUM.match(before), _ENUM.match(after)
    return bool(old and new and new.group(1).startswith(old.group(1)))


def difference(expected: Snapshot, actual: Snapshot, limit: int = 12) -> list[str]:
    """What `actual` has that `expected` does not (`+`), lacks (`-`) or defines otherwise (`~`).

    Not counted: whether a constraint was validated (`NOT VALID` then `VALIDATE` is a way of
    adding it, not a different schema) and enum labels a down step could not drop."""
    lines: list[str] = []
    for key in sorted(set(expected.objects) | set(actual.objects)):
        before, after = expected.objects.get(key), actual.objects.get(key)
        if before == after:
            continue
        if before is not None and after is not None and _labels_added(before, after):
            continue
        if before is None:
            lines.append(f"+ {key}: {after}".rstrip(": "))
        elif after is None:
            lines.append(f"- {key}: {before}".rstrip(": "))
        else:
            lines.append(f"~ {key}: {before} -> {after}")
    if len(lines) > limit:
        lines = [*lines[:limit], f"... and {len(lines) - limit} more"]
    return lines
