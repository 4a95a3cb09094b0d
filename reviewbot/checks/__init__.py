"""Rule implementations; importing a module registers its rules (see `reviewbot.model.rule.REGISTRY`).

Each rule is the module `<kind>/<id_with_underscores>.py` (tests/test_layout.py keeps it so), so a
scan finds the module of a rule id by its file name and imports only the rules it runs: a warm
scan, served from the cache, imports the project rules alone.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from pathlib import Path

# Folders whose rules run once per scan over the whole project (`ProjectRule`s).
PROJECT_KINDS = frozenset({"project", "database"})


def load_all() -> None:
    """Import every rule module below this package exactly once."""
    for info in pkgutil.walk_packages(__path__, prefix=f"{__name__}."):
        importlib.import_module(info.name)


@cache
def index() -> dict[str, str]:
    """Rule id -> kind (the folder of its module: python, sql, project, database)."""
    found: dict[str, str] = {}
    for folder in sorted(Path(__path__[0]).iterdir()):
        if not folder.is_dir() or folder.name.startswith(("_", ".")):
            continue
        for module in sorted(folder.glob("*.py")):
            if module.name != "__init__.py":
                found[module.stem.replace("_", "-")] = folder.name
    return found


def load(rule_ids: list[str]) -> None:
    """Import the modules of these rules (ids without a module are left out)."""
    kinds = index()
    for rule_id in rule_ids:
        kind = kinds.get(rule_id)
        if kind is not None:
            importlib.import_module(f"{__name__}.{kind}.{rule_id.replace('-', '_')}")
