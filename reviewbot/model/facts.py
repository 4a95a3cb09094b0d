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
