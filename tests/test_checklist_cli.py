"""Agent checklists end to end: opt-in through `agents:`, provenance in reports, `reviewbot checklist`."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from reviewbot.model.catalog import data_dir, load_catalog
from reviewbot.scan.runner import load_checklists
from reviewbot.workspace.config import Config, ConfigError

INJECTION = (
    "def find(cur, name):\n    cur.execute(f\"SELECT id FROM users WHERE name = '{name}'\")\n"
)
STAR_SQL = "SELECT * FROM users;\n"
DB_AGENT = """\
---
name: db-reviewer
description: Reviews SQL.
tools: Read, Grep
---

## Queries

- Name the columns you need; never `SELECT *`.
- Keep transactions short.
"""
PY_AGENT = """\
---
name: py-reviewer
---

**Security:**
- Use parameterized queries; never format user input into SQL.
- Avoid N+1 query problems.
"""


def config_for(root: Path, agents: list[str]) -> Config:
    return Config(root=root, path=root / ".reviewbot.yml", agents=tuple(agents))


def test_agents_add_their_rules_to_the_recommended_set(make_repo, run_cli) -> None:
    root = make_repo(
        {
            ".reviewbot.yml": "agents: ['.claude/agents/*.md']\n",
            ".claude/agents/db.md": DB_AGENT,
            "app.py": INJECTION,
            "q.sql": STAR_SQL,
        }
    )
    run = run_cli("scan", str(root), "--format", "json")
    report = json.loads(run.out)
    # The checklist asks for select-star; the recommended rules it does not name still run
    # (an `agents:`-only config used to drop them, so sql-injection went unreported).
    assert {"select-star", "sql-injection", "invalid-suppression"} <= set(
        report["summary"]["rules_enabled"]
    )
    assert report["summary"]["rule_source"] == "recommended set + agent checklists"
    assert report["summary"]["rules_off"] == {}
    assert report["summary"]["agents"] == [
        {
            "agent": "db-reviewer",
            "path": ".claude/agents/db.md",
            "items": 2,
            "enforced": 1,
            "rules": ["select-star"],
        }
    ]
    assert sorted(f["rule"] for f in report["findings"]) == ["select-star", "sql-injection"]
    [finding] = [f for f in report["findings"] if f["rule"] == "select-star"]
    assert finding["checklist"] == [
        {
            "agent": "db-reviewer",
            "path": ".claude/agents/db.md",
            "line": 9,
            "text": "Name the columns you need; never SELECT *.",
            "section": "Queries",
        }
    ]
    text = run_cli("scan", str(root))
    assert (
        "Agent checklist .claude/agents/db.md (db-reviewer): 1 of 2 items enforced; "
        "opts in select-star." in text.out
    )
    assert '= checklist db-reviewer (.claude/agents/db.md:9): "Name the columns' in text.out


@pytest.fixture
def n_plus_one_planned(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend n-plus-one is still planned, to exercise how planned rules are treated."""
    catalog = load_catalog()
    monkeypatch.setitem(catalog, "n-plus-one", replace(catalog["n-plus-one"], status="planned"))


@pytest.mark.usefixtures("n_plus_one_planned")
def test_enable_and_disable_combine_with_agents(make_repo, run_cli) -> None:
    root = make_repo(
        {
            ".reviewbot.yml": "agents: [agents/*.md]\nenable: [invalid-suppression]\n"
            "disable: [select-star]\n",
            "agents/db.md": DB_AGENT,
            "agents/py.md": PY_AGENT,
            "app.py": INJECTION,
            "q.sql": STAR_SQL,
        }
    )
    report = json.loads(run_cli("scan", str(root), "--format", "json").out)
    # n-plus-one is mapped but still planned: skipped without a word.
    assert report["summary"]["rules_enabled"] == ["invalid-suppression", "sql-injection"]
    assert [f["rule"] for f in report["findings"]] == ["sql-injection"]
    [ref] = report["findings"][0]["checklist"]
    assert (ref["agent"], ref["line"], ref["section"]) == ("py-reviewer", 6, "Security")
    assert [a["rules"] for a in report["summary"]["agents"]] == [["select-star"], ["sql-injection"]]


@pytest.mark.usefixtures("n_plus_one_planned")
def test_load_checklists_skips_planned_rules_and_keeps_their_refs(make_repo) -> None:
    root = make_repo({"agents/py.md": PY_AGENT})
    checklists = load_checklists(config_for(root, ["agents/*.md"]))
    assert checklists.rules == {"sql-injection"}
    assert load_catalog()["n-plus-one"].planned
    assert [r.line for r in checklists.refs["n-plus-one"]] == [7]
    assert [s.rules for s in checklists.sources] == [("sql-injection",)]


def test_a_finding_quotes_the_most_specific_item_first(make_repo) -> None:
    agent = (
        "---\nname: db\n---\n# Review\n"
        "- Data management: design schemas, implement proper indexing and handle migrations "
        "safely with zero downtime\n"
        "- Create indexes CONCURRENTLY\n"
    )
    root = make_repo({"agents/db.md": agent})
    refs = load_checklists(config_for(root, ["agents/*.md"])).refs
    # The broad line maps to several rules; the narrow one to this rule alone.
    assert [r.line for r in refs["index-without-concurrently"]] == [6, 5]
    assert [r.line for r in refs["destructive-migration"]] == [5]


@pytest.mark.parametrize("pattern", ["../outside/*.md", "/etc/*.md", "docs/../../x.md", "~/a.md"])
def test_agents_globs_must_stay_inside_the_root(make_repo, pattern: str) -> None:
    root = make_repo({"a.md": PY_AGENT})
    with pytest.raises(ConfigError, match="agents"):
        load_checklists(config_for(root, [pattern]))


def test_symlink_out_of_the_root_is_not_read(make_repo, tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text(PY_AGENT)
    root = make_repo({"x.txt": "x"})
    (root / "agents").mkdir()
    (root / "agents" / "evil.md").symlink_to(outside)
    checklists = load_checklists(config_for(root, ["agents/*.md"]))
    assert checklists.rules == set()
    assert any("links outside" in n for n in checklists.notes)


def test_broken_and_missing_agent_documents_do_not_stop_the_scan(make_repo, run_cli) -> None:
    root = make_repo(
        {
            ".reviewbot.yml": "agents: [agents/*.md, nowhere/*.md]\n",
            "agents/blob.md": b"\x00\x01binary",
            "agents/nofront.md": "- Always use parameterized queries\n",
            "app.py": INJECTION,
        }
    )
    run = run_cli("scan", str(root), "--format", "json")
    report = json.loads(run.out)
    assert run.code == 1 and [f["rule"] for f in report["findings"]] == ["sql-injection"]
    [error] = report["errors"]
    assert error["kind"] == "agent-document" and error["path"] == "agents/blob.md"
    assert "binary" in error["message"]
    text = run_cli("scan", str(root)).out
    assert "`nowhere/*.md` under `agents:` matched no file" in text
    assert "Agent document agents/nofront.md: no YAML front matter" in text
    assert "Traceback" not in text


def test_bad_agents_pattern_is_a_config_error(make_repo, run_cli) -> None:
    root = make_repo({".reviewbot.yml": "agents: ['../elsewhere/*.md']\n", "a.py": "x = 1\n"})
    run = run_cli("scan", str(root))
    assert run.code == 2
    assert "points outside the scan root" in run.err


def test_without_agents_findings_quote_the_bundled_checklists(make_repo, run_cli) -> None:
    root = make_repo({"app.py": INJECTION})
    report = json.loads(run_cli("scan", str(root), "--format", "json").out)
    refs = report["findings"][0]["checklist"]
    assert refs and all(r["path"].startswith("reviewbot:agents/") for r in refs)
    assert {r["agent"] for r in refs} == {"backend-engineer", "database-engineer"}
    assert report["summary"]["agents"] == []  # quoted, but nothing opted in
    sarif = json.loads(run_cli("scan", str(root), "--format", "sarif").out)
    result = sarif["runs"][0]["results"][0]
    assert result["properties"]["checklist"][0]["path"].startswith("reviewbot:agents/")


def test_bundled_documents_can_be_named_in_agents(make_repo, run_cli) -> None:
    root = make_repo(
        {
            ".reviewbot.yml": "agents: ['reviewbot:agents/database-engineer.md']\n",
            "q.sql": STAR_SQL,
            "app.py": INJECTION,
        }
    )
    report = json.loads(run_cli("scan", str(root), "--format", "json").out)
    listed = json.loads(
        run_cli(
            "checklist", "--format", "json", str(data_dir("agents") / "database-engineer.md")
        ).out
    )
    # A scan runs what the document opts in, except rules proven on a database (`migrations verify`).
    scannable = {
        rid
        for rid, meta in load_catalog().items()
        if not meta.planned and meta.language != "database"
    }
    mapped = {rule for item in listed["items"] for rule in item["rules"]} & scannable
    assert {"select-star", "sql-injection"} <= mapped
    # The mapped rules run on top of the recommended set (opt-in rules only when mapped).
    # (Rules that need a live database run only with one, whatever the selection.)
    recommended = {
        rid
        for rid, meta in load_catalog().items()
        if meta.default and not meta.planned and meta.language != "database"
    }
    offline = {rid for rid in mapped if load_catalog()[rid].language != "database"}
    assert set(report["summary"]["rules_enabled"]) == offline | recommended
    assert report["summary"]["agents"][0]["path"] == "reviewbot:agents/database-engineer.md"
    bad = make_repo({".reviewbot.yml": "agents: ['reviewbot:rules/*.yml']\n"})
    assert run_cli("scan", str(bad)).code == 2


# -- reviewbot checklist -----------------------------------------------------------------------


@pytest.mark.usefixtures("n_plus_one_planned")
def test_checklist_command_text(make_repo, run_cli) -> None:
    root = make_repo({".claude/agents/db.md": DB_AGENT, "agents/py.md": PY_AGENT})
    run = run_cli("checklist", cwd=root)
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0] == "db-reviewer  .claude/agents/db.md  (2 items)"
    assert "  Queries" in lines
    at = lines.index("       9  Name the columns you need; never SELECT *.")
    assert lines[at + 1] == "          -> select-star"
    at = lines.index("      10  Keep transactions short.")
    assert lines[at + 1] == "          -  not statically checkable"
    assert "          -> n-plus-one (planned)" in lines
    assert "  1 of 2 items enforced by 1 rule; 1 not statically checkable." in lines
    assert lines[-1] == (
        "2 documents, 4 items: 3 enforced, 1 not statically checkable; "
        "3 rules (1 planned, not run yet)."
    )


def test_checklist_command_json(make_repo, run_cli) -> None:
    root = make_repo({"team/db-agent.txt": DB_AGENT})
    run = run_cli("checklist", "--format", "json", "team/*.txt", cwd=root)
    assert run.code == 0
    report = json.loads(run.out)
    assert report["agents"] == [
        {
            "name": "db-reviewer",
            "path": "team/db-agent.txt",
            "model": None,
            "color": None,
            "tools": ["Read", "Grep"],
            "description": "Reviews SQL.",
            "metadata": {},
            "front_matter": True,
            "items": 2,
            "enforced": 1,
            "not_statically_checkable": 1,
            "rules": ["select-star"],
            "warnings": [],
        }
    ]
    assert report["items"][0] == {
        "agent": "db-reviewer",
        "path": "team/db-agent.txt",
        "line": 9,
        "section": "Queries",
        "kind": "bullet",
        "text": "Name the columns you need; never SELECT *.",
        "parents": [],
        "rules": ["select-star"],
    }
    assert report["summary"] == {
        "documents": 1,
        "items": 2,
        "enforced": 1,
        "not_statically_checkable": 1,
        "rules": ["select-star"],
        "planned_rules": [],
        "errors": 0,
    }


def test_checklist_command_uses_config_agents(make_repo, run_cli) -> None:
    root = make_repo(
        {
            ".reviewbot.yml": "agents: [docs/agents/*.md]\n",
            "docs/agents/py.md": PY_AGENT,
            ".claude/agents/ignored.md": DB_AGENT,
            "sub/x.py": "x = 1\n",
        }
    )
    report = json.loads(run_cli("checklist", "--format", "json", cwd=root / "sub").out)
    assert [a["path"] for a in report["agents"]] == ["../docs/agents/py.md"]


def test_checklist_command_bad_input(make_repo, run_cli) -> None:
    root = make_repo({"blob.md": b"\x00\x00", "ok.md": PY_AGENT, "empty/x.txt": "x"})
    run = run_cli("checklist", "blob.md", "ok.md", "missing.md", cwd=root)
    assert run.code == 2
    assert "blob.md: error: binary file" in run.out
    assert "missing.md: error: no such file, folder or match" in run.out
    assert "py-reviewer  ok.md" in run.out
    report = json.loads(run_cli("checklist", "--format", "json", "blob.md", cwd=root).out)
    assert report["errors"][0]["path"] == "blob.md" and report["summary"]["errors"] == 1
    nothing = run_cli("checklist", cwd=root / "empty")
    # Nothing to show is a warning, not a usage error (`checklist` right after `init`).
    assert nothing.code == 0 and "warning: no agent documents found" in nothing.err
    assert run_cli("checklist", "--format", "yaml", cwd=root).code == 2
    folder = run_cli("checklist", str(root), cwd=root)  # a folder: its *.md files
    assert "py-reviewer  ok.md" in folder.out and "blob.md: error" in folder.out
    assert "Traceback" not in run.out + run.err


def test_example_service_takes_its_rules_from_the_bundled_checklists(run_cli) -> None:
    example = Path(__file__).resolve().parents[1] / "examples" / "service"
    report = json.loads(run_cli("scan", str(example), "--format", "json").out)
    assert report["summary"]["rule_source"] == "recommended set + agent checklists"
    assert {a["agent"] for a in report["summary"]["agents"]} == {
        "backend-engineer",
        "database-engineer",
    }
    assert report["findings"] and all(f["checklist"] for f in report["findings"])


REPO_DOCS = {
    "AGENTS.md": "# Conventions\n\n- Use parameterized queries; never format user input into SQL.\n",
    ".github/agents/db.md": DB_AGENT,
}


def test_repository_documents_are_quoted_without_an_agents_key(make_repo, run_cli) -> None:
    root = make_repo({**REPO_DOCS, "app.py": INJECTION, "q.sql": STAR_SQL})
    run = run_cli("scan", str(root), "--format", "json")
    report = json.loads(run.out)
    by_rule = {f["rule"]: f["checklist"] for f in report["findings"]}
    assert [r["path"] for r in by_rule["sql-injection"]] == ["AGENTS.md"]
    assert [r["path"] for r in by_rule["select-star"]] == [".github/agents/db.md"]
    assert report["summary"]["agents"] == []  # quoted only: nothing opted in
    text = run_cli("scan", str(root)).out
    assert "Agent documents AGENTS.md, .github/agents/db.md are quoted in findings" in text


def test_init_writes_the_repository_documents_and_checklist_then_works(make_repo, run_cli) -> None:
    root = make_repo({**REPO_DOCS, ".claude/agents/py.md": PY_AGENT, "app.py": INJECTION})
    assert run_cli("init", cwd=root).code == 0
    config = (root / ".reviewbot.yml").read_text()
    assert (
        'agents:\n  - ".claude/agents/*.md"\n  - "AGENTS.md"\n  - ".github/agents/*.md"' in config
    )
    listed = run_cli("checklist", cwd=root)
    assert listed.code == 0, listed.out + listed.err
    assert "py-reviewer" in listed.out and "AGENTS.md" in listed.out
    scan = json.loads(run_cli("scan", "--format", "json", cwd=root).out)
    assert {a["path"] for a in scan["summary"]["agents"]} == {
        ".claude/agents/py.md",
        "AGENTS.md",
        ".github/agents/db.md",
    }


def test_init_without_documents_then_checklist_does_not_fail(make_repo, run_cli) -> None:
    root = make_repo({"app.py": INJECTION})
    assert run_cli("init", cwd=root).code == 0
    assert "# agents:" in (root / ".reviewbot.yml").read_text()
    listed = run_cli("checklist", cwd=root)
    assert listed.code == 0 and "no agent documents found" in listed.err
    scan = run_cli("scan", cwd=root)
    assert scan.code == 1 and "sql-injection" in scan.out  # the starter config keeps the set
