"""missing-down-migration: a migration whose down migration is missing, empty, or a no-op."""

from __future__ import annotations

import re
from pathlib import Path

from reviewbot.model.facts import MISSING_DOWN_FACT, MissingDown
from reviewbot.model.findings import Fix
from reviewbot.model.registry import ProjectRule
from reviewbot.sql.fixes import (
    alembic_down_fix,
    down_file_path,
    file_down_fix,
    prior_types,
    section_down_fix,
)
from reviewbot.sql.inverse import PriorType
from reviewbot.sql.migrations import Migration, Role, is_test_path, migration_of
from reviewbot.sql.schema import catalog_of
from reviewbot.sql.source import SqlDocument

_UP_SUFFIX = re.compile(r"\.up\.sql$", re.IGNORECASE)
SECTION_DOWN = {
    "dbmate": "-- migrate:down",
    "goose": "-- +goose Down",
    "sql-migrate": "-- +migrate Down",
}


def _has_sql(document: SqlDocument, start: int = 0, end: int | None = None) -> bool:
    """Whether a document (or the part of it between two offsets) holds any statement."""
    limit = len(document.text) if end is None else end
    return any(start <= s.start < limit for s in document.statements)


class MissingDownMigration(ProjectRule):
    id = "missing-down-migration"

    def check(self) -> None:
        documents = {
            d.path: d
            for d in self.project.sql_documents
            if d.origin == "file" and not is_test_path(d.path)
        }
        for document in documents.values():
            migration = migration_of(document)
            if migration is None or migration.direction != Role.UP:
                continue
            if migration.tool in SECTION_DOWN:
                self._sections(document, migration)
            elif migration.tool == "golang-migrate":
                down = _UP_SUFFIX.sub(".down.sql", document.path)
                self._pair(document, documents, down)
            elif migration.tool == "diesel":
                self._pair(document, documents, document.path[: -len("up.sql")] + "down.sql")
            elif migration.tool == "flyway" and Path(document.path).name.startswith("V"):
                self._flyway(document, documents)
        for path, fact in self.project.facts.get(MISSING_DOWN_FACT, ()):
            if isinstance(fact, MissingDown) and not is_test_path(path):
                source = self.project.sources.get(path)
                fix = (
                    alembic_down_fix(source, self.project.config.sql_dialect)
                    if source is not None and "def upgrade" in source.text
                    else None
                )
                self.report_at(
                    path,
                    fact.line,
                    fact.message,
                    column=fact.column,
                    end_line=fact.end_line,
                    end_column=fact.end_column,
                    fix=fix,
                )

    def _prior(self, document: SqlDocument) -> PriorType:
        """Column types before each statement of `document`, from the schema catalog."""
        return prior_types(catalog_of(self.project), document)

    def _down_file_fix(self, up: SqlDocument, path: str | None = None) -> Fix | None:
        """The down file written (or filled, when `path` names an empty one) for `up`."""
        if path is None:
            migration = migration_of(up)
            path = down_file_path(migration) if migration is not None else None
        if path is None:
            return None
        return file_down_fix(up, path, self.project.sources.get(path), self._prior(up))

    def _sections(self, document: SqlDocument, migration: Migration) -> None:
        down_at = migration.down_marker
        if not _has_sql(document, 0, down_at):
            return
        marker = SECTION_DOWN[migration.tool]
        if down_at is None:
            self.report_at(
                document.path,
                1,
                f"This {migration.tool} migration has no `{marker}` section; add one that "
                "undoes the up section so the migration can be rolled back.",
                fix=section_down_fix(document, migration, self._prior(document)),
            )
        elif not _has_sql(document, down_at):
            line, _ = document.host_position(down_at)
            self.report_at(
                document.path,
                line,
                f"The `{marker}` section is empty; write the statements that undo the up "
                "section so the migration can be rolled back.",
                end_column=len(document.host.line_text(line)) + 1,
                fix=section_down_fix(document, migration, self._prior(document)),
            )

    def _exists(self, path: str) -> bool:
        if path in self.project.sources:
            return True
        root = self.project.config.root
        try:
            return (Path(root) / path).is_file()
        except OSError:
            return False

    def _pair(self, up: SqlDocument, documents: dict[str, SqlDocument], down: str) -> None:
        if not _has_sql(up):
            return
        name = Path(down).name
        if not self._exists(down):
            self.report_at(
                up.path,
                1,
                f"`{Path(up.path).name}` has no `{name}`; add the down migration that undoes "
                "it so it can be rolled back.",
                fix=self._down_file_fix(up, down),
            )
            return
        down_document = documents.get(down)
        if down_document is not None and not _has_sql(down_document) and not down_document.errors:
            self.report_at(
                up.path,
                1,
                f"`{name}` is empty; write the statements that undo `{Path(up.path).name}` so "
                "it can be rolled back.",
                fix=self._down_file_fix(up, down),
            )

    def _flyway(self, up: SqlDocument, documents: dict[str, SqlDocument]) -> None:
        folder, _, name = up.path.rpartition("/")
        prefix = f"{folder}/" if folder else ""
        siblings = [
            p.rpartition("/")[2]
            for p in self.project.sources
            if p.rpartition("/")[0] == folder and p.rpartition("/")[2].startswith("U")
        ]
        # Undo migrations are optional in Flyway: only a project that writes them is held to it.
        if not siblings or not _has_sql(up):
            return
        version = name[1:].split("__", 1)[0]
        if not any(s[1:].split("__", 1)[0] == version for s in siblings):
            self.report_at(
                up.path,
                1,
                f"This project writes Flyway undo migrations, but `{name}` has no "
                f"`U{version}__*.sql`; add one so the version can be undone.",
                fix=self._down_file_fix(up),
            )
            return
        for sibling in siblings:
            if sibling[1:].split("__", 1)[0] == version:
                document = documents.get(prefix + sibling)
                if document is not None and not _has_sql(document) and not document.errors:
                    self.report_at(
                        up.path,
                        1,
                        f"`{sibling}` is empty; write the statements that undo `{name}`.",
                        fix=self._down_file_fix(up, prefix + sibling),
                    )
