"""Rule implementations; importing a module registers its rules (see `reviewbot.model.rule.REGISTRY`)."""

from __future__ import annotations

import importlib
import pkgutil


def load_all() -> None:
    """Import every rule module below this package exactly once."""
    for info in pkgutil.walk_packages(__path__, prefix=f"{__name__}."):
        importlib.import_module(info.name)
