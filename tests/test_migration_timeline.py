"""Migrations have a timeline: rules about applying a migration skip the ones that are history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reviewbot.sql.migrations import MigrationFile, Timeline, migrations_under, newest_per_stream
from reviewbot.workspace.config import ConfigError, validate
from tests.github_support import git as _git

INDEX = "CREATE INDEX orders_placed_idx ON orders (placed_at);\n"


def _files() -> list[MigrationFile]:
    return [
        MigrationFile("db/migrations/0001_a.up.sql", "db/migrations", (1.0,)),
        MigrationFile("db/migrations/0002_b.up.sql", "db/migrations", (2.0,)),
        MigrationFile("db/migrations/0002_b.down.sql", "db/migrations", (2.0,)),
        MigrationFile("alembic/versions/a.py", "alembic/versions", (float("inf"),), "a", ()),
        MigrationFile("alembic/versions/b.py", "alembic/versions", (float("inf"),), "b", ("a",)),
        MigrationFile(
            "alembic/versions/old/c.py", "alembic/versions", (float("inf"),), "c", ("b",)
        ),
    ]


def test_default_checks_only_the_newest_of_each_folder_and_fresh_files() -> None:
    timeline = Timeline.build(_files(), None, frozenset({"db/migrations/0001_a.up.sql"}))
    assert timeline.history == {"alembic/versions/a.py", "alembic/versions/b.py"}
    assert not timeline.is_history("db/migrations/0002_b.up.sql")  # newest version, both files
    assert not timeline.is_history("db/migrations/0001_a.up.sql")  # uncommitted
    assert not timeline.by_setting


def test_start_after_per_folder_and_alembic_revisions() -> None:
    timeline = Timeline.build(
        _files(), {"db/migrations": "0001", "alembic/versions": "b"}, frozenset()
    )
    assert timeline.history == {
        "db/migrations/0001_a.up.sql",
        "alembic/versions/a.py",
        "alembic/versions/b.py",
    }
    # A folder the mapping does not name is new since `init`: all of it is checked.
    assert not Timeline.build(_files(), {"alembic/versions": "c"}).is_history(
        "db/migrations/0001_a.up.sql"
    )
    # One cut-off for every numbered folder, compared as a version (0002 == 2).
    assert "db/migrations/0002_b.up.sql" in Timeline.build(_files(), "0002_b.up.sql").history


def test_init_cut_offs_follow_alembic_heads_across_subfolders() -> None:
    files = [
        ("app/alembic/versions/a.py", 'revision = "a"\ndown_revision = None\ndef upgrade(): ...'),
        (
            "app/alembic/versions/2024/m.py",
            'revision: str = "m"\ndown_revision = ("a", "x")\ndef upgrade(): pass',
        ),
        ("app/alembic/versions/x.py", "revision = 'x'\ndown_revision = 'a'\ndef upgrade(): ..."),
        ("db/migrations/000010_z.up.sql", "SELECT 1;"),
        ("db/migrations/000009_y.up.sql", "SELECT 1;"),
        ("shop/migrations/0003_auto.py", "class Migration: ..."),
        ("tests/migrations/0009_fixture.py", "class Migration: ..."),
    ]
    assert newest_per_stream(migrations_under(files)) == {
        "app/alembic/versions": "m",
        "db/migrations": "000010_z.up.sql",
        "shop/migrations": "0003_auto.py",
    }


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"migrations": "0042"}, "must be a mapping"),
        ({"migrations": {"start_after": "1"}}, "did you mean `start-after`"),
        ({"migrations": {"start-after": 42}}, "quote numbers"),
        ({"migrations": {"start-after": ["a", "b"]}}, "give one cut-off"),
        ({"migrations": {"start-after": {"db/migrations": ""}}}, "quoted string"),
    ],
)
def test_bad_start_after_is_a_config_error(raw: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        validate(raw, Path("."), None)


def test_start_after_forms_are_accepted() -> None:
    config = validate({"migrations": {"start-after": {"db/migrations/": "0002"}}}, Path("."), None)
    assert config.start_after == {"db/migrations": "0002"}
    assert validate({"migrations": {"start-after": "0002"}}, Path("."), None).start_after == "0002"


@pytest.fixture
def repo(make_repo) -> Path:  # type: ignore[no-untyped-def]
    root = make_repo(
        {
            "db/migrations/000001_orders.up.sql": "CREATE TABLE orders (id bigint PRIMARY KEY, "
            "placed_at timestamptz);\n",
            "db/migrations/000002_index.up.sql": INDEX,
            "db/migrations/000003_note.up.sql": "ALTER TABLE orders ADD COLUMN note text;\n",
        }
    )
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "base")
    return root


def _scan(run_cli, root: Path, *args: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    run = run_cli(
        "scan", str(root), "--no-cache", "--quiet", "--format", "json",
        "--select", "index-without-concurrently", *args, cwd=root,
    )  # fmt: skip
    assert run.code in (0, 1), run.err
    return json.loads(run.out)  # type: ignore[no-any-return]


def test_full_scan_holds_back_applied_migrations_and_says_so(repo: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    assert _scan(run_cli, repo)["findings"] == []
    text = run_cli("scan", str(repo), "--no-cache", "--quiet", "--select",
                   "index-without-concurrently", cwd=repo).out  # fmt: skip
    assert "Migration timeline: 1 finding in 1 applied migration not shown" in text
    assert "--all-migrations" in text
    shown = _scan(run_cli, repo, "--all-migrations")["findings"]
    assert [f["path"] for f in shown] == ["db/migrations/000002_index.up.sql"]


def test_uncommitted_and_changed_migrations_are_always_checked(repo: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    _git(repo, "checkout", "-qb", "feature")
    edited = "-- edited\n" + INDEX.replace("(placed_at)", "(placed_at, id)")
    (repo / "db/migrations/000002_index.up.sql").write_text(edited, "utf-8")
    found = _scan(run_cli, repo)["findings"]
    assert [(f["path"], f["line"]) for f in found] == [("db/migrations/000002_index.up.sql", 2)]
    _git(repo, "commit", "-qam", "edit an old migration")
    assert _scan(run_cli, repo)["findings"] == []  # committed: history again by default
    # In --diff mode a migration the change edits is checked whatever the timeline says.
    found = _scan(run_cli, repo, "--diff", "main")["findings"]
    assert [(f["path"], f["line"]) for f in found] == [("db/migrations/000002_index.up.sql", 2)]


def test_start_after_setting_checks_only_later_migrations(repo: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    (repo / ".reviewbot.yml").write_text(
        "enable: [index-without-concurrently]\nmigrations:\n  start-after:\n"
        '    db/migrations: "000001"\n',
        "utf-8",
    )
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "config")
    found = _scan(run_cli, repo)["findings"]
    assert [f["path"] for f in found] == ["db/migrations/000002_index.up.sql"]


def test_init_fills_start_after_with_the_newest_migration(repo: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    assert run_cli("init", cwd=repo).code == 0
    text = (repo / ".reviewbot.yml").read_text("utf-8")
    assert '"db/migrations": "000003_note.up.sql"' in text
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "init")
    assert _scan(run_cli, repo)["findings"] == []
    (repo / "db/migrations/000004_more.up.sql").write_text(INDEX, "utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "new migration")
    found = _scan(run_cli, repo)["findings"]
    assert [f["path"] for f in found] == ["db/migrations/000004_more.up.sql"]


def test_index_on_a_table_the_change_creates_is_not_reported_in_diff_mode(
    repo: Path,
    run_cli,  # type: ignore[no-untyped-def]
) -> None:
    _git(repo, "checkout", "-qb", "feature")
    (repo / "db/migrations/000004_invoices.up.sql").write_text(
        "CREATE TABLE invoices (id bigint PRIMARY KEY, number text);\n", "utf-8"
    )
    indexes = (
        "CREATE INDEX invoices_number_idx ON invoices (number);\n"
        "CREATE INDEX orders_note_idx ON orders (note);\n"
    )
    (repo / "db/migrations/000005_indexes.up.sql").write_text(indexes, "utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "invoices")
    # The change creates `invoices` (empty until it deploys); `orders` holds rows already.
    found = _scan(run_cli, repo, "--diff", "main")["findings"]
    assert [(f["path"], f["line"]) for f in found] == [("db/migrations/000005_indexes.up.sql", 2)]
    # Without the change to compare against, `invoices` may hold rows: both are reported.
    found = _scan(run_cli, repo, "--all-migrations")["findings"]
    assert [f["line"] for f in found if f["path"].endswith("000005_indexes.up.sql")] == [1, 2]


def test_swallowed_errors_in_applied_data_migrations_are_held_back(
    make_repo,
    run_cli,  # type: ignore[no-untyped-def]
) -> None:
    """A broad `except: pass` around a data step matters before the revision runs; in one
    applied everywhere it has no fix left."""
    step = (
        "from alembic import op\n"
        'revision = "{rev}"\ndown_revision = {down}\n\n\n'
        "def upgrade():\n"
        "    try:\n"
        "        op.execute(\"UPDATE orders SET note = ''\")\n"
        "    except Exception:\n"
        "        pass\n"
    )
    root = make_repo(
        {
            "alembic/versions/a1_first.py": step.format(rev="a1", down="None"),
            "alembic/versions/b2_second.py": step.format(rev="b2", down='"a1"'),
        }
    )
    run = run_cli(
        "scan", str(root), "--no-cache", "--quiet", "--format", "json",
        "--select", "swallowed-exception", cwd=root,
    )  # fmt: skip
    found = json.loads(run.out)["findings"]
    assert [f["path"] for f in found] == ["alembic/versions/b2_second.py"]
