"""The command line end to end: scan exit codes, bad input, rules, explain, init."""

from __future__ import annotations

import json

import yaml

from reviewbot.model.catalog import load_catalog
from reviewbot.workspace.config import validate

GOOD_PY = "def f(c, x):\n    c.execute(f'SELECT a FROM t WHERE b = {x}')\n"


def test_exit_codes(make_repo, run_cli) -> None:
    clean = make_repo(
        {"a.py": "def f(c, x):\n    c.execute('SELECT a FROM t WHERE b = %s', (x,))\n"}
    )
    assert run_cli("scan", str(clean)).code == 0
    (clean / "b.py").write_text(GOOD_PY)
    assert run_cli("scan", str(clean)).code == 1
    assert run_cli("scan", str(clean), "--fail-on", "never").code == 0
    assert run_cli("scan", str(clean), "--bogus-flag").code == 2
    assert run_cli("frobnicate").code == 2
    assert run_cli().code == 2


def test_broken_files_among_good_ones(make_repo, run_cli) -> None:
    root = make_repo(
        {
            "good.py": GOOD_PY,
            "syntax.py": "def broken(:\n    cursor.execute(x)\n",
            "blob.py": b"\x00\x01\x02execute\x00",
            "latin1.py": "name = 'caf\xe9'\ncursor.execute(name)\n".encode("latin-1"),
            "bom.py": b"\xef\xbb\xbf" + GOOD_PY.encode(),
            "crlf.sql": b"SELECT 1;\r\nSELECT * FROM t;\r\n",
            "bad.sql": "SELECT * FROM t;\nSELECT FROM WHERE;\nSELECT * FROM u;\n",
        }
    )
    run = run_cli("scan", str(root), "--format", "json")
    assert run.code == 1
    report = json.loads(run.out)
    found = sorted((f["path"], f["line"], f["rule"]) for f in report["findings"])
    assert found == [
        ("bad.sql", 1, "select-star"),
        ("bad.sql", 3, "select-star"),
        ("bom.py", 2, "sql-injection"),
        ("crlf.sql", 2, "select-star"),
        ("good.py", 2, "sql-injection"),
    ]
    errors = {e["path"]: e for e in report["errors"]}
    assert errors["syntax.py"]["kind"] == "parse-error" and errors["syntax.py"]["line"] == 1
    assert errors["blob.py"]["kind"] == "binary-file"
    assert (
        errors["latin1.py"]["kind"] == "decode-error" and "UTF-8" in errors["latin1.py"]["message"]
    )
    assert errors["bad.sql"]["kind"] == "parse-error" and errors["bad.sql"]["line"] == 2
    text = run_cli("scan", str(root))
    assert "syntax.py:1:" in text.out and "notice parse-error" in text.out
    assert "Traceback" not in text.out + text.err


def test_output_file(make_repo, run_cli, tmp_path) -> None:
    root = make_repo({"good.py": GOOD_PY})
    out = tmp_path / "report.sarif"
    run = run_cli("scan", str(root), "--format", "sarif", "--output", str(out))
    assert run.code == 1 and run.out == ""
    assert json.loads(out.read_text())["version"] == "2.1.0"
    bad = run_cli("scan", str(root), "--output", str(tmp_path / "no" / "such" / "dir.txt"))
    assert bad.code == 2 and "cannot write" in bad.err


def test_paths_shown_relative_to_the_working_directory(make_repo, run_cli) -> None:
    root = make_repo({"pkg/good.py": GOOD_PY})
    run = run_cli("scan", "repo", cwd=root.parent)
    assert "repo/pkg/good.py:2:15: error sql-injection" in run.out
    report = json.loads(run_cli("scan", "repo", "--format", "json", cwd=root.parent).out)
    assert report["findings"][0]["path"] == "pkg/good.py"


def test_rules_lists_every_rule(run_cli) -> None:
    run = run_cli("rules")
    assert run.code == 0
    for rule_id in load_catalog():
        assert rule_id in run.out
    rows = json.loads(run_cli("rules", "--format", "json").out)["rules"]
    star = next(r for r in rows if r["id"] == "select-star")
    assert star["language"] == "sql" and star["severity"] == "info"


def test_explain(run_cli) -> None:
    run = run_cli("explain", "sql-injection")
    assert run.code == 0
    assert "## Why" in run.out and "## Flagged" in run.out and "## Not flagged" in run.out
    missing = run_cli("explain", "sql-injections")
    assert missing.code == 2 and "did you mean `sql-injection`" in missing.err


def test_init_writes_a_valid_config_listing_every_rule(tmp_path, run_cli) -> None:
    run = run_cli("init", cwd=tmp_path)
    assert run.code == 0
    text = (tmp_path / ".reviewbot.yml").read_text()
    for meta in load_catalog().values():
        if not meta.planned:
            assert meta.id in text
    validate(yaml.safe_load(text), tmp_path, tmp_path / ".reviewbot.yml")
    assert run_cli("init", cwd=tmp_path).code == 2  # refuses to overwrite
    assert run_cli("init", "--force", cwd=tmp_path).code == 0


def test_readme_rule_table_is_the_catalog(run_cli) -> None:
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    table = readme.split("<!-- rules:start -->\n", 1)[1].split("<!-- rules:end -->", 1)[0]
    assert table == run_cli("rules", "--format", "markdown").out, (
        "README rule table is stale: paste `reviewbot rules --format markdown` between the markers"
    )


TALLY_REPO = {
    "app/orders.py": "def f(c, x):\n    c.execute(f'SELECT a FROM t WHERE b = {x}')\n",
    "app/q.sql": "SELECT * FROM t;\nSELECT * FROM u;\n",
}


def test_text_report_ends_with_a_per_rule_tally_and_paths_from_the_cwd(make_repo, run_cli) -> None:
    root = make_repo(TALLY_REPO)
    run = run_cli("scan", "..", cwd=root / "app")
    assert run.code == 1
    # Relative to where the user stands, like ruff: not ../app/orders.py.
    assert run.out.startswith("orders.py:2:")
    tally = run.out.split("Findings by rule:\n")[1].split("\n\n")[0].splitlines()
    assert [line.split() for line in tally] == [
        ["2", "select-star", "info"],
        ["1", "sql-injection", "error"],
    ]


def test_statistics_and_concise_formats(make_repo, run_cli) -> None:
    root = make_repo(TALLY_REPO)
    stats = run_cli("scan", "--statistics", cwd=root)
    assert stats.code == 1
    assert [line.split() for line in stats.out.splitlines()] == [
        ["2", "select-star", "info"],
        ["1", "sql-injection", "error"],
    ]
    rows = json.loads(run_cli("scan", "--statistics", "--format", "json", cwd=root).out)
    assert rows[0] == {"rule": "select-star", "count": 2, "severity": "info"}
    assert run_cli("scan", "--statistics", "--format", "sarif", cwd=root).code == 2
    concise = run_cli("scan", "--format", "concise", cwd=root).out.splitlines()
    assert concise[0].startswith("app/orders.py:2:15: sql-injection SQL passed to `execute`")
    assert concise[1].startswith("app/q.sql:1:8: select-star ")
    assert len(concise) == 3
    report = json.loads(run_cli("scan", "--format", "json", cwd=root).out)
    assert report["root"] == str(root.resolve())
    assert report["findings"][0]["path"] == "app/orders.py"


def test_every_python_file_that_does_not_parse_gets_a_notice(make_repo, run_cli) -> None:
    # No rule's prefilter wants these files (no SQL, no calls of interest): still parsed.
    root = make_repo(
        {
            "broken.py": "def broken(:\n    pass\n",
            "fine.py": "x = 1\n",
            "newer.py": "match x:\n    case 1:\n        pass\n",
        }
    )
    report = json.loads(run_cli("scan", str(root), "--format", "json", "--no-cache").out)
    assert [(e["path"], e["kind"], e["line"]) for e in report["errors"]] == [
        ("broken.py", "parse-error", 1)
    ]


def test_scan_stdin_with_stdin_filename(make_repo, run_cli, monkeypatch) -> None:
    import io
    import sys

    root = make_repo({".reviewbot.yml": "disable: [select-star]\n", "app/x.py": "x = 1\n"})

    def feed(text: str) -> None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))

    feed("def f(c, x):\n    c.execute(f'SELECT * FROM t WHERE b = {x}')\n")
    run = run_cli("scan", "-", "--stdin-filename", "app/new.py", "--format", "concise", cwd=root)
    assert run.code == 1
    # The config of the named file applies (select-star is disabled there); the path is its name.
    assert run.out.splitlines() == [
        line for line in run.out.splitlines() if line.startswith("app/new.py:2:15: sql-injection ")
    ]
    assert len(run.out.splitlines()) == 1
    feed("SELECT 1;\n")
    assert run_cli("scan", "-", cwd=root).code == 2
    feed("SELECT 1;\n")
    assert run_cli("scan", "-", "--stdin-filename", "notes.txt", cwd=root).code == 2
    assert run_cli("scan", "--stdin-filename", "a.py", cwd=root).code == 2


def test_version_does_not_load_the_scanner() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from reviewbot.entry import main\n"
        "assert main(['--version']) == 0\n"
        "heavy = [m for m in ('libcst', 'sqlglot', 'github', 'reviewbot.cli') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("reviewbot ")
