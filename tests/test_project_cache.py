"""The project pass's output is cached for a tree whose files are all unchanged: it must be served
only when nothing that pass reads has changed, and give what a scan without the cache gives."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reviewbot.project_rules.install import uninstall
from reviewbot.scan.cache import Cache
from reviewbot.scan.engine import ProjectOutcome, Scanner
from reviewbot.workspace.config import Config
from tests.github_support import git as _git

INDEX = "CREATE INDEX orders_placed_idx ON orders (placed_at);\n"
Run = Callable[..., Any]


@pytest.fixture(autouse=True)
def _clean() -> Iterator[None]:
    uninstall()
    yield
    uninstall()


@pytest.fixture
def repo(make_repo: Callable[[dict[str, str]], Path]) -> Path:
    root = make_repo(
        {
            "db/migrations/000001_orders.up.sql": "CREATE TABLE orders (id bigint PRIMARY KEY, "
            "placed_at timestamptz);\n",
            "db/migrations/000002_index.up.sql": INDEX,
            "db/migrations/000003_note.up.sql": "ALTER TABLE orders ADD COLUMN note text;\n",
            "app.py": "print('hi')\n",
        }
    )
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "base")
    return root


def _scan(run_cli: Run, root: Path, cached: bool) -> str:
    where = ("--cache-dir", str(root.parent / "cache")) if cached else ("--no-cache",)
    run = run_cli("scan", ".", *where, "--quiet", "--format", "json", "--all-migrations", cwd=root)
    assert run.code in (0, 1), run.err
    return str(run.out)


def _warm_equals_cold(run_cli: Run, root: Path) -> dict[str, Any]:
    """Scan twice with the cache (the second served whole by it) and once without: the same."""
    cold = _scan(run_cli, root, cached=False)
    assert _scan(run_cli, root, cached=True) == cold
    assert _scan(run_cli, root, cached=True) == cold
    return json.loads(cold)  # type: ignore[no-any-return]


def _paths(report: dict[str, Any], rule: str) -> list[str]:
    return [f["path"] for f in report["findings"] if f["rule"] == rule]


def test_an_edited_file_is_scanned_again(repo: Path, run_cli: Run) -> None:
    first = _warm_equals_cold(run_cli, repo)
    assert "db/migrations/000002_index.up.sql" in _paths(first, "index-without-concurrently")
    (repo / "db/migrations/000002_index.up.sql").write_text("-- none\n", "utf-8")
    edited = _warm_equals_cold(run_cli, repo)
    assert _paths(edited, "index-without-concurrently") == []


RULE = "timestamp-without-time-zone"


@pytest.fixture
def naive(make_repo: Callable[[dict[str, str]], Path]) -> Path:
    """Seven committed migrations with naive timestamps: the six applied ones (history) are the
    schema's convention, one finding; fewer applied ones are reported table by table."""
    root = make_repo(
        {
            f"db/migrations/00000{n}_t{n}.up.sql": f"CREATE TABLE t{n} (id bigint PRIMARY KEY, "
            "at timestamp);\n"
            for n in range(1, 8)
        }
    )
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "base")
    return root


def test_a_new_start_after_setting_is_seen(naive: Path, run_cli: Run) -> None:
    before = _warm_equals_cold(run_cli, naive)
    (naive / ".reviewbot.yml").write_text(
        'migrations:\n  start-after:\n    db/migrations: "000002"\n', "utf-8"
    )
    # The files are unchanged (their outcomes are served) but the timeline is another.
    after = _warm_equals_cold(run_cli, naive)
    assert len(_paths(before, RULE)) < len(_paths(after, RULE))


def test_a_migration_that_becomes_uncommitted_is_seen(naive: Path, run_cli: Run) -> None:
    # Untracked again (same texts, so every file's outcome is served from the cache), two
    # applied migrations are new, no longer history: the convention is gone.
    committed = _warm_equals_cold(run_cli, naive)
    old = ["db/migrations/000001_t1.up.sql", "db/migrations/000002_t2.up.sql"]
    _git(naive, "rm", "-q", "--cached", *old)
    fresh = _warm_equals_cold(run_cli, naive)
    assert len(_paths(committed, RULE)) < len(_paths(fresh, RULE))
    assert set(old) <= set(_paths(fresh, RULE))


def test_an_edited_project_rule_is_seen(repo: Path, run_cli: Run) -> None:
    folder = repo / ".reviewbot" / "rules"
    folder.mkdir(parents=True)
    rule = "id: no-print\ntitle: t\nseverity: warning\nmessage: MESSAGE\nmatch:\n  python: print(...)\n"
    (folder / "no-print.yml").write_text(rule.replace("MESSAGE", "first"), "utf-8")
    first = _warm_equals_cold(run_cli, repo)
    (folder / "no-print.yml").write_text(rule.replace("MESSAGE", "second"), "utf-8")
    second = _warm_equals_cold(run_cli, repo)
    messages = [
        [f["message"] for f in report["findings"] if f["rule"] == "no-print"]
        for report in (first, second)
    ]
    assert messages == [["first"], ["second"]]


def test_an_overlay_never_reads_or_writes_the_project_entry(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `scan --fix` rescans its fixed texts through an overlay: the project pass runs on them.
    asked: list[type] = []
    real = Cache.get_value

    def spy(self: Cache, key: str, expected: type, *args: Any, **kwargs: Any) -> Any:
        asked.append(expected)
        return real(self, key, expected, *args, **kwargs)

    monkeypatch.setattr(Cache, "get_value", spy)
    rules = ["index-without-concurrently", "table-without-primary-key"]
    config = Config(root=repo)
    cache_dir = repo.parent / "cache"

    def scan(overlay: dict[str, str] | None = None) -> list[tuple[str, int]]:
        scanner = Scanner(config, rules, cache=True, cache_dir=cache_dir, overlay=overlay)
        result = scanner.scan_paths([repo])
        return [(f.path, f.line) for f in result.findings]

    plain = scan()
    assert ProjectOutcome not in asked  # a cold scan: nothing to serve it from
    assert scan() == plain and ProjectOutcome in asked  # served from the project entry
    asked.clear()
    same_texts = {"app.py": (repo / "app.py").read_text("utf-8")}
    assert scan(same_texts) == plain
    assert ProjectOutcome not in asked
