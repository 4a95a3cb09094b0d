"""What a warm scan reuses instead of recomputing gives the answers the computation gives.

The checklist mapping is read from the cache when the agent documents are unchanged; rule modules
are found by file name and imported only when they run; project rules about SQL are skipped for
a project without SQL, which must never hide a finding.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewbot import checks
from reviewbot.model.catalog import active_catalog
from reviewbot.model.registry import REGISTRY, ProjectRule
from reviewbot.model.rule import PythonRule, SqlRule
from reviewbot.scan.cache import Cache
from reviewbot.scan.engine import Project
from reviewbot.scan.runner import load_checklists
from reviewbot.workspace.config import Config
from reviewbot.workspace.sources import SourceFile

AGENT = """\
---
name: db-reviewer
---

## Queries

- Name the columns you need; never `SELECT *`.
- Use parameterized queries; never format user input into SQL.
"""
FIXTURES = Path(__file__).parent / "fixtures" / "rules"


def _config(root: Path) -> Config:
    return Config(root=root, path=root / ".reviewbot.yml", agents=("agents/*.md",))


def test_cached_checklist_mapping_equals_the_mapping(make_repo, tmp_path: Path) -> None:
    root = make_repo({"agents/db.md": AGENT})
    store = Cache(tmp_path / "cache", {"checklists": True})
    computed = load_checklists(_config(root))
    first = load_checklists(_config(root), store)
    again = load_checklists(_config(root), store)
    assert store.hits == 1
    assert first == computed and again == computed
    assert computed.rules == {"select-star", "sql-injection"}


def test_an_edited_agent_document_is_mapped_again(make_repo, tmp_path: Path) -> None:
    root = make_repo({"agents/db.md": AGENT})
    store = Cache(tmp_path / "cache", {"checklists": True})
    load_checklists(_config(root), store)
    (root / "agents" / "db.md").write_text(AGENT.replace("never `SELECT *`", "keep it short"))
    edited = load_checklists(_config(root), store)
    assert edited == load_checklists(_config(root))
    assert edited.rules == {"sql-injection"}


def test_the_rule_index_names_each_rule_module_and_its_kind() -> None:
    checks.load_all()
    kinds = checks.index()
    assert set(kinds) == set(REGISTRY)
    for rule_id, kind in kinds.items():
        cls = REGISTRY[rule_id]
        expected = {"python": PythonRule, "sql": SqlRule}.get(kind, ProjectRule)
        assert issubclass(cls, expected), (rule_id, kind)
        assert (kind in checks.PROJECT_KINDS) == issubclass(cls, ProjectRule), rule_id


SQL_PROJECT_RULES = sorted(
    rid
    for rid, kind in checks.index().items()
    if kind == "project" and active_catalog()[rid].language == "sql"
)


@pytest.mark.parametrize("rule_id", SQL_PROJECT_RULES)
def test_sql_project_rules_see_nothing_in_a_project_without_sql(rule_id: str) -> None:
    # The engine does not load these rules when the scan found no SQL document and no SQL fact;
    # that is sound only while each reports nothing on such a project, whatever its Python.
    assert SQL_PROJECT_RULES
    checks.load([rule_id])
    sources = {
        path.relative_to(FIXTURES).as_posix(): SourceFile(
            path=path.relative_to(FIXTURES).as_posix(),
            text=path.read_text(encoding="utf-8"),
            language="python",
        )
        for path in sorted(FIXTURES.rglob("*.py"))
    }
    assert sources
    project = Project(
        config=Config(root=FIXTURES),
        sources=sources,
        sql_documents=[],
        facts={},
        suppressions={},
        enabled=frozenset(active_catalog()),
    )
    cls = REGISTRY[rule_id]
    assert issubclass(cls, ProjectRule)
    cls(project, {}).check()
    assert project.findings == []
