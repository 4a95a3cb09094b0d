"""Migrations run for real: up, snapshot, down, compare, up again; locks read from `pg_locks`.

For each migration folder, in order, every migration's up step is applied (in one transaction,
as the tools run them, unless the file opts out or a statement cannot run in one). A migration
in focus (all of them, or in pull-request mode those the change adds or edits) is also:
- round-tripped: the schema is snapshotted before its up step, its down step applied, the
  schema compared with the snapshot, and its up step applied again;
- lock-traced: before it runs, each table that already exists gets a few rows; each statement
  runs in the migration's transaction and the relation locks it adds (`pg_locks` of this
  backend) and whether it rewrote a table (`pg_class.relfilenode` changed) are recorded.
A failing up step stops its folder (later migrations depend on it); the events are plain data
that the `checks/database/` rules turn into findings.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from reviewbot.database import snapshot
from reviewbot.database.plan import Plan, Step, Unit, needs_autocommit
from reviewbot.database.server import DatabaseError, connect, driver

SEED_ROWS = 3
# Lock modes that block other sessions' writes (SHARE and up); ACCESS EXCLUSIVE blocks reads too.
BLOCKING_MODES = {
    "ShareLock": "SHARE",
    "ShareRowExclusiveLock": "SHARE ROW EXCLUSIVE",
    "ExclusiveLock": "EXCLUSIVE",
    "AccessExclusiveLock": "ACCESS EXCLUSIVE",
}


@dataclass(frozen=True, slots=True)
class StepFailed:
    unit: Unit
    step: Step
    direction: str  # "up", "down", "up again"
    message: str
    seeded: bool = False


@dataclass(frozen=True, slots=True)
class DownIncomplete:
    unit: Unit
    differences: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LockTaken:
    unit: Unit
    step: Step
    table: str
    mode: str  # SQL spelling, e.g. "ACCESS EXCLUSIVE"
    rewrote: bool
    scanned: bool
    statement_ms: float
    held_ms: float
    rows: int
    index: int = 0  # of the statement in its step
    worked: bool = False  # the statement read or rewrote an existing table
    held_during_later_work: bool = False


@dataclass(slots=True)
class Verification:
    plan: Plan
    failures: list[StepFailed] = field(default_factory=list)
    incomplete: list[DownIncomplete] = field(default_factory=list)
    locks: list[LockTaken] = field(default_factory=list)
    applied: int = 0
    round_trips: int = 0
    traced: int = 0
    notes: list[str] = field(default_factory=list)


class _Failed(Exception):
    def __init__(self, step: Step, message: str, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.step = step
        self.message = message
        self.sqlstate = sqlstate


# undefined_table, undefined_column, undefined_object, undefined_function, invalid_schema_name
_UNDEFINED = {"42P01", "42703", "42704", "42883", "3F000"}
_QUOTED = re.compile(r'"([^"]+)"')


def _external_name(failed: _Failed, plan: Plan, stream: str) -> tuple[str, str | None] | None:
    """The object a failing statement needs that no migration of its own folder creates, and
    the other folder that does (None: none does). Then the schema starts from something outside
    these migrations (`create_all()`, a dump, another app's migrations), not a bug in them."""
    if failed.sqlstate not in _UNDEFINED:
        return None
    if failed.sqlstate == "42703":
        # A missing column of a table the migrations create is theirs to get right; only a
        # table made elsewhere makes the column someone else's.
        match = re.search(r'of relation "([^"]+)"', failed.message)
    else:
        match = _QUOTED.search(failed.message)
    if match is None:
        return None
    name = match.group(1).rsplit(".", 1)[-1]
    word = rf"(?:[\w$]+\.)?[`\"]?{re.escape(name)}[`\"]?(?![\w$])"
    creates = re.compile(
        rf"\bcreate\b[^;]*?\b(?:table|type|schema|sequence|view|function|index|domain)\s+"
        rf"(?:if\s+not\s+exists\s+)?{word}"
        rf"|\badd\s+(?:column\s+)?(?:if\s+not\s+exists\s+)?{word}"
        rf"|\brename\b[^;]*?\bto\s+{word}"
        rf"|\bcreate\s+table\b[^;]*?[(,]\s*{word}\s",
        re.IGNORECASE | re.DOTALL,
    )
    elsewhere: str | None = None
    for unit in plan.units:
        for step in unit.up:
            if step is not failed.step and creates.search(step.sql):
                if unit.stream == stream:
                    return None
                elsewhere = elsewhere or unit.stream
    return name, elsewhere


def _error_text(exc: Exception) -> str:
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    text = primary or str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    detail = getattr(diag, "message_detail", None) if diag is not None else None
    return f"{text} ({detail})" if detail else str(text)


def _relations(connection: Any) -> dict[str, tuple[int, int, int]]:
    """Existing ordinary tables: name -> (oid, relfilenode, sequential scans in this transaction).

    A changed relfilenode means the table was rewritten; a scan counted by
    `pg_stat_get_xact_numscans` means the statement read every row (validating `SET NOT NULL`,
    a `CHECK` or foreign key, building an index) while holding its lock."""
    rows = connection.execute(
        "SELECT format('%s', c.oid::regclass), c.oid::int8, c.relfilenode::int8, "
        "pg_stat_get_xact_numscans(c.oid) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') "
        "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
        "AND n.nspname NOT LIKE 'pg_toast%'"
    ).fetchall()
    return {str(name): (int(oid), int(node), int(scans)) for name, oid, node, scans in rows}


def _reset(connection: Any) -> None:
    """An empty database again, so each migration folder (an app, a plugin, a legacy chain)
    starts from nothing: every user schema dropped, `public` recreated."""
    schemas = connection.execute(
        "SELECT quote_ident(nspname) FROM pg_namespace WHERE nspname NOT IN "
        "('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg_toast%' "
        "AND nspname NOT LIKE 'pg_temp%'"
    ).fetchall()
    for (schema,) in schemas:
        connection.execute(f"DROP SCHEMA {schema} CASCADE")
    connection.execute("CREATE SCHEMA public")
    for (name,) in connection.execute(
        "SELECT quote_ident(extname) FROM pg_extension WHERE extname <> 'plpgsql'"
    ).fetchall():
        connection.execute(f"DROP EXTENSION IF EXISTS {name} CASCADE")


def _held_locks(connection: Any) -> set[tuple[int, str]]:
    rows = connection.execute(
        "SELECT relation::int8, mode FROM pg_locks WHERE pid = pg_backend_pid() "
        "AND locktype = 'relation' AND granted"
    ).fetchall()
    return {(int(rel), str(mode)) for rel, mode in rows}


class Verifier:
    def __init__(
        self,
        url: str,
        plan: Plan,
        focus: Callable[[Unit], bool] | None = None,
        trace: Callable[[Unit], bool] | None = None,
        isolate: bool = True,
    ) -> None:
        self.url = url
        self.isolate = isolate
        self.plan = plan
        self.focus = focus or (lambda unit: True)
        self.trace = trace or (lambda unit: False)
        self.result = Verification(plan)
        self.seeded = False

    def run(self) -> Verification:
        driver()
        connection = connect(self.url)
        try:
            for number, (stream, units) in enumerate(self.plan.streams.items()):
                if number and self.isolate:
                    _reset(connection)
                self._stream(connection, stream, units)
        finally:
            connection.close()
        return self.result

    # -- one folder ------------------------------------------------------------------------------

    def _stream(self, connection: Any, stream: str, units: list[Unit]) -> None:
        approximate: Unit | None = None
        for index, unit in enumerate(units):
            if unit.untranslated and approximate is None:
                approximate = unit
            focused = self.focus(unit) and approximate is None
            traced = self.trace(unit)
            before = snapshot.take(connection) if focused else None
            if traced:
                self._seed(connection)
                self.result.traced += 1
            try:
                self._apply(connection, unit, unit.up, trace=traced)
            except _Failed as failed:
                if approximate is not None:
                    self._approximate(stream, approximate)
                    return
                external = _external_name(failed, self.plan, stream)
                if external is not None:
                    name, creator = external
                    source = (
                        f"created by the migrations in {creator}, which run separately"
                        if creator is not None
                        else "which no migration statement creates (the schema starts from "
                        "`create_all()`, a dump or a schema file, or code makes it at run time)"
                    )
                    self.result.notes.append(
                        f"{stream or '.'}: not verifiable from {unit.name} on: it needs "
                        f"`{name}`, {source}."
                    )
                    return
                self.result.failures.append(
                    StepFailed(unit, failed.step, "up", failed.message, self.seeded)
                )
                rest = len(units) - index - 1
                if rest:
                    self.result.notes.append(
                        f"{stream or '.'}: {rest} later migration(s) not applied because "
                        f"{unit.name} failed."
                    )
                return
            self.result.applied += 1
            if not focused or not unit.down:
                continue
            assert before is not None
            if not self._round_trip(connection, unit, before):
                rest = len(units) - index - 1
                if rest:
                    self.result.notes.append(
                        f"{stream or '.'}: {rest} later migration(s) not applied because "
                        f"{unit.name} could not be applied again after its down step."
                    )
                return
        if approximate is not None:
            self._approximate(stream, approximate)

    def _approximate(self, stream: str, unit: Unit) -> None:
        self.result.notes.append(
            f"{stream or '.'}: verified up to {unit.name}, which runs {unit.untranslated} "
            "Alembic operation(s) reviewbot cannot translate to SQL (computed names, loops, "
            "built SQL); from there on the schema is not the one Alembic builds, so failures "
            "are not reported."
        )

    def _round_trip(self, connection: Any, unit: Unit, before: snapshot.Snapshot) -> bool:
        """Down, compare, up again. False when the folder cannot go on.

        When both steps can run in a transaction (almost always: PostgreSQL's DDL is
        transactional), the round trip runs in one that is rolled back afterwards, so the
        database is exactly the up step's whatever the down step did, and the folder goes on."""
        psycopg = driver()
        if needs_autocommit(unit, [*unit.down, *unit.up]):
            return self._round_trip_steps(connection, unit, before)
        try:
            with connection.transaction():
                self._round_trip_steps(connection, unit, before)
                raise psycopg.Rollback()
        except psycopg.Error as exc:  # the rollback itself failed: the connection is unusable
            raise DatabaseError(f"the database refused: {_error_text(exc)}") from exc
        return True

    def _round_trip_steps(self, connection: Any, unit: Unit, before: snapshot.Snapshot) -> bool:
        try:
            self._apply(connection, unit, unit.down)
        except _Failed as failed:
            self.result.failures.append(StepFailed(unit, failed.step, "down", failed.message))
            return True  # the down step rolled back: the schema is still the up step's
        after_down = snapshot.take(connection)
        differences = snapshot.difference(before, after_down)
        if differences:
            self.result.incomplete.append(DownIncomplete(unit, tuple(differences)))
        try:
            self._apply(connection, unit, unit.up)
        except _Failed as failed:
            # After an incomplete down step this failure is its consequence ("already exists"),
            # already reported; on its own it means the down step left something behind.
            if not differences:
                self.result.failures.append(
                    StepFailed(unit, failed.step, "up again", failed.message)
                )
            return False
        self.result.round_trips += 1
        return True

    # -- statements --------------------------------------------------------------------------------

    def _apply(self, connection: Any, unit: Unit, steps: list[Step], trace: bool = False) -> None:
        psycopg = driver()
        if needs_autocommit(unit, steps):
            for step in steps:
                try:
                    connection.execute(step.sql)
                except psycopg.Error as exc:
                    raise _Failed(step, _error_text(exc), exc.sqlstate) from exc
            return
        existing = _relations(connection) if trace else {}
        names = {oid: name for name, (oid, _, _) in existing.items()}
        rows = self._row_counts(connection, existing) if trace else {}
        pending: list[LockTaken] = []
        # Per statement: did it read or rewrite an existing table (work that grows with data)?
        worked: list[bool] = []
        try:
            with connection.transaction():
                held = _held_locks(connection) if trace else set()
                for step in steps:
                    before = _relations(connection) if trace else {}
                    began = time.perf_counter()
                    try:
                        connection.execute(step.sql)
                    except psycopg.Error as exc:
                        raise _Failed(step, _error_text(exc), exc.sqlstate) from exc
                    took = (time.perf_counter() - began) * 1000
                    if not trace:
                        continue
                    now = _held_locks(connection)
                    after = _relations(connection)
                    work = {
                        table
                        for table, (_, node, scans) in after.items()
                        if table in before
                        and (node != before[table][1] or scans > before[table][2])
                    }
                    worked.append(bool(work))
                    for relation, mode in sorted(now - held):
                        table = names.get(relation)
                        if table is None or mode not in BLOCKING_MODES or table not in after:
                            continue
                        pending.append(
                            LockTaken(
                                unit,
                                step,
                                table,
                                BLOCKING_MODES[mode],
                                rewrote=after[table][1] != before.get(table, after[table])[1],
                                scanned=after[table][2] > before.get(table, after[table])[2],
                                statement_ms=took,
                                held_ms=time.perf_counter(),
                                rows=rows.get(table, 0),
                                index=len(worked) - 1,
                                worked=bool(work),
                            )
                        )
                    held = now
        except _Failed:
            raise
        except psycopg.Error as exc:  # the COMMIT itself (deferred constraints)
            raise _Failed(steps[-1], _error_text(exc)) from exc
        committed = time.perf_counter()
        strongest: dict[tuple[int, str], LockTaken] = {}
        for lock in pending:
            # A lock taken by a statement that did no work that grows with data (a catalog
            # change: ADD COLUMN, a new table's foreign key to an existing one) is held for
            # milliseconds, unless a later statement of the transaction does such work while
            # it is held. Queueing behind other sessions is the lock_timeout question.
            later = any(worked[lock.index + 1 :])
            if not lock.worked and not later:
                continue
            lock = replace(lock, held_during_later_work=not lock.worked and later)
            key = (id(lock.step), lock.table)
            # One finding per statement and table: the strongest lock it took.
            if key not in strongest or _rank(lock.mode) > _rank(strongest[key].mode):
                strongest[key] = lock
        for lock in strongest.values():
            # `held_ms` was the moment the statement ended; held until the commit.
            held_ms = (committed - lock.held_ms) * 1000 + lock.statement_ms
            self.result.locks.append(replace(lock, held_ms=held_ms))

    def _row_counts(
        self, connection: Any, tables: dict[str, tuple[int, int, int]]
    ) -> dict[str, int]:
        counts = {}
        for name in tables:
            row = connection.execute(f"SELECT count(*) FROM {name}").fetchone()
            counts[name] = int(row[0])
        return counts

    def _seed(self, connection: Any) -> None:
        """A few rows in every empty existing table, so locks and rewrites are those of a table
        in use (a rewrite of an empty table is free; a NOT NULL column added without a default
        only fails when rows exist). Tables it cannot fill (foreign keys, odd types) stay empty."""
        psycopg = driver()
        for name in _relations(connection):
            try:
                if connection.execute(f"SELECT EXISTS (SELECT 1 FROM {name})").fetchone()[0]:
                    continue
                columns = connection.execute(_REQUIRED_COLUMNS, (name,)).fetchall()
            except psycopg.Error:
                continue
            for number in range(1, SEED_ROWS + 1):
                values = []
                for column, category, type_name in columns:
                    literal = _literal(str(category), str(type_name), number)
                    if literal is None:
                        break
                    values.append((column, literal))
                else:
                    sql = (
                        f"INSERT INTO {name} DEFAULT VALUES"
                        if not values
                        else f"INSERT INTO {name} ({', '.join(c for c, _ in values)}) "
                        f"VALUES ({', '.join(v for _, v in values)})"
                    )
                    try:
                        with connection.transaction():
                            connection.execute(sql)
                        self.seeded = True
                    except psycopg.Error:
                        break


_REQUIRED_COLUMNS = (
    "SELECT quote_ident(a.attname), t.typcategory, format_type(a.atttypid, a.atttypmod) "
    "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
    "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
    "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped "
    "AND a.attnotnull AND d.adbin IS NULL AND a.attidentity = '' AND a.attgenerated = '' "
    "ORDER BY a.attnum"
)


def _literal(category: str, type_name: str, number: int) -> str | None:
    if category == "N":
        return str(number)
    if category == "S":
        return f"'seed {number}'"
    if category == "B":
        return "true"
    if category == "D":
        return f"now() - interval '{number} days'"
    if category == "T":
        return f"interval '{number} hours'"
    if category == "U" and type_name == "uuid":
        return "gen_random_uuid()"
    if category == "U" and type_name in ("json", "jsonb"):
        return "'{}'"
    if category == "E":
        return f"(SELECT enumlabel FROM pg_enum WHERE enumtypid = '{type_name}'::regtype ORDER BY enumsortorder LIMIT 1)::{type_name}"
    return None


def _rank(mode: str) -> int:
    return list(BLOCKING_MODES.values()).index(mode)


def verify(
    url: str,
    plan: Plan,
    focus: Callable[[Unit], bool] | None = None,
    trace: Callable[[Unit], bool] | None = None,
    isolate: bool = True,
) -> Verification:
    try:
        return Verifier(url, plan, focus, trace, isolate).run()
    except DatabaseError:
        raise
    except Exception as exc:
        psycopg = driver()
        if isinstance(exc, psycopg.Error):
            raise DatabaseError(f"the database refused: {_error_text(exc)}") from exc
        raise
