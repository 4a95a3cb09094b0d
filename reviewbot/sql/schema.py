"""The schema catalog: the tables, columns, keys and indexes the repository's SQL defines.

Built once per scan (`catalog_of(project)`, shared through `Project.shared`) by replaying every
SQL document's DDL in migration order: schema files and SQL in application code first, then each
migration stream in version order (Alembic revisions in `down_revision` order). Down migrations
are not replayed. Alembic operations arrive here already translated into DDL by the extractor.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp
from sqlglot.errors import SqlglotError

from reviewbot.model.facts import REVISION_FACT, AlembicRevision
from reviewbot.sql.migrations import MigrationUnit, Role, migration_of, role_of
from reviewbot.sql.names import (
    Word,
    column_list,
    command_table_key,
    command_words,
    display,
    ident,
    qualified_name,
    rename_pairs,
    table_key,
)
from reviewbot.sql.source import SqlDocument, SqlStatement, node_span

SHARED_KEY = "sql-schema-catalog"


@dataclass(frozen=True, slots=True)
class Site:
    """Where a definition is, in the host file (1-based; `end_column` exclusive)."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def of(cls, document: SqlDocument, start: int, end: int) -> Site:
        line, column = document.host_position(start)
        end_line, end_column = document.host_position(max(end, start + 1) - 1)
        return cls(document.path, line, column, end_line, end_column + 1)

    @classmethod
    def of_node(cls, document: SqlDocument, statement: SqlStatement, node: exp.Expression) -> Site:
        start, end = node_span(node, statement)
        return cls.of(document, start, end)


@dataclass(slots=True)
class Column:
    """A column as the schema stands: `site` and `type_site` are where its type was last set (the
    CREATE TABLE, ADD COLUMN or ALTER COLUMN ... TYPE that defined it)."""

    name: str
    dtype: exp.DataType | None
    site: Site
    written: str = ""  # the name as written (`amountUsd`), for word splitting
    document: SqlDocument | None = None
    type_site: Site | None = None


@dataclass(slots=True)
class Index:
    """An index, including the ones PRIMARY KEY and UNIQUE constraints create implicitly."""

    name: str | None
    columns: tuple[str | None, ...]  # None for an expression
    unique: bool
    origin: str  # "primary key", "unique" or "index"
    partial: bool = False
    method: str | None = None
    site: Site | None = None

    def leads_with(self, columns: Iterable[str]) -> bool:
        return bool(self.columns) and self.columns[0] is not None and self.columns[0] in columns

    def covers(self, columns: tuple[str, ...]) -> bool:
        """Whether `columns` (in any order) are this index's leading columns."""
        return len(self.columns) >= len(columns) and set(self.columns[: len(columns)]) == set(
            columns
        )

    def describe(self) -> str:
        label = self.origin if self.origin != "index" else f"index {self.name or ''}".strip()
        return f"{label} ({', '.join(c or '<expression>' for c in self.columns)})"


@dataclass(slots=True)
class ForeignKey:
    name: str | None
    columns: tuple[str, ...]
    ref_table: str | None
    ref_columns: tuple[str, ...]
    site: Site
    dialect: str
    document: SqlDocument


@dataclass(slots=True)
class Table:
    key: str
    dialect: str
    columns: dict[str, Column] = field(default_factory=dict)
    indexes: list[Index] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    created: Site | None = None  # None: only altered by the SQL we saw, never created
    created_in: SqlDocument | None = None
    unit: MigrationUnit | None = None
    derived: bool = False  # CREATE TABLE ... AS / LIKE / PARTITION OF: columns and keys unknown
    comment: bool = False
    rls: bool = False  # some migration enables (or forces) row level security on it

    @property
    def name(self) -> str:
        return display(self.key)

    @property
    def schema(self) -> str:
        return self.key.rsplit(".", 1)[0] if "." in self.key else ""

    @property
    def primary_key(self) -> Index | None:
        return next((i for i in self.indexes if i.origin == "primary key"), None)

    def index_leading_with(self, columns: Iterable[str]) -> Index | None:
        wanted = set(columns)
        return next((i for i in self.indexes if i.leads_with(wanted)), None)

    def index_covering(self, columns: tuple[str, ...]) -> Index | None:
        return next((i for i in self.indexes if i.covers(columns)), None)


@dataclass(slots=True)
class TypeChange:
    """`ALTER COLUMN ... TYPE` replayed in order, with the type the column had just before."""

    table: str
    column: str
    old: exp.DataType | None
    new: exp.DataType
    document: SqlDocument
    statement: SqlStatement
    node: exp.Expression
    same_migration: bool


@dataclass(slots=True)
class RlsChange:
    table: str
    enabled: bool
    document: SqlDocument
    site: Site


@dataclass(slots=True)
class Catalog:
    tables: dict[str, Table] = field(default_factory=dict)
    type_changes: list[TypeChange] = field(default_factory=list)
    rls_changes: list[RlsChange] = field(default_factory=list)

    def created_tables(self) -> Iterator[Table]:
        return (t for t in self.tables.values() if t.created is not None)

    def known(self, key: str | None) -> Table | None:
        """A table whose CREATE TABLE the catalog saw (so its columns and indexes are known)."""
        table = self.tables.get(key or "")
        return table if table is not None and table.created is not None else None


def catalog_of(project: Any) -> Catalog:
    """The scan's schema catalog, built on first use and shared by every rule."""

    def build(project: Any) -> Catalog:
        revisions = {
            path: (fact.revision, fact.down_revisions)
            for path, fact in project.facts.get(REVISION_FACT, ())
            if isinstance(fact, AlembicRevision)
        }
        return build_catalog(project.sql_documents, revisions)

    return project.shared(SHARED_KEY, build)


Revisions = dict[str, tuple[str, tuple[str, ...]]]


def migration_order(
    documents: list[SqlDocument], revisions: Revisions | None = None
) -> list[SqlDocument]:
    """Non-migration SQL first (by path), then each migration stream in version order."""
    known: Revisions = dict(revisions or {})
    for document in documents:
        migration = migration_of(document)
        if migration is not None and migration.tool == "alembic" and migration.revision:
            known.setdefault(migration.path, (migration.revision, migration.down_revisions))
    alembic_rank = alembic_ranks(known)

    def key(item: tuple[int, SqlDocument]) -> tuple[Any, ...]:
        index, document = item
        migration = migration_of(document)
        if migration is None:
            return (0, document.path, (), "", index)
        version: tuple[Any, ...] = migration.version
        if migration.tool == "alembic":
            version = ((float(alembic_rank.get(migration.path, math.inf)),), migration.path)
        return (1, migration.stream, version, migration.path, index)

    return [document for _, document in sorted(enumerate(documents), key=key)]


def alembic_ranks(revisions: Revisions) -> dict[str, int]:
    """Topological order of Alembic revision files (parents first), ties broken by path."""
    by_revision: dict[str, str] = {}
    for path, (revision, _) in sorted(revisions.items()):
        by_revision.setdefault(revision, path)
    ranks: dict[str, int] = {}
    placed: set[str] = set()
    remaining = sorted(by_revision.values())
    while remaining:
        ready = [
            path
            for path in remaining
            if all(r in placed or r not in by_revision for r in revisions[path][1])
        ]
        if not ready:  # a cycle: place the rest by path
            ready = remaining
        for path in ready:
            ranks[path] = len(ranks)
            placed.add(revisions[path][0])
        remaining = [p for p in remaining if p not in ranks]
    return ranks


def build_catalog(documents: list[SqlDocument], revisions: Revisions | None = None) -> Catalog:
    builder = _Builder()
    for document in migration_order(documents, revisions):
        for statement in document.statements:
            role = role_of(document, statement)
            if statement.expression is None or role is None or role == Role.DOWN:
                continue
            builder.apply(document, statement)
    return builder.catalog


def _stated_type(document: SqlDocument, column: str) -> exp.DataType | None:
    """The old type a migration states itself (Alembic `alter_column(existing_type=...)`)."""
    stated = (document.attributes.get("existing_types") or {}).get(column)
    if not stated:
        return None
    try:
        return exp.DataType.build(stated, dialect=document.dialect)
    except (ValueError, SqlglotError):
        return None


def written_name(node: exp.Expression | None) -> str:
    """An identifier as written, case kept (`amountUsd`), for splitting it into words."""
    if isinstance(node, exp.Identifier):
        return str(node.this)
    return ident(node) if node is not None else ""


_TYPE_END = re.compile(
    r"\s+(?:NOT\b|NULL\b|DEFAULT\b|PRIMARY\b|REFERENCES\b|CONSTRAINT\b|UNIQUE\b|CHECK\b"
    r"|COLLATE\b|GENERATED\b|USING\b|COMMENT\b|AUTO_INCREMENT\b|IDENTITY\b)|\s*[,;]",
    re.IGNORECASE,
)
_TYPE_LEAD = re.compile(r"\s*(?:(?:SET\s+DATA\s+)?TYPE\s+)?", re.IGNORECASE)


def type_site(document: SqlDocument, statement: SqlStatement, node: exp.Expression) -> Site | None:
    """Where a column's type is written: after the column's name (and ALTER COLUMN's `TYPE`), up
    to its first constraint. sqlglot keeps no position on types, so the text is read."""
    name = node.this
    meta = name.meta if isinstance(name, exp.Identifier) and name._meta else None
    if not meta or "end" not in meta:
        return None
    text = document.text
    start = int(meta["end"]) + 1
    if start < len(text) and text[start] in '"`]':
        start += 1
    lead = _TYPE_LEAD.match(text, start, statement.end)
    if lead is not None:
        start = lead.end()
    depth = 0
    at = start
    while at < statement.end:
        char = text[at]
        if char in "([":
            depth += 1
        elif char in ")]":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and _TYPE_END.match(text, at, statement.end):
            break
        at += 1
    end = at
    while end > start and text[end - 1].isspace():
        end -= 1
    if end <= start:
        return None
    return Site.of(document, start, end)


def _kind(node: exp.Expression) -> str:
    return str(node.args.get("kind") or "").upper()


class _Builder:
    def __init__(self) -> None:
        self.catalog = Catalog()

    @property
    def tables(self) -> dict[str, Table]:
        return self.catalog.tables

    def _table(self, key: str, dialect: str) -> Table:
        table = self.tables.get(key)
        if table is None:
            table = self.tables[key] = Table(key=key, dialect=dialect)
        return table

    def apply(self, document: SqlDocument, statement: SqlStatement) -> None:
        node = statement.expression
        if isinstance(node, exp.Create):
            if _kind(node) == "TABLE":
                self._create_table(document, statement, node)
            elif _kind(node) == "INDEX":
                self._create_index(document, statement, node)
        elif isinstance(node, exp.Alter) and _kind(node) == "TABLE":
            self._alter(document, statement, node)
        elif isinstance(node, exp.Drop):
            self._drop(document, node)
        elif isinstance(node, exp.Comment) and _kind(node) == "TABLE":
            key = table_key(node.this, document.dialect)
            if key in self.tables:
                text = node.expression
                self.tables[key].comment = isinstance(text, exp.Literal) and bool(
                    str(text.this).strip()
                )
        elif isinstance(node, exp.Command):
            self._command(document, statement)

    # -- CREATE TABLE --------------------------------------------------------------------------

    def _create_table(
        self, document: SqlDocument, statement: SqlStatement, node: exp.Create
    ) -> None:
        dialect = document.dialect
        key = table_key(node.this, dialect)
        if key is None:
            return
        properties = node.args.get("properties")
        kinds = {type(p).__name__ for p in properties.expressions} if properties else set()
        if "TemporaryProperty" in kinds:
            return
        existing = self.tables.get(key)
        if existing is not None and existing.created is not None and node.args.get("exists"):
            return
        table = self._table(key, dialect)
        if table.created is None:
            table.created = Site.of(document, statement.start, statement.end)
            table.created_in = document
            migration = migration_of(document)
            table.unit = migration.unit if migration is not None else None
        if "SchemaCommentProperty" in kinds:
            table.comment = True
        schema = node.this
        if node.expression is not None or "PartitionedOfProperty" in kinds:
            table.derived = True
            return
        if not isinstance(schema, exp.Schema):
            return
        for element in schema.expressions:
            if isinstance(element, exp.ColumnDef):
                self._column(table, document, statement, element)
            elif isinstance(element, exp.LikeProperty):
                table.derived = True
            else:
                self._constraint(table, document, statement, element, None)

    def _column(
        self, table: Table, document: SqlDocument, statement: SqlStatement, node: exp.ColumnDef
    ) -> None:
        name = ident(node.this)
        if not name:
            return
        dtype = node.args.get("kind")
        site = Site.of_node(document, statement, node)
        table.columns[name] = Column(
            name,
            dtype if isinstance(dtype, exp.DataType) else None,
            site,
            written_name(node.this),
            document,
            type_site(document, statement, node),
        )
        for constraint in node.args.get("constraints") or ():
            kind = (
                constraint.args.get("kind")
                if isinstance(constraint, exp.ColumnConstraint)
                else None
            )
            label = ident(constraint.this) if constraint.this is not None else None
            if isinstance(kind, exp.PrimaryKeyColumnConstraint):
                self._add_index(
                    table, label or f"{table.name}_pkey", (name,), True, "primary key", site
                )
            elif isinstance(kind, exp.UniqueColumnConstraint):
                self._add_index(
                    table, label or f"{table.name}_{name}_key", (name,), True, "unique", site
                )
            elif isinstance(kind, exp.Reference):
                self._foreign_key(table, document, statement, kind, (name,), label, constraint)

    def _constraint(
        self,
        table: Table,
        document: SqlDocument,
        statement: SqlStatement,
        node: exp.Expression,
        name: str | None,
    ) -> None:
        site = Site.of_node(document, statement, node)
        if isinstance(node, exp.Constraint):
            for inner in node.expressions:
                self._constraint(table, document, statement, inner, ident(node.this) or None)
        elif isinstance(node, exp.PrimaryKey):
            columns = tuple(c for c in column_list(node.expressions) if c)
            self._add_index(table, name or f"{table.name}_pkey", columns, True, "primary key", site)
        elif isinstance(node, exp.UniqueColumnConstraint):
            target = node.this
            columns_nodes = target.expressions if isinstance(target, exp.Schema) else []
            columns = tuple(c for c in column_list(columns_nodes) if c)
            if isinstance(target, exp.Schema) and isinstance(target.this, exp.Identifier):
                name = name or ident(target.this)
            if columns:
                default = f"{table.name}_{'_'.join(columns)}_key"
                self._add_index(table, name or default, columns, True, "unique", site)
        elif isinstance(node, exp.ForeignKey):
            columns = tuple(c for c in column_list(node.expressions) if c)
            reference = node.args.get("reference")
            if isinstance(reference, exp.Reference) and columns:
                self._foreign_key(table, document, statement, reference, columns, name, node)
        elif isinstance(node, exp.IndexColumnConstraint):
            index_columns = column_list(node.expressions)
            kind = str(node.args.get("kind") or "").upper()
            label = ident(node.this) if node.this is not None else name
            self._add_index(table, label, index_columns, kind == "UNIQUE", "index", site)

    def _add_index(
        self,
        table: Table,
        name: str | None,
        columns: tuple[str | None, ...],
        unique: bool,
        origin: str,
        site: Site | None,
        partial: bool = False,
        method: str | None = None,
    ) -> None:
        if not columns:
            return
        if origin == "primary key":
            table.indexes = [i for i in table.indexes if i.origin != "primary key"]
        table.indexes.append(Index(name, columns, unique, origin, partial, method, site))

    def _foreign_key(
        self,
        table: Table,
        document: SqlDocument,
        statement: SqlStatement,
        reference: exp.Reference,
        columns: tuple[str, ...],
        name: str | None,
        node: exp.Expression,
    ) -> None:
        target = reference.this
        ref_columns: tuple[str, ...] = ()
        if isinstance(target, exp.Schema):
            ref_columns = tuple(c for c in column_list(target.expressions) if c)
        ref_table = table_key(target, document.dialect)
        # The same key declared again (dropped under a name computed at run time, then
        # re-created): the newer declaration replaces the older one.
        table.foreign_keys = [
            f for f in table.foreign_keys if (f.columns, f.ref_table) != (columns, ref_table)
        ]
        table.foreign_keys.append(
            ForeignKey(
                name or f"{table.name}_{'_'.join(columns)}_fkey",
                columns,
                ref_table,
                ref_columns,
                Site.of_node(document, statement, node),
                document.dialect,
                document,
            )
        )

    # -- CREATE INDEX --------------------------------------------------------------------------

    def _create_index(
        self, document: SqlDocument, statement: SqlStatement, node: exp.Create
    ) -> None:
        index = node.this
        if not isinstance(index, exp.Index):
            return
        key = table_key(index.args.get("table"), document.dialect)
        if key is None:
            return
        params = index.args.get("params")
        columns: tuple[str | None, ...] = ()
        partial = False
        method = None
        if isinstance(params, exp.IndexParameters):
            columns = column_list(params.args.get("columns"))
            partial = params.args.get("where") is not None
            using = params.args.get("using")
            method = ident(using) if using is not None else None
        name = ident(index.this) or None
        table = self._table(key, document.dialect)
        if name and any(i.name == name for i in table.indexes) and node.args.get("exists"):
            return
        self._add_index(
            table,
            name,
            columns,
            bool(node.args.get("unique")),
            "index",
            Site.of(document, statement.start, statement.end),
            partial,
            method,
        )

    # -- ALTER TABLE ---------------------------------------------------------------------------

    def _alter(self, document: SqlDocument, statement: SqlStatement, node: exp.Alter) -> None:
        dialect = document.dialect
        key = table_key(node.this, dialect)
        if key is None:
            return
        for action in node.args.get("actions") or ():
            table = self._table(key, dialect)
            if isinstance(action, exp.ColumnDef):
                self._column(table, document, statement, action)
            elif isinstance(action, exp.AddConstraint):
                for inner in action.expressions:
                    self._constraint(table, document, statement, inner, None)
            elif isinstance(action, exp.Drop):
                self._drop_in_table(table, action)
            elif isinstance(action, exp.AlterColumn):
                dtype = action.args.get("dtype")
                if isinstance(dtype, exp.DataType):
                    self._retype(table, document, statement, ident(action.this), dtype, action)
            elif isinstance(action, exp.ModifyColumn):
                definition = action.this
                if isinstance(definition, exp.ColumnDef):
                    old_name = ident(action.args.get("rename_from")) or ident(definition.this)
                    new_name = ident(definition.this)
                    if old_name != new_name:
                        self._rename_column(table, old_name, new_name)
                    dtype = definition.args.get("kind")
                    if isinstance(dtype, exp.DataType):
                        self._retype(table, document, statement, new_name, dtype, action)
            elif isinstance(action, exp.AlterRename):
                new_key = table_key(action.this, dialect)
                if new_key is not None and not action.this.db and "." in key:
                    new_key = f"{key.rsplit('.', 1)[0]}.{action.this.name.lower()}"
                if new_key:
                    self._rename_table(key, new_key)
                    key = new_key
            elif isinstance(action, exp.RenameColumn):
                self._rename_column(table, ident(action.this), ident(action.args.get("to")))

    def _retype(
        self,
        table: Table,
        document: SqlDocument,
        statement: SqlStatement,
        column: str,
        dtype: exp.DataType,
        node: exp.Expression,
    ) -> None:
        current = table.columns.get(column)
        old = current.dtype if current is not None else None
        if old is None:
            old = _stated_type(document, column)
        migration = migration_of(document)
        self.catalog.type_changes.append(
            TypeChange(
                table.key,
                column,
                old,
                dtype,
                document,
                statement,
                node,
                migration is not None and table.unit is migration.unit,
            )
        )
        site = Site.of_node(document, statement, node)
        if current is None:
            # A column of a table whose CREATE the SQL we saw does not hold: known from here on.
            name_node = node.this if isinstance(node, exp.AlterColumn) else None
            current = table.columns[column] = Column(
                column, dtype, site, written_name(name_node) or column
            )
        current.dtype = dtype
        current.site = site
        current.document = document
        current.type_site = type_site(document, statement, node)

    def _drop_in_table(self, table: Table, action: exp.Drop) -> None:
        kind = _kind(action)
        names = [ident(t) for t in action.args.get("tables") or ()]
        if kind == "COLUMN":
            for name in names:
                table.columns.pop(name, None)
                # Dropping a column drops the indexes and constraints that use it.
                table.indexes = [i for i in table.indexes if name not in i.columns]
                table.foreign_keys = [f for f in table.foreign_keys if name not in f.columns]
        elif kind in ("CONSTRAINT", "INDEX", "FOREIGN KEY", "KEY"):
            for name in names:
                table.indexes = [i for i in table.indexes if i.name != name]
                table.foreign_keys = [f for f in table.foreign_keys if f.name != name]
        elif kind == "PRIMARY KEY":
            table.indexes = [i for i in table.indexes if i.origin != "primary key"]

    def _rename_column(self, table: Table, old: str, new: str) -> None:
        if not old or not new:
            return
        if old in table.columns:
            column = table.columns.pop(old)
            column.name = new
            table.columns[new] = column
        for index in table.indexes:
            index.columns = tuple(new if c == old else c for c in index.columns)
        for foreign_key in table.foreign_keys:
            foreign_key.columns = tuple(new if c == old else c for c in foreign_key.columns)

    def _rename_table(self, old: str, new: str) -> None:
        table = self.tables.pop(old, None)
        if table is None:
            return
        table.key = new
        self.tables[new] = table
        for other in self.tables.values():
            for foreign_key in other.foreign_keys:
                if foreign_key.ref_table == old:
                    foreign_key.ref_table = new

    # -- DROP ----------------------------------------------------------------------------------

    def _drop(self, document: SqlDocument, node: exp.Drop) -> None:
        kind = _kind(node)
        targets = node.args.get("tables") or ()
        if kind == "TABLE":
            for target in targets:
                key = table_key(target, document.dialect)
                if key:
                    self.tables.pop(key, None)
        elif kind == "INDEX":
            for target in targets:
                name = ident(target)
                for table in self.tables.values():
                    table.indexes = [i for i in table.indexes if i.name != name]
        elif kind == "SCHEMA":
            for target in targets:
                schema = ident(target.args.get("db")) or ident(target)
                for key in [k for k in self.tables if k.startswith(schema + ".")]:
                    del self.tables[key]

    # -- statements sqlglot keeps as commands -------------------------------------------------

    def _command(self, document: SqlDocument, statement: SqlStatement) -> None:
        if _DO.match(statement.text):
            self._do_block(document, statement)
            return
        words = command_words(document, statement)
        if len(words) < 3:
            return
        first = words[0].upper
        if first == "ALTER" and words[1].upper == "TABLE":
            change = rls_change(words, document)
            if change is None:
                return
            key, enabled, site_words = change
            if key in self.tables and enabled:
                # "No migration enables it" is what matters; a later DISABLE is its own finding.
                self.tables[key].rls = True
            site = Site.of(document, site_words[0].start, site_words[-1].end)
            self.catalog.rls_changes.append(RlsChange(key, enabled, document, site))
        elif first == "RENAME" and words[1].upper == "TABLE":
            for old, new in rename_pairs(words, document.dialect):
                self._rename_table(old, new)

    def _do_block(self, document: SqlDocument, statement: SqlStatement) -> None:
        """Keys and indexes an idempotent migration adds inside `DO $$ ... IF NOT EXISTS ...`
        (sqlglot reads the block as one command): without them, a table whose primary key is
        added that way reads as keyless."""
        text = statement.text
        site = Site.of(document, statement.start, statement.end)
        for match in _DO_PRIMARY_KEY.finditer(text):
            key = _name_key(match.group("table"), document.dialect)
            table = self.tables.get(key) if key else None
            columns = _column_list(match.group("columns"))
            if table is not None and columns:
                label = match.group("name") or f"{table.name}_pkey"
                self._add_index(table, label.strip('"'), columns, True, "primary key", site)
        for match in _DO_INDEX.finditer(text):
            key = _name_key(match.group("table"), document.dialect)
            table = self.tables.get(key) if key else None
            columns = _column_list(match.group("columns"))
            if table is not None and columns:
                unique = bool(match.group("unique"))
                self._add_index(table, None, columns, unique, "index", site)


_DO = re.compile(r"\s*DO\b", re.IGNORECASE)
_NAME = r'[\w"]+(?:\s*\.\s*[\w"]+)?'
_DO_PRIMARY_KEY = re.compile(
    r"\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(?P<table>" + _NAME + r")\s+ADD\s+"
    r'(?:CONSTRAINT\s+(?P<name>[\w"]+)\s+)?PRIMARY\s+KEY\s*\((?P<columns>[^)]*)\)',
    re.IGNORECASE,
)
_DO_INDEX = re.compile(
    r"\bCREATE\s+(?P<unique>UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?"
    r'(?:[\w"]+\s+)?ON\s+(?:ONLY\s+)?(?P<table>' + _NAME + r")\s*(?:USING\s+\w+\s*)?"
    r"\((?P<columns>[^)]*)\)",
    re.IGNORECASE,
)


def _name_key(name: str, dialect: str) -> str | None:
    parts = [p.strip().strip('"').lower() for p in name.split(".")]
    return command_table_key([p for p in parts if p], dialect)


def _column_list(text: str) -> tuple[str, ...]:
    """`a, "b"` -> ("a", "b"); an expression (`lower(a)`) is no plain column: ()."""
    columns = tuple(p.strip().strip('"').lower() for p in text.split(","))
    if not columns or not all(c.replace("_", "").isalnum() for c in columns):
        return ()
    return columns


def rls_change(words: list[Word], document: SqlDocument) -> tuple[str, bool, list[Word]] | None:
    """`ALTER TABLE [IF EXISTS] [ONLY] t ENABLE|DISABLE|FORCE ROW LEVEL SECURITY` -> (t, enabled)."""
    index = 2
    while index < len(words) and words[index].upper in ("IF", "EXISTS", "ONLY"):
        index += 1
    parts, index = qualified_name(words, index)
    key = command_table_key(parts, document.dialect)
    if key is None or index >= len(words):
        return None
    action = [w.upper for w in words[index : index + 5]]
    if action[:4] in (
        ["ENABLE", "ROW", "LEVEL", "SECURITY"],
        ["FORCE", "ROW", "LEVEL", "SECURITY"],
    ):
        return key, True, words[index : index + 4]
    if action[:4] == ["DISABLE", "ROW", "LEVEL", "SECURITY"]:
        return key, False, words[index : index + 4]
    if action[:5] == ["NO", "FORCE", "ROW", "LEVEL", "SECURITY"]:
        return None
    return None
