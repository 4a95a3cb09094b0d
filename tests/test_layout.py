"""The package layout's promises (ARCHITECTURE.md): `checks/<language>/` holds rules only, one
module per rule id, and rules never import each other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from reviewbot.checks import load_all
from reviewbot.model.rule import REGISTRY

PACKAGE = Path(__file__).resolve().parents[1] / "reviewbot"
CHECKS = PACKAGE / "checks"
RULE_MODULES = sorted(p for p in CHECKS.glob("*/*.py") if p.name != "__init__.py")


def test_rule_modules_found() -> None:
    assert len(RULE_MODULES) >= 30


@pytest.mark.parametrize("path", RULE_MODULES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_each_check_module_is_one_rule_named_after_its_id(path: Path) -> None:
    load_all()
    dotted = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    defined = [rule_id for rule_id, cls in REGISTRY.items() if cls.__module__ == dotted]
    assert defined == [path.stem.replace("_", "-")]


@pytest.mark.parametrize("path", RULE_MODULES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_rules_never_import_each_other(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = [
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module is not None
    ] + [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    ]
    assert [name for name in imported if name.startswith("reviewbot.checks")] == []


def test_only_the_entry_points_sit_at_the_top() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert top == ["__init__.py", "__main__.py", "cli.py", "entry.py"]
