"""The catalog and the implementations match one to one, and every catalog example holds."""

from __future__ import annotations

import pytest

from reviewbot.model.catalog import Example, load_catalog
from reviewbot.model.rule import REGISTRY
from tests.conftest import scan_texts

CATALOG = load_catalog()
STABLE = {rid: meta for rid, meta in CATALOG.items() if not meta.planned}


def test_every_implementation_has_a_catalog_entry() -> None:
    assert set(REGISTRY) - set(CATALOG) == set()


def test_every_stable_entry_has_an_implementation_and_planned_ones_do_not() -> None:
    assert set(STABLE) == set(REGISTRY)


@pytest.mark.parametrize("rule_id", sorted(STABLE))
def test_stable_rule_is_documented(rule_id: str) -> None:
    meta = STABLE[rule_id]
    assert "## Why" in meta.docs and "## Instead" in meta.docs, rule_id
    assert meta.invalid and meta.valid, f"{rule_id} needs valid and invalid examples"
    assert meta.summary


def _cases() -> list[tuple[str, str, int, Example]]:
    cases = []
    for rule_id, meta in STABLE.items():
        if meta.language == "database":
            continue  # proven on PostgreSQL: tests/test_migrations_verify.py runs these
        cases += [(rule_id, "invalid", i, e) for i, e in enumerate(meta.invalid)]
        cases += [(rule_id, "valid", i, e) for i, e in enumerate(meta.valid)]
    return cases


@pytest.mark.parametrize(
    ("rule_id", "kind", "index", "example"),
    _cases(),
    ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in _cases()],
)
def test_catalog_example(rule_id: str, kind: str, index: int, example: Example) -> None:
    result = scan_texts(example.files, [rule_id])
    assert not [e for e in result.errors if e.kind == "rule-crash"], result.errors
    hits = [f for f in result.findings if f.rule == rule_id]
    if kind == "invalid":
        assert hits, f"{rule_id} invalid example {index} was not flagged"
    else:
        assert not hits, f"{rule_id} valid example {index} was flagged: {hits}"


def test_rule_pages_match_the_catalog() -> None:
    from pathlib import Path

    from reviewbot.model.rule_docs import DOCS_PATH, expected_pages

    folder = Path(__file__).resolve().parents[1] / DOCS_PATH
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in folder.glob("*.md")}
    expected = expected_pages()
    assert set(on_disk) == set(expected), "run `python -m reviewbot.model.rule_docs`"
    stale = sorted(name for name, text in expected.items() if on_disk[name] != text)
    assert not stale, f"stale rule pages {stale}: run `python -m reviewbot.model.rule_docs`"
