"""What to run on the database: each migration folder's migrations in order, with their up and down
steps as the statements the tool would send.

Built from the scan's SQL documents, so every convention `sql.migrations` recognises is covered:
golang-migrate and diesel pairs, dbmate / goose / sql-migrate sections, Flyway `V`/`U` files,
plain `migrations/` folders, and Alembic revisions through their operations translated to DDL
(no repository code runs). Django migrations are Python operations the scan does not translate
whole: they are listed as not verifiable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from reviewbot.sql.extract import REVISION_FACT, UNTRANSLATED_FACT, AlembicRevision
from reviewbot.sql.migrations import Migration, Role, is_test_path, migration_of, role_of
from reviewbot.sql.schema import alembic_ranks, migration_order
from reviewbot.sql.source import SqlDocument

# Tools that run each migration in one transaction unless the file says otherwise.
_NO_TRANSACTION = re.compile(
    r"--\s*(?:migrate:up\s+transaction:false|\+goose\s+no\s+transaction|\+migrate\s+notransaction)",
    re.IGNORECASE,
)
_OUTSIDE_TRANSACTION = re.compile(
    r"\b(?:concurrently|vacuum|alter\s+system|"
    r"create\s+database|drop\s+database|reindex\s+database)\b",
    re.IGNORECASE,
)
_DOWN_NAME = re.compile(r"[._-]?(?:down|rollback|undo|revert)$", re.IGNORECASE)
VERIFIABLE_TOOLS = frozenset(
    {
        "golang-migrate",
        "dbmate",
        "goose",
        "sql-migrate",
        "flyway",
        "diesel",
        "folder",
        "supabase",
        "alembic",
    }
)


@dataclass(slots=True)
class Step:
    """One statement of a step, with where to report it."""

    sql: str
    document: SqlDocument
    offset: int  # in the document

    def position(self) -> tuple[str, int]:
        line, _ = self.document.host_position(self.offset)
        return self.document.path, line


@dataclass(slots=True)
class Unit:
    """One migration: its up statements and (when the tool has them) its down statements."""

    key: str
    tool: str
    stream: str
    path: str  # the up side's file
    up: list[Step] = field(default_factory=list)
    down: list[Step] = field(default_factory=list)
    down_path: str | None = None
    has_down_convention: bool = True
    in_transaction: bool = True
    # Operations of the file that are not in `up`/`down` (Alembic ops reviewbot cannot translate):
    # what the database does with the rest is not what the tool would do.
    untranslated: int = 0

    @property
    def name(self) -> str:
        return self.path.rpartition("/")[2]


@dataclass(slots=True)
class Plan:
    streams: dict[str, list[Unit]] = field(default_factory=dict)
    unverifiable: list[str] = field(default_factory=list)  # paths, with why

    @property
    def units(self) -> list[Unit]:
        return [unit for units in self.streams.values() for unit in units]


def _unit_key(migration: Migration) -> str:
    path = migration.path
    if migration.tool == "golang-migrate":
        return re.sub(r"\.(up|down)\.sql$", "", path, flags=re.IGNORECASE)
    if migration.tool == "diesel":
        return path.rpartition("/")[0]
    if migration.tool == "flyway":
        folder, _, name = path.rpartition("/")
        return f"{folder}/{name[1:].split('__', 1)[0]}"
    if migration.tool in ("folder", "supabase"):
        stem = path.rsplit(".", 1)[0]
        return _DOWN_NAME.sub("", stem)
    return path


def build_plan(project: Any) -> Plan:
    revisions = {
        path: (fact.revision, fact.down_revisions)
        for path, fact in project.facts.get(REVISION_FACT, ())
        if isinstance(fact, AlembicRevision)
    }
    untranslated: dict[str, int] = {}
    for path, _ in project.facts.get(UNTRANSLATED_FACT, ()):
        untranslated[path] = untranslated.get(path, 0) + 1
    plan = Plan()
    units: dict[str, Unit] = {}
    order: list[str] = []
    for document in migration_order(project.sql_documents, revisions):
        migration = migration_of(document)
        if migration is None or is_test_path(document.path):
            continue
        if migration.tool == "alembic" and not migration.revision:
            continue  # Alembic API used outside a revision file (a CLI, env.py): not a migration
        if migration.tool not in VERIFIABLE_TOOLS:
            if document.path not in plan.unverifiable:
                plan.unverifiable.append(document.path)
            continue
        key = _unit_key(migration)
        unit = units.get(key)
        if unit is None:
            unit = units[key] = Unit(
                key=key,
                tool=migration.tool,
                stream=migration.stream,
                path=document.path,
                has_down_convention=migration.tool not in ("folder", "supabase", "flyway"),
                untranslated=untranslated.get(document.path, 0),
            )
        if migration.tool == "flyway" and migration.direction == Role.DOWN:
            unit.has_down_convention = True
        if _NO_TRANSACTION.search(document.text):
            unit.in_transaction = False
        for statement in document.statements:
            role = role_of(document, statement)
            if role is None:
                continue
            for part, start, end in _parts(migration, statement.start, statement.end, role):
                step = Step(document.text[start:end].strip(), document, start)
                if step.sql:
                    _add(unit, step, part, key, order)
    # A revision whose operations were all left untranslated has no SQL document, yet changes
    # the schema: it stays in the sequence, so what follows it is known to be approximate.
    for path, count in untranslated.items():
        if path not in units and path in revisions and not is_test_path(path):
            units[path] = Unit(
                key=path,
                tool="alembic",
                stream=path.rpartition("/")[0],
                path=path,
                untranslated=count,
            )
            order.append(path)
    ranks = alembic_ranks(revisions)
    for key in order:
        unit = units[key]
        plan.streams.setdefault(unit.stream, []).append(unit)
    for members in plan.streams.values():
        if all(unit.tool == "alembic" for unit in members):
            members.sort(key=lambda unit: (ranks.get(unit.path, len(ranks)), unit.path))
    return plan


def _parts(migration: Migration, start: int, end: int, role: Role) -> list[tuple[Role, int, int]]:
    """A statement as the tool sends it. A goose `StatementEnd` (or a section marker) ends a
    statement that has no `;`, so a span that crosses the down marker is two statements."""
    marker = migration.down_marker
    if marker is not None and start < marker < end:
        return [(Role.UP, start, marker), (Role.DOWN, marker, end)]
    return [(role, start, end)]


def _add(unit: Unit, step: Step, role: Role, key: str, order: list[str]) -> None:
    if role == Role.DOWN:
        unit.down.append(step)
        unit.down_path = unit.down_path or step.document.path
        return
    if not unit.up:
        unit.path = step.document.path
    unit.up.append(step)
    if key not in order:
        order.append(key)


def needs_autocommit(unit: Unit, steps: list[Step]) -> bool:
    """Whether these statements must run outside a transaction block (as the tool would run them)."""
    return not unit.in_transaction or any(_OUTSIDE_TRANSACTION.search(s.sql) for s in steps)
