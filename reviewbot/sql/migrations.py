"""Which SQL is a migration, which part of it runs on the way up or down, and in what order.

Recognised by convention, the way each tool finds its own files:

- golang-migrate / sqlx: `000001_name.up.sql` and `000001_name.down.sql`;
- dbmate (`-- migrate:up` / `-- migrate:down`), goose (`-- +goose Up` / `-- +goose Down`) and
  sql-migrate (`-- +migrate Up` / `-- +migrate Down`): one file, two sections;
- Flyway: `V1_2__name.sql` (versioned), `U1_2__name.sql` (undo), `R__name.sql` (repeatable);
- diesel: `migrations/2024-01-01-000000_name/up.sql` and `down.sql`;
- any `.sql` file below a `migrations/` (or `migration/`, `migrate/`) folder, including
  `supabase/migrations/`; a name ending in `down`, `rollback`, `undo` or `revert` is a down file;
- Alembic revisions and Django migrations, whose SQL the Python extractor labels itself.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reviewbot.sql.source import SqlDocument, SqlStatement


class Role(enum.Enum):
    """What a statement is for: application/schema SQL, or one direction of a migration."""

    QUERY = "query"
    UP = "up"
    DOWN = "down"


MIGRATION_DIRS = frozenset(
    {"migrations", "migration", "migrate", "db_migrations", "sql_migrations"}
)
_GOLANG = re.compile(r"^(?P<version>\d+)_(?P<name>.*)\.(?P<direction>up|down)\.sql$", re.IGNORECASE)
_FLYWAY = re.compile(r"^(?P<kind>[VU])(?P<version>\d+(?:[._]\d+)*)__(?P<name>.+)\.sql$")
_FLYWAY_REPEATABLE = re.compile(r"^R__.+\.sql$")
_VERSION = re.compile(r"^[VvUu]?(\d+(?:[._-]\d+)*)")
_DOWN_SUFFIXES = ("down", "rollback", "undo", "revert")
# Section markers of single-file tools: (tool, up marker, down marker), compared lower-cased.
SECTION_MARKERS = (
    ("dbmate", "-- migrate:up", "-- migrate:down"),
    ("goose", "-- +goose up", "-- +goose down"),
    ("sql-migrate", "-- +migrate up", "-- +migrate down"),
)
LAST = float("inf")
# Folders named after a database hold SQL for that database only (e.g. Prefect's
# `versions/postgresql/` and `versions/sqlite/`): sqlglot dialect by folder name.
BACKEND_FOLDERS = {
    "postgresql": "postgres",
    "postgres": "postgres",
    "sqlite": "sqlite",
    "sqlite3": "sqlite",
    "mysql": "mysql",
    "mariadb": "mysql",
    "mssql": "tsql",
    "oracle": "oracle",
}


@dataclass(eq=False, slots=True)
class MigrationUnit:
    """The SQL documents of one migration: one `.sql` file, or all SQL of one Python revision."""

    documents: list[SqlDocument] = field(default_factory=list)
    _tables: set[str] | None = None
    _indexes: dict[str, str | None] | None = None
    _columns: set[tuple[str, str]] = field(default_factory=set)
    _sequences: set[str] = field(default_factory=set)

    def _collect(self) -> None:
        # Imported here: the timeline below (every scan, cached or not) reads file names only.
        from sqlglot import exp

        from reviewbot.sql.names import ident, table_key

        tables: set[str] = set()
        indexes: dict[str, str | None] = {}
        for document in self.documents:
            for statement in document.statements:
                node = statement.expression
                if role_of(document, statement) != Role.UP:
                    continue
                if isinstance(node, exp.Alter) and str(node.args.get("kind") or "") == "TABLE":
                    key = table_key(node.this, document.dialect)
                    for action in node.args.get("actions") or ():
                        if key and isinstance(action, exp.ColumnDef):
                            self._columns.add((key, ident(action.this)))
                        elif (
                            key
                            and isinstance(action, exp.RenameColumn)
                            and (key, ident(action.this)) in self._columns
                        ):
                            self._columns.add((key, ident(action.args.get("to"))))
                    continue
                if not isinstance(node, exp.Create):
                    continue
                kind = str(node.args.get("kind") or "").upper()
                if kind == "SEQUENCE":
                    key = table_key(node.this, document.dialect)
                    if key:
                        self._sequences.add(key)
                elif kind == "TABLE":
                    key = table_key(node.this, document.dialect)
                    if key:
                        tables.add(key)
                elif kind == "INDEX" and isinstance(node.this, exp.Index):
                    indexes[ident(node.this.this)] = table_key(
                        node.this.args.get("table"), document.dialect
                    )
        self._tables, self._indexes = tables, indexes

    @property
    def created_tables(self) -> set[str]:
        if self._tables is None:
            self._collect()
        assert self._tables is not None
        return self._tables

    def created_column(self, key: str, column: str) -> bool:
        """Whether this migration adds column `column` to table `key` (or creates the table)."""
        if self._tables is None:
            self._collect()
        return key in self.created_tables or (key, column) in self._columns

    def created_sequence(self, key: str) -> bool:
        if self._tables is None:
            self._collect()
        return key in self._sequences

    @property
    def created_indexes(self) -> dict[str, str | None]:
        """Index name -> table key, for indexes this migration creates."""
        if self._indexes is None:
            self._collect()
        assert self._indexes is not None
        return self._indexes


@dataclass(eq=False, slots=True)
class Migration:
    """How a SQL document takes part in a migration sequence."""

    tool: str
    path: str
    stream: str  # migrations of one stream (usually a folder) are ordered together
    version: tuple[tuple[float, ...], str]
    direction: Role
    unit: MigrationUnit
    # Single-file tools: document offsets of the section markers (None when absent).
    up_marker: int | None = None
    down_marker: int | None = None
    # Alembic: this revision and the ones it follows (for ordering).
    revision: str | None = None
    down_revisions: tuple[str, ...] = ()

    def role_at(self, offset: int) -> Role:
        if self.down_marker is not None and offset >= self.down_marker:
            return Role.DOWN
        return self.direction


def version_key(name: str) -> tuple[tuple[float, ...], str]:
    """Sort key from a leading version (`000012_`, `V1_2__`, `20240101120000_`, `2024-01-01-...`)."""
    match = _VERSION.match(name)
    if not match:
        return ((LAST,), name)
    return (tuple(float(n) for n in re.split(r"[._-]", match.group(1)) if n), name)


def find_sections(text: str) -> tuple[str, int | None, int | None] | None:
    """The single-file tool whose markers `text` carries, with the offsets of its two markers."""
    if "-- " not in text and "--" not in text:
        return None
    lowered = text.lower()
    for tool, up, down in SECTION_MARKERS:
        up_at = _marker(lowered, up)
        if up_at is None:
            continue
        return tool, up_at, _marker(lowered, down)
    return None


def _marker(lowered: str, marker: str) -> int | None:
    # Markers start a line; tolerate `--migrate:up` spacing variants by normalising one space.
    for variant in (marker, marker.replace("-- ", "--", 1)):
        at = lowered.find(variant)
        while at >= 0:
            line_start = at == 0 or lowered[at - 1] == "\n"
            after = lowered[at + len(variant) : at + len(variant) + 1]
            if line_start and (not after or not (after.isalnum() or after == "_")):
                return at
            at = lowered.find(variant, at + 1)
    return None


def recognise(path: str, text: str) -> Migration | None:
    """The migration a `.sql` file is, by its tool's conventions; None for other SQL."""
    parts = path.split("/")
    name = parts[-1]
    folder = "/".join(parts[:-1])
    unit = MigrationUnit()
    sections = find_sections(text)
    if sections is not None:
        tool, up_at, down_at = sections
        return Migration(
            tool,
            path,
            folder,
            version_key(name),
            Role.UP,
            unit,
            up_marker=up_at,
            down_marker=down_at,
        )
    match = _GOLANG.match(name)
    if match:
        direction = Role.DOWN if match.group("direction").lower() == "down" else Role.UP
        return Migration("golang-migrate", path, folder, version_key(name), direction, unit)
    if name.lower() in ("up.sql", "down.sql") and len(parts) >= 2:
        direction = Role.DOWN if name.lower() == "down.sql" else Role.UP
        return Migration(
            "diesel", path, "/".join(parts[:-2]), version_key(parts[-2]), direction, unit
        )
    match = _FLYWAY.match(name)
    if match:
        direction = Role.DOWN if match.group("kind") == "U" else Role.UP
        return Migration("flyway", path, folder, version_key(name[1:]), direction, unit)
    if _FLYWAY_REPEATABLE.match(name):
        return Migration("flyway", path, folder, ((LAST,), name), Role.UP, unit)
    folders = {p.lower() for p in parts[:-1]}
    if folders & MIGRATION_DIRS:
        tool = "supabase" if "supabase" in folders else "folder"
        stem = name.rsplit(".", 1)[0].lower()
        direction = Role.DOWN if stem.endswith(_DOWN_SUFFIXES) else Role.UP
        return Migration(tool, path, folder, version_key(name), direction, unit)
    return None


def migration_of(document: SqlDocument) -> Migration | None:
    """The document's migration, recognised once and kept in `document.attributes`."""
    attributes = document.attributes
    if "migration" not in attributes:
        found = recognise(document.path, document.text) if document.origin == "file" else None
        if found is not None:
            found.unit.documents.append(document)
        attributes["migration"] = found
    migration = attributes["migration"]
    return migration if isinstance(migration, Migration) else None


def dialect_of_path(path: str) -> str | None:
    """The database a folder name says a file is for (`.../sqlite/0001_init.sql`)."""
    for part in reversed(path.split("/")[:-1]):
        dialect = BACKEND_FOLDERS.get(part.lower())
        if dialect is not None:
            return dialect
    return None


def unchecked(document: SqlDocument) -> bool:
    """SQL the rules do not check: test code, and SQL in a folder for another database than the
    dialect it was parsed with (what the parser cannot read there is not worth a notice)."""
    if is_test_code(document):
        return True
    folder_dialect = dialect_of_path(document.path)
    return folder_dialect is not None and folder_dialect != document.dialect


def role_of(document: SqlDocument, statement: SqlStatement) -> Role | None:
    """QUERY, UP or DOWN; None for SQL the rules do not check (`unchecked`)."""
    if unchecked(document):
        return None
    migration = migration_of(document)
    if migration is None:
        return Role.QUERY
    return migration.role_at(statement.start)


def is_sequence_name(document: SqlDocument, key: str) -> bool:
    """`ALTER TABLE x_id_seq RENAME ...` is Postgres's way to rename a sequence: a name ending in
    `_seq` (what `serial` columns get) or a sequence this migration creates."""
    migration = migration_of(document)
    return key.rsplit(".", 1)[-1].endswith("_seq") or (
        migration is not None and migration.unit.created_sequence(key)
    )


def column_created_in_same_migration(document: SqlDocument, key: str | None, column: str) -> bool:
    """Whether the migration holding `document` itself adds `column` to table `key`."""
    migration = migration_of(document)
    return key is not None and migration is not None and migration.unit.created_column(key, column)


def created_in_same_migration(document: SqlDocument, key: str | None) -> bool:
    """Whether the migration holding `document` itself creates table `key` (so no one uses it yet)."""
    migration = migration_of(document)
    return key is not None and migration is not None and key in migration.unit.created_tables


TEST_DIRS = frozenset({"test", "tests", "testing"})


def is_test_path(path: str) -> bool:
    """Test code: `tests/` folders, `test_*.py`, `*_test.py`, `conftest.py`."""
    parts = path.split("/")
    name = parts[-1]
    return (
        any(p in TEST_DIRS for p in parts[:-1])
        or name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
    )


def is_test_code(document: SqlDocument) -> bool:
    """SQL in test code builds scratch tables and empties them on purpose: not the product's schema
    or queries, so the SQL rules and the schema catalog leave it out."""
    return is_test_path(document.path)


def is_synthesized(document: SqlDocument) -> str | None:
    """The Python API a document was translated from (`"alembic"`), if it is not literal SQL."""
    value = document.attributes.get("synthesized")
    return str(value) if value else None


# -- the timeline: which migrations are history ------------------------------------------------

# Catalog tag of the rules about *applying* a migration (locks, rewrites, drops, reversibility):
# their findings matter only for migrations that have not run yet.
TIMELINE_TAG = "migrations"
# Catalog tag of rules whose findings in a data migration (a `RunPython` function, an Alembic
# revision's data step) are worth a comment only until it has run: a swallowed error or a missing
# rollback in a revision applied everywhere has no fix left. Held back in history like the above.
DATA_MIGRATION_TAG = "data-migrations"
_DJANGO_MIGRATION = re.compile(r"^\d{4}_\w*\.py$")


@dataclass(frozen=True, slots=True)
class MigrationFile:
    """One migration file on the timeline of its folder."""

    path: str
    stream: str
    version: tuple[float, ...]
    revision: str | None = None  # Alembic
    down_revisions: tuple[str, ...] = ()
    # Tables its up part creates (keys as `sql.names.table_key` gives them).
    creates: frozenset[str] = frozenset()


def timeline_file(
    path: str, text: str | None, alembic: tuple[str, tuple[str, ...]] | None = None
) -> MigrationFile | None:
    """The timeline entry of a file: a `.sql` migration by its tool's conventions, an Alembic
    revision (given its revision ids), or a Django migration (`<app>/migrations/0001_x.py`)."""
    folder, _, name = path.rpartition("/")
    if alembic is not None:
        # One revision graph per Alembic script folder, whose `versions/` may have subfolders.
        parts = folder.split("/")
        if "versions" in parts:
            folder = "/".join(parts[: len(parts) - parts[::-1].index("versions")])
        return MigrationFile(path, folder, version_key(name)[0], alembic[0], alembic[1])
    if path.endswith(".sql"):
        migration = recognise(path, text or "")
        if migration is None or migration.version[0] == (LAST,):
            return None  # repeatable or unnumbered files re-run every time: never history
        return MigrationFile(path, migration.stream, migration.version[0])
    django = _DJANGO_MIGRATION.match(name) and folder.rsplit("/", 1)[-1] in MIGRATION_DIRS
    if path.endswith(".py") and django:
        return MigrationFile(path, folder, version_key(name)[0])
    return None


StartAfter = str | dict[str, str | list[str]] | None


@dataclass(slots=True)
class Timeline:
    """Which migration files are history (applied everywhere, never to be edited again).

    `start_after` (config `migrations.start-after`) is either one cut-off for every folder or a
    cut-off per folder: a version (`0042`, `20240101120000`, a file name) or, for Alembic, a
    revision id (or a list of them, one per head); that migration and everything before it is
    history. Folders without a cut-off, when a mapping is given, are new: all checked. Without
    any setting, every migration but the newest of its folder is history. `fresh` paths (changed
    by the pull request, uncommitted, untracked) are never history.
    """

    files: dict[str, MigrationFile]
    history: frozenset[str]
    by_setting: bool

    @classmethod
    def build(
        cls,
        files: list[MigrationFile],
        start_after: StartAfter = None,
        fresh: frozenset[str] = frozenset(),
    ) -> Timeline:
        streams: dict[str, list[MigrationFile]] = {}
        for item in files:
            streams.setdefault(item.stream, []).append(item)
        history: set[str] = set()
        for stream, members in streams.items():
            if isinstance(start_after, dict):
                cut = start_after.get(stream)
                if cut is None:
                    continue
            else:
                cut = start_after
            history.update(_history_of(members, cut))
        return cls({f.path: f for f in files}, frozenset(history - fresh), start_after is not None)

    def is_history(self, path: str) -> bool:
        return path in self.history


def _history_of(members: list[MigrationFile], cut: str | list[str] | None) -> set[str]:
    revisions = {m.revision: m for m in members if m.revision}
    if revisions:
        if cut is None:
            followed = {r for m in members for r in m.down_revisions}
            heads = [r for r in revisions if r not in followed]
        else:
            heads = [cut] if isinstance(cut, str) else list(cut)
            heads = [h for h in heads if h in revisions]
        applied = _ancestors(heads, revisions)
        if cut is None:  # default: the heads themselves are still under review
            applied -= set(heads)
        return {revisions[r].path for r in applied}
    if cut is None:
        newest = max(m.version for m in members)
        return {m.path for m in members if m.version < newest}
    cuts = [cut] if isinstance(cut, str) else cut
    limit = max((version_key(c.rsplit("/", 1)[-1])[0] for c in cuts), default=(LAST,))
    if limit == (LAST,):
        return set()
    return {m.path for m in members if m.version <= limit}


def _ancestors(heads: list[str], revisions: dict[str, MigrationFile]) -> set[str]:
    seen: set[str] = set()
    todo = list(heads)
    while todo:
        revision = todo.pop()
        if revision in seen or revision not in revisions:
            continue
        seen.add(revision)
        todo.extend(revisions[revision].down_revisions)
    return seen


def newest_per_stream(files: list[MigrationFile]) -> dict[str, str | list[str]]:
    """What `reviewbot init` writes under `migrations.start-after`: each folder's newest
    migration (its version, or its Alembic head revisions)."""
    streams: dict[str, list[MigrationFile]] = {}
    for item in files:
        streams.setdefault(item.stream, []).append(item)
    out: dict[str, str | list[str]] = {}
    for stream, members in sorted(streams.items()):
        revisions = [m.revision for m in members if m.revision]
        if revisions:
            followed = {r for m in members for r in m.down_revisions}
            heads = sorted(r for r in revisions if r not in followed)
            if heads:
                out[stream] = heads[0] if len(heads) == 1 else heads
            continue
        newest = max(members, key=lambda m: m.version)
        out[stream] = newest.path.rsplit("/", 1)[-1]
    return out


_ALEMBIC_ID = re.compile(
    r"^(?P<key>revision|down_revision)\s*(?::[^=\n]*)?=\s*(?P<value>[^\n]*)$", re.MULTILINE
)


def alembic_ids(text: str) -> tuple[str, tuple[str, ...]] | None:
    """`revision` and `down_revision` of an Alembic revision file, read as text (never run)."""
    if "def upgrade" not in text:
        return None
    found: dict[str, list[str]] = {}
    for match in _ALEMBIC_ID.finditer(text):
        found.setdefault(match.group("key"), re.findall(r"['\"]([^'\"]+)['\"]", match["value"]))
    revision = found.get("revision")
    if not revision:
        return None
    return revision[0], tuple(found.get("down_revision") or ())


def migrations_under(files: list[tuple[str, str]]) -> list[MigrationFile]:
    """Timeline entries of (path, text) pairs read from disk (`reviewbot init`): `.sql` files by
    convention, Alembic revisions by their `revision` / `down_revision` lines, Django by name.
    Test code is left out, as the scan leaves it out."""
    found: list[MigrationFile] = []
    for path, text in files:
        if is_test_path(path):
            continue
        ids = alembic_ids(text) if path.endswith(".py") else None
        item = timeline_file(path, text, ids)
        if item is not None:
            found.append(item)
    return found
