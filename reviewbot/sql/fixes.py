"""Fixes for the SQL rules, as edits: generated down migrations, CONCURRENTLY, column types.

Rules call these and attach what they return to their finding; nothing here writes a file.

- A generated down migration is **safe** when every up statement has an exact inverse; when some
  need writing by hand (a `TODO:` comment stands for each) it is **unsafe**: the file it writes
  runs, but undoes only part of the migration until someone finishes it. With no exact inverse
  at all there is no fix (a file of to-dos would only hide the finding).
- `CONCURRENTLY` is added only where the statement will not run in a transaction: a one-statement
  golang-migrate file (Postgres runs a multi-statement file as one implicit transaction) or a
  file its tool already runs outside one; for Alembic the operation moves into
  `op.get_context().autocommit_block()`, which commits what ran before it, so that fix is unsafe
  unless the index is all the revision does.
- `timestamptz` and `numeric(12, 2)` replace a column's type only in the `CREATE TABLE` of a table
  the same migration (or schema file) creates: no rows hold the old type yet. `timestamptz` is
  safe there in SQL, unsafe in an Alembic revision (the model declaring the column is not
  changed with it); `numeric(12, 2)` is unsafe, since the precision and scale are a guess.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Callable
from pathlib import PurePosixPath

from sqlglot import exp

from reviewbot.model.findings import Edit, Fix
from reviewbot.sql.inverse import DownMigration, PriorType, invert
from reviewbot.sql.migrations import Migration, Role, migration_of, role_of
from reviewbot.sql.schema import Catalog, Column, Site, Table
from reviewbot.sql.source import SqlDocument, SqlStatement
from reviewbot.workspace.sources import SourceFile

DOWN_MARKERS = {
    "dbmate": "-- migrate:down",
    "goose": "-- +goose Down",
    "sql-migrate": "-- +migrate Down",
}


# -- generated down migrations ----------------------------------------------------------------


def prior_types(catalog: Catalog, document: SqlDocument) -> PriorType:
    """The type a column had before a statement of `document` changed it, as the catalog replayed
    it (None when no migration before it stated the type)."""
    known = {
        (id(change.statement), change.column): change.old
        for change in catalog.type_changes
        if change.document is document
    }

    def lookup(statement: SqlStatement, column: str) -> exp.DataType | None:
        return known.get((id(statement), column))

    return lookup


def up_statements(document: SqlDocument) -> list[SqlStatement]:
    return [s for s in document.statements if role_of(document, s) == Role.UP]


def down_of(document: SqlDocument, prior: PriorType | None = None) -> DownMigration:
    return invert(up_statements(document), document.dialect, prior)


def _fix_of(down: DownMigration, edits: tuple[Edit, ...], where: str) -> Fix | None:
    if down.exact == 0:
        return None
    if down.complete:
        return Fix(f"Write the generated down migration ({where})", edits, safe=True)
    return Fix(
        f"Write the generated down migration ({where}); {down.stubs} statement(s) marked TODO "
        "must be undone by hand",
        edits,
        safe=False,
    )


def _append(path: str, text: str, addition: str) -> Edit:
    """`addition` at the end of `text`, on a line of its own."""
    lead = "" if not text or text.endswith("\n") else "\n"
    return Edit(path, len(text), len(text), lead + addition)


def section_down_fix(
    document: SqlDocument, migration: Migration, prior: PriorType | None = None
) -> Fix | None:
    """dbmate / goose / sql-migrate: the down section, added or filled."""
    marker = DOWN_MARKERS.get(migration.tool)
    if marker is None or document.origin != "file":
        return None
    down = down_of(document, prior)
    sql = down.sql_text()
    text = document.host.text
    if migration.down_marker is None:
        edit = _append(document.path, text, f"\n{marker}\n{sql}")
        return _fix_of(down, (edit,), f"a `{marker}` section")
    line_end = text.find("\n", migration.down_marker)
    if line_end < 0:
        edit = Edit(document.path, len(text), len(text), "\n" + sql)
    else:
        edit = Edit(document.path, line_end + 1, line_end + 1, sql)
    return _fix_of(down, (edit,), f"the `{marker}` section")


def down_file_path(migration: Migration) -> str | None:
    """Where the down file of an up file goes, by its tool's convention."""
    path = PurePosixPath(migration.path)
    if migration.tool == "golang-migrate":
        return str(path.with_name(re.sub(r"\.up\.sql$", ".down.sql", path.name, flags=re.I)))
    if migration.tool == "diesel":
        return str(path.with_name("down.sql"))
    if migration.tool == "flyway" and path.name.startswith("V"):
        return str(path.with_name("U" + path.name[1:]))
    return None


def file_down_fix(
    document: SqlDocument,
    down_path: str,
    existing: SourceFile | None,
    prior: PriorType | None = None,
) -> Fix | None:
    """golang-migrate / diesel / Flyway: the down file, created or (when empty) filled.
    `existing` is the down file as the scan read it, None when there is none."""
    down = down_of(document, prior)
    sql = down.sql_text()
    if existing is None:
        edit = Edit(down_path, 0, 0, sql)
    else:
        edit = _append(down_path, existing.text, sql)
    return _fix_of(down, (edit,), f"`{PurePosixPath(down_path).name}`")


def alembic_down_fix(source: SourceFile, dialect: str) -> Fix | None:
    """An Alembic revision: `downgrade()` filled (or added) with the inverse operations."""
    # libcst only here: the other fixes (and a scan whose project rules find nothing to fix)
    # run without it.
    from reviewbot.sql.alembic_inverse import downgrade_edit

    found = downgrade_edit(source.text, dialect)
    if found is None or found.down.exact == 0:
        return None
    edit = Edit(source.path, found.start, found.end, found.text)
    if found.down.complete:
        return Fix("Write the generated `downgrade()`", (edit,), safe=True)
    return Fix(
        f"Write the generated `downgrade()`; {found.down.stubs} operation(s) marked TODO must be "
        "undone by hand",
        (edit,),
        safe=False,
    )


# -- CREATE INDEX / DROP INDEX CONCURRENTLY -----------------------------------------------------

_NO_TRANSACTION = {
    "goose": re.compile(r"^--\s*\+goose\s+NO\s+TRANSACTION\b", re.I | re.M),
    "dbmate": re.compile(r"^--\s*migrate:up\b[^\n]*\btransaction:false\b", re.I | re.M),
    "sql-migrate": re.compile(r"^--\s*\+migrate\s+Up\b[^\n]*\bnotransaction\b", re.I | re.M),
}


def outside_transaction(document: SqlDocument) -> str | None:
    """Why the file's up statements run outside a transaction, or None when they run in one (or
    it cannot be told)."""
    migration = migration_of(document)
    if migration is None or document.origin != "file":
        return None
    pattern = _NO_TRANSACTION.get(migration.tool)
    if pattern is not None:
        return "the file opts out of the transaction" if pattern.search(document.text) else None
    if migration.tool == "golang-migrate":
        statements = [s for s in up_statements(document) if s.expression is not None]
        if len(statements) == 1 and len(document.statements) == 1:
            return "golang-migrate sends a one-statement file as one statement"
    return None


_INDEX_VERB = re.compile(r"\b(?:CREATE\s+(?:UNIQUE\s+)?INDEX|DROP\s+INDEX)\b", re.I)


def concurrently_fix(document: SqlDocument, statement: SqlStatement) -> Fix | None:
    """`CONCURRENTLY` after `CREATE [UNIQUE] INDEX` / `DROP INDEX` of a `.sql` migration that
    does not run in a transaction."""
    if outside_transaction(document) is None:
        return None
    match = _INDEX_VERB.match(statement.text)
    if match is None:
        return None
    at = document.host_offset(statement.start + match.end())
    edit = Edit(document.path, at, at, " CONCURRENTLY")
    return Fix("Add CONCURRENTLY", (edit,), safe=True)


def alembic_concurrently_fix(source: SourceFile, call_start: int, call_end: int) -> Fix | None:
    """`op.create_index(...)` / `op.drop_index(...)` at `[call_start, call_end)` of `source`:
    `postgresql_concurrently=True` added and the call moved into an autocommit block. Only a
    call that is a statement of its own, directly in `upgrade()`."""
    text = source.text
    line_start = text.rfind("\n", 0, call_start) + 1
    indent = text[line_start:call_start]
    if indent.strip() or not text.startswith("op.", call_start):
        return None
    call = text[call_start:call_end]
    if "postgresql_concurrently" in call or not call.endswith(")"):
        return None
    line_end = text.find("\n", call_end)
    if text[call_end : line_end if line_end >= 0 else len(text)].strip():
        return None  # more on the line (`; op.x()`): not a simple statement
    inner = call[:-1].rstrip()
    closing = call[len(inner) : -1]  # what stood before `)`: a newline and indent, or nothing
    if inner.endswith("("):
        new_call = f"{inner}postgresql_concurrently=True{closing})"
    elif inner.endswith(",") and "\n" in closing:
        # One argument a line with a trailing comma: one more line in the same style.
        last_line = inner[inner.rfind("\n") + 1 :]
        arg_indent = last_line[: len(last_line) - len(last_line.lstrip())]
        new_call = f"{inner}\n{arg_indent}postgresql_concurrently=True,{closing})"
    else:
        new_call = f"{inner.rstrip(',')}, postgresql_concurrently=True{closing})"
    new_call = new_call.replace("\n", "\n    ")  # the call moves one level in
    replacement = f"with op.get_context().autocommit_block():\n{indent}    {new_call}"
    edit = Edit(source.path, call_start, call_end, replacement)
    alone = _only_statement_of_upgrade(text, call_start, call_end)
    return Fix(
        "Build the index concurrently, outside the revision's transaction",
        (edit,),
        safe=alone,
    )


def _only_statement_of_upgrade(text: str, start: int, end: int) -> bool:
    match = re.search(r"^def upgrade\([^)]*\)[^:\n]*:\n", text, re.M)
    if match is None or match.end() > start:
        return False
    following = re.search(r"^\S", text[match.end() :], re.M)
    body_end = match.end() + following.start() if following else len(text)
    body = text[match.end() : start] + text[end:body_end]
    lines = [line.strip() for line in body.splitlines()]
    return all(not line or line.startswith("#") or line == "pass" for line in lines)


# -- column types of new tables ------------------------------------------------------------------


def _in_create_table(table: Table, column: Column) -> bool:
    """The column's type was set by the CREATE TABLE of its table, not by a later ALTER."""
    created = table.created
    site = column.type_site or column.site
    if created is None or column.document is None or column.document is not table.created_in:
        return False
    if column.document.attributes.get("synthesized") == "alembic":
        return True  # each Alembic operation is a document of its own
    return (created.path, created.line, created.column) <= (site.path, site.line, site.column) and (
        site.end_line,
        site.end_column,
    ) <= (created.end_line, created.end_column)


def _site_span(source: SourceFile, site: Site) -> tuple[int, int]:
    starts = source.line_starts
    return (
        starts[site.line - 1] + site.column - 1,
        starts[site.end_line - 1] + site.end_column - 1,
    )


def _type_fix(
    table: Table,
    column: Column,
    sql_type: Callable[[str], str | None],
    python_type: Callable[[str], str | None],
    title: str,
    safe: bool,
) -> Fix | None:
    if column.type_site is None or column.document is None or not _in_create_table(table, column):
        return None
    document = column.document
    host = document.host
    start, end = _site_span(host, column.type_site)
    written = host.text[start:end]
    synthesized = document.attributes.get("synthesized") == "alembic"
    replacement = python_type(written) if synthesized else sql_type(written)
    if replacement is None or replacement == written:
        return None
    # In an Alembic project the SQLAlchemy model declares the type too, and the fix does not
    # touch it: until the model says the same, autogenerate sees a difference. A judgement call.
    return Fix(title, (Edit(host.path, start, end, replacement),), safe=safe and not synthesized)


_SA_TIMESTAMP = re.compile(
    r"^(?P<name>(?:[A-Za-z_]\w*\.)*(?:DateTime|TIMESTAMP|DATETIME))(?:\(\s*(?:timezone\s*=\s*"
    r"False\s*)?\))?$"
)


def timestamptz_fix(table: Table, column: Column) -> Fix | None:
    """`timestamp` -> `timestamptz` (`sa.DateTime()` -> `sa.DateTime(timezone=True)`)."""

    def sql(written: str) -> str | None:
        dtype = column.dtype
        if dtype is None:
            return None
        replaced = dtype.copy()
        node = replaced
        while node.this == exp.DataType.Type.ARRAY and node.expressions:
            inner = node.expressions[0]
            if not isinstance(inner, exp.DataType):
                return None
            node = inner
        if node.this != exp.DataType.Type.TIMESTAMP:
            return None
        node.set("this", exp.DataType.Type.TIMESTAMPTZ)
        return replaced.sql(dialect="postgres").lower()

    def python(written: str) -> str | None:
        match = _SA_TIMESTAMP.match(written.strip())
        return f"{match['name']}(timezone=True)" if match else None

    return _type_fix(table, column, sql, python, "Use timestamptz", safe=True)


_SA_FLOAT = re.compile(
    r"^(?P<module>(?:sa|sqlalchemy)\.)?(?:Float|FLOAT|REAL|Double|DOUBLE|DOUBLE_PRECISION)"
    r"(?:\([^()]*\))?$"
)


def numeric_fix(table: Table, column: Column) -> Fix | None:
    """`float` / `real` / `double precision` -> `numeric(12, 2)` (`sa.Numeric(12, 2)`)."""

    def sql(written: str) -> str | None:
        return (
            "numeric(12, 2)" if column.dtype is not None and not column.dtype.expressions else None
        )

    def python(written: str) -> str | None:
        match = _SA_FLOAT.match(written.strip())
        if match is None or match["module"] is None:
            return None
        return f"{match['module']}Numeric(12, 2)"

    return _type_fix(
        table, column, sql, python, "Use numeric(12, 2): check the precision and scale", safe=False
    )


def python_call_end(text: str, start: int) -> int | None:
    """End offset of the call expression starting at `start` (`op.create_index(...)`), read with
    Python's tokenizer so brackets inside strings do not count; None when it cannot be told."""
    depth = 0
    line_starts = [0]
    for index, char in enumerate(text):
        if char == "\n":
            line_starts.append(index + 1)
    base_line = text.count("\n", 0, start)
    column0 = start - line_starts[base_line]
    reader = io.StringIO(" " * column0 + text[start:]).readline
    try:
        for token in tokenize.generate_tokens(reader):
            if token.type != tokenize.OP:
                continue
            if token.string in "([{":
                depth += 1
            elif token.string in ")]}":
                depth -= 1
                if depth == 0:
                    line, column = token.end
                    return line_starts[base_line + line - 1] + column
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None
    return None
