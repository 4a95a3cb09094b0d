"""Migrations have a timeline: findings of the rules about applying a migration are held back for
migrations that are history (applied everywhere, never to be edited again).

Which migrations are history is decided in one place, `sql.migrations.Timeline`; this module
asks it after the scan, splits the findings, and words the one line the report carries.
"""

from __future__ import annotations

from pathlib import Path

from reviewbot.model.catalog import RuleMeta
from reviewbot.model.findings import Finding
from reviewbot.sql.migrations import DATA_MIGRATION_TAG, TIMELINE_TAG, MigrationFile, Timeline
from reviewbot.workspace.config import Config
from reviewbot.workspace.diff import uncommitted_paths

NOTE_PREFIX = "Migration timeline:"
SETTING = "`migrations: start-after:` in .reviewbot.yml"


def timeline_rules(metas: dict[str, RuleMeta]) -> frozenset[str]:
    """Rules about applying a migration (catalog tag `migrations`), and rules whose findings in a
    data migration matter only before it runs (`data-migrations`). Rules measured on a
    database (`reviewbot migrations verify`) choose the migrations they run themselves."""
    return frozenset(
        rid
        for rid, meta in metas.items()
        if (TIMELINE_TAG in meta.tags or DATA_MIGRATION_TAG in meta.tags)
        and meta.language != "database"
    )


def fresh_paths(root: Path) -> frozenset[str]:
    """Uncommitted and untracked files, as paths relative to `root` (never history)."""
    found = uncommitted_paths(root)
    if found is None:
        return frozenset()
    top, paths = found
    if root == top or not root.is_relative_to(top):
        return paths
    prefix = root.relative_to(top).as_posix() + "/"
    return frozenset(p[len(prefix) :] for p in paths if p.startswith(prefix))


def hold_back(
    findings: list[Finding], timeline: Timeline, rules: frozenset[str]
) -> tuple[list[Finding], list[Finding]]:
    """(findings to report, findings in history migrations)."""
    shown: list[Finding] = []
    held: list[Finding] = []
    for finding in findings:
        if finding.rule in rules and timeline.is_history(finding.path):
            held.append(finding)
        else:
            shown.append(finding)
    return shown, held


def describe(held: list[Finding], timeline: Timeline) -> str | None:
    """The report's one line about what the timeline held back, with how to change it."""
    if not held:
        return None
    files = len({f.path for f in held})
    noun = "finding" if len(held) == 1 else "findings"
    where = f"{files} applied migration" + ("" if files == 1 else "s")
    if timeline.by_setting:
        why = f"up to {SETTING}"
    else:
        why = (
            "every migration but the newest of each folder, and uncommitted ones, counts as "
            "applied; `reviewbot init` writes " + SETTING
        )
    return (
        f"{NOTE_PREFIX} {len(held)} {noun} in {where} not shown ({why}; "
        "`reviewbot scan --all-migrations` shows them, `--diff REF` checks what a change adds)."
    )


def apply(
    findings: list[Finding],
    migrations: list[MigrationFile],
    metas: dict[str, RuleMeta],
    config: Config,
) -> tuple[list[Finding], list[Finding], str | None]:
    timeline = Timeline.build(migrations, config.start_after, fresh_paths(config.root))
    shown, held = hold_back(findings, timeline, timeline_rules(metas))
    return shown, held, describe(held, timeline)
