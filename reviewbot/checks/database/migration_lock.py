"""migration-lock: a statement that, measured on PostgreSQL, locks an existing table against writes."""

from __future__ import annotations

import re

from reviewbot.database.session import verification_of
from reviewbot.database.verify import LockTaken
from reviewbot.model.registry import ProjectRule

# (statement shape, the safer pattern), first match wins.
_ADVICE: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"^\s*create\s+(unique\s+)?index\b", re.I),
        "create the index with `CREATE INDEX CONCURRENTLY` outside a transaction",
    ),
    (
        re.compile(r"\badd\s+(constraint\s+\S+\s+)?(foreign\s+key|check)\b", re.I),
        "add the constraint `NOT VALID`, then `VALIDATE CONSTRAINT` in a later statement (it "
        "only takes SHARE UPDATE EXCLUSIVE)",
    ),
    (
        re.compile(r"\bset\s+not\s+null\b", re.I),
        "add `CHECK (col IS NOT NULL) NOT VALID`, validate it, then `SET NOT NULL` (PostgreSQL "
        "12+ skips the scan when a valid check proves it)",
    ),
    (
        re.compile(r"\b(alter\s+column\s+\S+\s+(set\s+data\s+)?type)\b", re.I),
        "add a new column, backfill it in batches, and switch reads and writes over",
    ),
    (
        re.compile(r"\badd\s+(column\s+)?\S+\s+.*\bdefault\b", re.I | re.S),
        "add the column without a volatile default, then backfill it in batches",
    ),
    (
        re.compile(r"\badd\s+(constraint\s+\S+\s+)?(unique|primary\s+key)\b", re.I),
        "build a unique index `CONCURRENTLY` first, then `ADD CONSTRAINT ... USING INDEX`",
    ),
)
_BLOCKS = {
    "ACCESS EXCLUSIVE": "every read and write",
    "EXCLUSIVE": "every write and `SELECT ... FOR UPDATE`",
    "SHARE ROW EXCLUSIVE": "every write",
    "SHARE": "every write (INSERT, UPDATE, DELETE)",
}


def advice(lock: LockTaken) -> str:
    for pattern, text in _ADVICE:
        if pattern.search(lock.step.sql):
            return f"Instead, {text}; and set `lock_timeout` so it gives up rather than queue."
    return "Set `lock_timeout` (e.g. `SET lock_timeout = '5s'`) so it gives up rather than queue."


class MigrationLock(ProjectRule):
    id = "migration-lock"

    def check(self) -> None:
        verification = verification_of(self.project)
        if verification is None:
            return
        for lock in verification.locks:
            path, line = lock.step.position()
            work = (
                " and rewrote the whole table (time grows with its size)"
                if lock.rewrote
                else " and read every row of it (time grows with its size)"
                if lock.scanned
                else ", while it reads every row of another table"
                if lock.worked
                else ", and keeps it while later statements of the migration read or rewrite tables"
                if lock.held_during_later_work
                else ""
            )
            article = "an" if lock.mode.startswith(("A", "E")) else "a"
            self.report_at(
                path,
                line,
                f"On PostgreSQL this statement took {article} {lock.mode} lock on `{lock.table}`, "
                f"an existing table{work}; it blocks "
                f"{_BLOCKS[lock.mode]} until the migration "
                f"commits (held {lock.held_ms:.0f} ms here with {lock.rows} rows). " + advice(lock),
            )
