"""The unified-diff parser, the diff filter modes and `reviewbot scan --diff`."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviewbot.scan.filtering import ChangeSet, FilterMode, in_change
from reviewbot.workspace.diff import (
    DiffError,
    FileStatus,
    git_diff,
    local_changes,
    parse_diff,
    parse_hunks,
    unquote_path,
)
from tests.github_support import git as _git

MULTI_HUNK = "\n".join(
    [
        "diff --git a/app/orders.py b/app/orders.py",
        "index 1111111..2222222 100644",
        "--- a/app/orders.py",
        "+++ b/app/orders.py",
        "@@ -1,4 +1,5 @@ import os",
        " import os",
        "+import sys",
        " ",
        " def a():",
        "     return 1",
        "@@ -10,4 +11,3 @@ def b():",
        " x = 1",
        "-y = 2",
        "--- an SQL comment removed",
        "+z = 3",
        " w = 4",
        "",
    ]
)


def test_multiple_hunks_number_new_lines() -> None:
    (diff,) = parse_diff(MULTI_HUNK)
    assert diff.status is FileStatus.MODIFIED
    assert diff.old_path == diff.new_path == "app/orders.py"
    first, second = diff.hunks
    assert (first.new_start, first.new_count, first.section) == (1, 5, "import os")
    assert first.added == (2,) and first.context == (1, 3, 4, 5)
    # A removed line whose text starts with "-- " is not mistaken for a `---` header.
    assert second.removed == (11, 12) and second.added == (12,) and second.context == (11, 13)
    assert diff.added_lines == {2, 12}
    assert diff.hunk_at(13) is second and diff.hunk_at(8) is None
    assert diff.new_line_text(2) == "import sys" and diff.new_line_text(3) == ""


def test_rename_copy_delete_add_mode_and_binary() -> None:
    text = """\
diff --git a/old/name.py b/new/name.py
similarity index 92%
rename from old/name.py
rename to new/name.py
index 3333333..4444444 100644
--- a/old/name.py
+++ b/new/name.py
@@ -3 +3 @@ def f():
-    return 1
+    return 2
diff --git a/pure.sql b/moved/pure.sql
similarity index 100%
rename from pure.sql
rename to moved/pure.sql
diff --git a/gone.sql b/gone.sql
deleted file mode 100644
index 5555555..0000000
--- a/gone.sql
+++ /dev/null
@@ -1,2 +0,0 @@
-SELECT 1;
-SELECT 2;
diff --git a/fresh.py b/fresh.py
new file mode 100644
index 0000000..6666666
--- /dev/null
+++ b/fresh.py
@@ -0,0 +1,2 @@
+a = 1
+b = 2
diff --git a/run.sh b/run.sh
old mode 100644
new mode 100755
diff --git a/logo.png b/logo.png
index 7777777..8888888 100644
Binary files a/logo.png and b/logo.png differ
diff --git a/blob.bin b/blob.bin
new file mode 100644
index 0000000..9999999
GIT binary patch
literal 12
TcmZQzU|?ooU|?oo00sa5

literal 0
HcmV?d00001

diff --git a/copy.py b/copy2.py
similarity index 100%
copy from copy.py
copy to copy2.py
"""
    files = {d.path: d for d in parse_diff(text)}
    renamed = files["new/name.py"]
    assert renamed.status is FileStatus.RENAMED and renamed.old_path == "old/name.py"
    assert renamed.similarity == 92 and renamed.added_lines == {3}
    pure = files["moved/pure.sql"]
    assert pure.status is FileStatus.RENAMED and pure.hunks == [] and pure.old_path == "pure.sql"
    gone = files["gone.sql"]
    assert gone.status is FileStatus.DELETED and gone.new_path is None
    assert gone.hunks[0].removed == (1, 2) and gone.added_lines == frozenset()
    fresh = files["fresh.py"]
    assert (
        fresh.status is FileStatus.ADDED and fresh.old_path is None and fresh.added_lines == {1, 2}
    )
    mode = files["run.sh"]
    assert (mode.old_mode, mode.new_mode, mode.hunks) == ("100644", "100755", [])
    assert files["logo.png"].binary and files["logo.png"].status is FileStatus.MODIFIED
    blob = files["blob.bin"]
    assert blob.binary and blob.status is FileStatus.ADDED and blob.hunks == []
    assert files["copy2.py"].status is FileStatus.COPIED
    assert len(files) == 8


def test_no_newline_at_end_of_file_markers() -> None:
    text = """\
diff --git a/q.sql b/q.sql
--- a/q.sql
+++ b/q.sql
@@ -1,2 +1,3 @@
 SELECT 1;
-SELECT 2;
\\ No newline at end of file
+SELECT 2;
+SELECT 3;
\\ No newline at end of file
diff --git a/r.sql b/r.sql
--- a/r.sql
+++ b/r.sql
@@ -1 +1 @@
-x
+y
"""
    q, r = parse_diff(text)
    assert q.hunks[0].added == (2, 3) and q.hunks[0].context == (1,) and q.hunks[0].removed == (2,)
    assert r.path == "r.sql" and r.added_lines == {1}


def test_quoted_and_spaced_paths() -> None:
    assert unquote_path('"caf\\303\\251 \\"q\\".py"') == 'café "q".py'
    assert unquote_path("plain.py") == "plain.py"
    text = """\
diff --git "a/caf\\303\\251.py" "b/caf\\303\\251.py"
--- "a/caf\\303\\251.py"
+++ "b/caf\\303\\251.py"
@@ -1 +1 @@
-a
+b
diff --git a/with space.sql b/with space.sql
old mode 100644
new mode 100755
diff --git a/dir b/x.py b/dir b/x.py
--- a/dir b/x.py\t
+++ b/dir b/x.py\t
@@ -0,0 +1 @@
+x = 1
"""
    cafe, spaced, tricky = parse_diff(text)
    assert cafe.path == "café.py" and cafe.added_lines == {1}
    assert spaced.path == "with space.sql"
    assert tricky.path == "dir b/x.py" and tricky.added_lines == {1}


def test_github_patch_hunks_and_crlf() -> None:
    patch = "@@ -1 +1,2 @@\r\n-old\r\n+new\r\n+more\r\n@@ -40,3 +41,3 @@ class A:\n a\n-b\n+c\n d"
    first, second = parse_hunks(patch)
    assert first.added == (1, 2) and first.new_text[1] == "new"
    assert second.added == (42,) and second.context == (41, 43)


def test_truncated_hunk_keeps_what_was_read() -> None:
    (diff,) = parse_diff("diff --git a/t.py b/t.py\n--- a/t.py\n+++ b/t.py\n@@ -1,5 +1,5 @@\n+a\n")
    assert diff.added_lines == {1}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(["a", "b", "c", "", "-- x", "+1", "@@"]), max_size=30),
    st.lists(st.sampled_from(["a", "b", "c", "", "-- x", "+1", "@@"]), max_size=30),
)
def test_added_lines_match_difflib(old: list[str], new: list[str]) -> None:
    """Every line difflib reports as inserted or replaced, and nothing else, counts as added."""
    patch = "".join(
        line if line.endswith("\n") else line + "\n"
        for line in difflib.unified_diff(old, new, lineterm="", n=2)
    )
    expected = set()
    for tag, _i1, _i2, j1, j2 in difflib.SequenceMatcher(
        None, old, new, autojunk=False
    ).get_opcodes():
        if tag in ("insert", "replace"):
            expected.update(range(j1 + 1, j2 + 1))
    hunks = parse_hunks(patch)
    assert {n for h in hunks for n in h.added} == expected
    for hunk in hunks:
        for n, text in hunk.new_text.items():
            assert new[n - 1] == text


@pytest.fixture
def repo(make_repo):
    root = make_repo(
        {
            "app/orders.py": "def f(c, x):\n    c.execute('SELECT a FROM t WHERE b = %s', (x,))\n",
            "reports.sql": "SELECT * FROM old_report;\n",
            "légacy data.sql": "SELECT 1;\n",
        }
    )
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "base")
    _git(root, "checkout", "-q", "-b", "feature")
    return root


def test_git_diff_of_a_working_tree(repo: Path) -> None:
    (repo / "app/orders.py").write_text(
        "def f(c, x):\n    c.execute('SELECT a FROM t WHERE b = %s', (x,))\n\n"
        "def g(c, y):\n    c.execute(f'SELECT a FROM t WHERE b = {y}')\n"
    )
    _git(repo, "mv", "légacy data.sql", "moved data.sql")
    (repo / "reports.sql").unlink()
    top, diffs = local_changes(repo / "app", "main")
    assert top == repo.resolve()
    files = {d.path: d for d in diffs}
    assert files["app/orders.py"].added_lines == {3, 4, 5}
    assert files["moved data.sql"].status is FileStatus.RENAMED
    assert files["moved data.sql"].old_path == "légacy data.sql"
    assert files["reports.sql"].status is FileStatus.DELETED
    with pytest.raises(DiffError, match="not a commit"):
        local_changes(repo, "no-such-branch")
    assert git_diff(repo, "HEAD", "HEAD") == []


def test_filter_modes() -> None:
    (diff,) = parse_diff(MULTI_HUNK)
    changes = ChangeSet.from_diffs(
        [diff, *parse_diff("diff --git a/d.sql b/d.sql\ndeleted file mode 100644\n")]
    )
    assert changes.deleted == ["d.sql"]
    path = "app/orders.py"
    cases = {  # (line, end_line): (added, diff-context, file, all)
        (2, 2): (True, True, True, True),
        (3, 3): (False, True, True, True),
        (8, 8): (False, False, True, True),
        (8, 12): (True, True, True, True),  # a range reaching an added line
    }
    for (line, end), expected in cases.items():
        got = tuple(in_change(changes, mode, path, line, end) for mode in FilterMode)
        assert got == expected, (line, end)
    assert not in_change(changes, FilterMode.FILE, "elsewhere.py", 1)
    assert in_change(changes, FilterMode.ALL, "elsewhere.py", 1)
    assert not in_change(changes, FilterMode.FILE, "d.sql", 1)


def test_scan_diff_reports_only_the_change(repo: Path, run_cli) -> None:
    (repo / "app/orders.py").write_text(
        "def f(c, x):\n    c.execute(f'SELECT a FROM t WHERE b = {x}')\n"
    )
    _git(repo, "commit", "-qam", "inject")
    (repo / "reports.sql").write_text("SELECT * FROM old_report;\nSELECT * FROM new_report;\n")
    everything = json.loads(run_cli("scan", str(repo), "--format", "json").out)
    assert len(everything["findings"]) == 3
    run = run_cli("scan", str(repo), "--diff", "main", "--format", "json")
    assert run.code == 1
    found = [(f["path"], f["line"]) for f in json.loads(run.out)["findings"]]
    assert found == [("app/orders.py", 2), ("reports.sql", 2)]
    text = run_cli("scan", str(repo), "--diff", "main")
    assert "reports.sql:1:" not in text.out and "1 of 3 findings is outside the change" in text.out
    text = run_cli("scan", str(repo), "--diff", "main", "--filter", "file")
    assert "reports.sql:1:" in text.out and "every finding is in the change" in text.out
    assert run_cli("scan", str(repo), "--filter", "all").code == 2
    bad = run_cli("scan", str(repo), "--diff", "main", "--filter", "addded")
    assert bad.code == 2 and "did you mean `added`" in bad.err
    assert run_cli("scan", str(repo), "--diff", "nope").code == 2


def test_scan_diff_before_the_first_commit(make_repo, run_cli) -> None:
    root = make_repo({"a.sql": "SELECT * FROM t;\n"})
    _git(root, "init", "-q")
    run = run_cli("scan", str(root), "--diff", "HEAD", "--format", "json")
    # An untracked new file is as new as a staged one: every line of it counts as added.
    assert [f["path"] for f in json.loads(run.out)["findings"]] == ["a.sql"] and run.code == 0
    _git(root, "add", "a.sql")
    run = run_cli("scan", str(root), "--diff", "HEAD", "--format", "json")
    assert [f["rule"] for f in json.loads(run.out)["findings"]] == ["select-star"]
