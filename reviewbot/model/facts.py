"""Kinds of facts the per-file pass records for the project rules (`FileOutcome.facts`).

Named here, apart from the visitors that record them, so the scan reads them without importing
libcst or sqlglot.
"""

from __future__ import annotations

from dataclasses import dataclass

# A finding a foreign suppression (`# nosec`, `# noqa: S608`) answered (python/foreign.py).
FOREIGN_FACT = "foreign-suppressed"
# An Alembic revision's ids (AlembicRevision, recorded by sql/extract.py).
REVISION_FACT = "alembic-revision"
# A migration without a way back (MissingDown, recorded by sql/extract.py).
MISSING_DOWN_FACT = "missing-down-migration"
# Alembic operations left out of the translation (a computed table name, a loop variable, star
# arguments, an unknown operation, `op.execute` of built SQL): the SQL of such a revision is
# only part of what it runs, which a verification on a real database must know.
UNTRANSLATED_FACT = "alembic-untranslated"

# A rule whose findings in this file wait for the whole project to complete their fixes (the
# value is the rule's id): the scan calls that rule's `Rule.complete_fixes` after the per-file
# pass, from the facts of every file, cached or not.
OPEN_FIX_FACT = "open-fix"
# The algorithm of a JWT `encode` call ("" when it is not a literal), and a decode without
# `algorithms=` whose fix waits for them (JwtPin): jwt-without-verification.
JWT_ISSUED_FACT = "jwt-issued"
JWT_PIN_FACT = "jwt-pin"

# Facts about SQL: with none of these and no SQL document, the SQL side of a project is empty.
SQL_FACTS = frozenset({REVISION_FACT, MISSING_DOWN_FACT, UNTRANSLATED_FACT})


@dataclass(frozen=True, slots=True)
class MissingDown:
    """A Python migration that cannot be reversed; read by the `missing-down-migration` rule."""

    line: int
    column: int
    end_line: int
    end_column: int
    message: str


@dataclass(frozen=True, slots=True)
class AlembicRevision:
    """An Alembic revision and the ones it follows: the catalog orders revisions by these, even
    those whose own operations produce no SQL."""

    revision: str
    down_revisions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class JwtPin:
    """A JWT decode without `algorithms=`, at `line`/`column` (its finding's start), whose
    `algorithms=[...]` goes in at character `offset` (after its last argument)."""

    line: int
    column: int
    offset: int
