"""Installing a repository's project rules beside the bundled catalog (and uninstalling them).

Light on purpose: `load_config` calls `install` for every command, and libcst and sqlglot
(about a second) load only when the repository has project rules to compile.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from reviewbot.model.catalog import bundled_catalog, set_project_rules

if TYPE_CHECKING:
    from reviewbot.project_rules.spec import RuleSpec

# Ids of the project rules installed now, with their spec.
INSTALLED: dict[str, RuleSpec] = {}
_ROOT: list[Path] = []


def install(root: Path) -> list[RuleSpec]:
    """Read, validate and compile `root/.reviewbot/rules/*.yml` and make them rules like the
    built-in ones (catalog, registry, checklist mapping). ConfigError on any mistake."""
    from reviewbot.project_rules.spec import read_rules, rule_files

    resolved = root.resolve()
    if _ROOT and _ROOT[0] == resolved and not INSTALLED and not rule_files(resolved):
        return []
    uninstall()
    _ROOT[:] = [resolved]
    if not rule_files(resolved):
        return []
    specs = read_rules(resolved, frozenset(bundled_catalog()))
    from reviewbot.project_rules.rules import register

    register(specs)  # compiles every pattern first: nothing is installed if one is refused
    INSTALLED.update({spec.meta.id: spec for spec in specs})
    set_project_rules({spec.meta.id: spec.meta for spec in specs})
    _mapping_changed()
    return specs


def uninstall() -> None:
    _ROOT.clear()
    if not INSTALLED:
        return
    from reviewbot.project_rules.rules import unregister

    unregister(list(INSTALLED))
    INSTALLED.clear()
    set_project_rules({})
    _mapping_changed()


def _mapping_changed() -> None:
    from reviewbot.checklist.mapping import default_mapper

    default_mapper.cache_clear()


def digests(rule_ids: frozenset[str]) -> dict[str, str]:
    """The content of the enabled project rules, for the cache key."""
    return {rid: INSTALLED[rid].digest for rid in sorted(rule_ids) if rid in INSTALLED}


def install_for(start: Path) -> list[RuleSpec]:
    """Project rules of the repository `start` is in: next to its config, else at its top."""
    from reviewbot.workspace.config import find_config_file, git_toplevel

    start = start.resolve()
    found = find_config_file(start)
    return install(found.parent if found is not None else git_toplevel(start) or start)
