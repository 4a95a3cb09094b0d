"""File discovery: .gitignore via git, default excludes, config excludes, explicit files."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from reviewbot.workspace.discovery import discover
from reviewbot.workspace.globs import glob_match


def _rels(root: Path, paths: list[Path] | None = None, exclude: tuple[str, ...] = ()) -> list[str]:
    return [c.rel for c in discover(paths or [root], root, exclude).files]


def test_walk_skips_default_excludes(make_repo) -> None:
    root = make_repo(
        {
            "app/db.py": "x = 1\n",
            "schema.sql": "SELECT 1;\n",
            ".venv/lib/site.py": "x = 1\n",
            "node_modules/pkg/a.py": "x = 1\n",
            "build/gen.py": "x = 1\n",
            "app/__pycache__/db.py": "x = 1\n",
            "README.md": "# hi\n",
        }
    )
    assert _rels(root) == ["app/db.py", "schema.sql"]


def test_git_work_tree_respects_gitignore(make_repo) -> None:
    root = make_repo(
        {
            ".gitignore": "generated/\n*.local.py\n",
            "app/db.py": "x = 1\n",
            "generated/models.py": "x = 1\n",
            "settings.local.py": "x = 1\n",
            "untracked.py": "x = 1\n",
        }
    )
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "app/db.py", ".gitignore"], check=True)
    assert _rels(root) == ["app/db.py", "untracked.py"]


def test_config_exclude_globs(make_repo) -> None:
    root = make_repo(
        {"app/db.py": "", "app/tests/test_db.py": "", "legacy/old.sql": "", "q.sql": ""}
    )
    assert _rels(root, exclude=("**/tests/**", "legacy")) == ["app/db.py", "q.sql"]


def test_explicit_files_are_always_scanned(make_repo) -> None:
    root = make_repo({"build/keep.py": "x = 1\n", "notes.txt": "hi\n"})
    found = discover(
        [root / "build/keep.py", root / "notes.txt", root / "nope.py"], root, ("build",)
    )
    assert [c.rel for c in found.files] == ["build/keep.py"]
    reasons = dict(found.skipped)
    assert reasons["notes.txt"] == "not a Python or SQL file"
    assert "no such file" in next(r for p, r in found.skipped if p.endswith("nope.py"))


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_symlinks_outside_root_and_loops_are_not_followed(make_repo, tmp_path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text("x = 1\n")
    root = make_repo({"a.py": "x = 1\n"})
    (root / "escape.py").symlink_to(outside)
    (root / "loop").symlink_to(root)
    (root / "inside.py").symlink_to(root / "a.py")
    assert _rels(root) == ["a.py", "inside.py"]


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("tests", "tests/test_a.py", True),
        ("tests", "app/tests/test_a.py", True),
        ("/tests", "app/tests/test_a.py", False),
        ("*.sql", "db/migrations/001.sql", True),
        ("db/*.sql", "db/migrations/001.sql", False),
        ("db/**/*.sql", "db/migrations/001.sql", True),
        ("migrations/**", "migrations/a/b.py", True),
        ("app/db.py", "app/db.py", True),
        ("app/db.py", "other/app/db.py", False),
        ("test_?.py", "test_a.py", True),
    ],
)
def test_glob_semantics(pattern: str, path: str, expected: bool) -> None:
    assert glob_match(pattern, path) is expected
