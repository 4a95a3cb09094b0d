"""Annotated fixtures: every `expect: rule` line is flagged by that rule, nothing else is.

Each folder under tests/fixtures/rules/ is scanned as a repository with every stable rule on.
A line annotated `# expect: id[, id]` (or `-- expect: ...` in SQL) must carry a finding of each id;
`# ok: id` documents a look-alike that must stay clean. Any finding on a line without a matching
`expect` fails the test, so a false positive anywhere in a fixture is caught.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reviewbot.model.catalog import active_catalog
from reviewbot.scan.engine import Scanner
from reviewbot.workspace.config import Config

FIXTURES = Path(__file__).parent / "fixtures" / "rules"
ANNOTATION = re.compile(
    r"(?:#|--)\s*(?P<kind>expect|ok):\s*(?P<ids>[a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)"
)


def _annotations(folder: Path) -> tuple[set[tuple[str, int, str]], set[tuple[str, int, str]]]:
    expect: set[tuple[str, int, str]] = set()
    ok: set[tuple[str, int, str]] = set()
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix not in (".py", ".sql"):
            continue
        rel = path.relative_to(folder).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
            for match in ANNOTATION.finditer(line):
                target = expect if match.group("kind") == "expect" else ok
                for rule_id in match.group("ids").split(","):
                    target.add((rel, number, rule_id.strip()))
    return expect, ok


FOLDERS = sorted(p for p in FIXTURES.iterdir() if p.is_dir()) if FIXTURES.is_dir() else []


@pytest.mark.parametrize("folder", FOLDERS, ids=[p.name for p in FOLDERS])
def test_fixture(folder: Path) -> None:
    expect, ok = _annotations(folder)
    assert expect and ok, "a fixture needs both violations and clean look-alikes"
    config = Config(root=folder.resolve())
    result = Scanner(config, active_catalog()).scan_paths([folder.resolve()])
    assert not result.errors, result.errors
    found = {(f.path, f.line, f.rule) for f in result.findings}
    missing = sorted(expect - found)
    unexpected = sorted(found - expect)
    assert not missing, f"expected findings not reported: {missing}"
    assert not unexpected, f"findings on lines not annotated `expect`: {unexpected}"
    assert not (found & ok), "an `ok` line was flagged"
