"""Commands load what they need: libcst and sqlglot (about a second) only for a scan.

Not timed (speed is measured in bench/): each command runs in a fresh interpreter, which then
reports which of the heavy libraries it imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("libcst", "sqlglot", "github")
PROBE = """
import contextlib, io, json, sys
from reviewbot.entry import main
out, err = io.StringIO(), io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
    try:
        code = main(sys.argv[1:])
    except SystemExit as exc:
        code = exc.code
print(json.dumps({"code": code, "out": out.getvalue(), "err": err.getvalue(),
                  "loaded": sorted(m for m in HEAVY if m in sys.modules),
                  "cli": "reviewbot.cli" in sys.modules,
                  "mapping": "reviewbot.checklist.mapping" in sys.modules,
                  "rules": sorted(m.rsplit(".", 1)[-1] for m in sys.modules
                                  if m.startswith("reviewbot.checks.") and m.count(".") == 3)}))
""".replace("HEAVY", repr(HEAVY))


def _probe(cwd: Path, *args: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(proc.stdout.splitlines()[-1])


@pytest.mark.parametrize(
    "args",
    [
        ("rules",),
        ("rules", "--format", "markdown"),
        ("explain", "sql-injection"),
        ("checklist",),
        ("init",),
        ("--help",),
        ("scan", "--help"),
    ],
)
def test_commands_that_scan_nothing_load_no_parser(tmp_path: Path, args: tuple[str, ...]) -> None:
    (tmp_path / "README.md").write_text("# a repository without code yet\n")
    agents = tmp_path / ".claude" / "agents"
    agents.mkdir(parents=True)
    (agents / "backend.md").write_text(
        "# Backend\n\n## Checklist\n\n- Always use parameterized queries\n"
    )
    run = _probe(tmp_path, *args)
    assert run["code"] == 0, run
    assert run["out"], run  # the command did its work
    assert run["loaded"] == [], f"`reviewbot {' '.join(args)}` imported {run['loaded']}"


def test_version_answers_before_the_command_line_loads(tmp_path: Path) -> None:
    run = _probe(tmp_path, "--version")
    assert run["code"] == 0 and run["out"].startswith("reviewbot ")
    assert run["loaded"] == [] and run["cli"] is False


def test_a_scan_does_load_the_parsers(tmp_path: Path) -> None:
    # The probe sees imports: a scan that parses Python and SQL shows both.
    (tmp_path / "app.py").write_text("def f(cur, x):\n    cur.execute(f'SELECT {x}')\n")
    (tmp_path / "q.sql").write_text("DELETE FROM t;\n")
    run = _probe(tmp_path, "scan", "--no-cache", "--format", "json", ".")
    assert run["code"] == 1, run
    assert {"libcst", "sqlglot"} <= set(run["loaded"])


def test_a_warm_scan_of_one_file_loads_no_parser(tmp_path: Path) -> None:
    # pre-commit and editors rescan one file whose outcome is cached: the cached outcome, the
    # project rules about suppressions and the cached checklist mapping need no parser.
    (tmp_path / "app.py").write_text(
        "import hashlib\n\n\ndef digest(password):\n    return hashlib.md5(password).hexdigest()\n"
    )
    args = ("scan", "--cache-dir", str(tmp_path / "cache"), "--format", "json", "app.py")
    cold = _probe(tmp_path, *args)
    warm = _probe(tmp_path, *args)
    assert "libcst" in cold["loaded"] and cold["mapping"]
    assert warm["out"] == cold["out"] and warm["code"] == cold["code"] == 1
    assert json.loads(warm["out"])["findings"], warm  # the cached outcome was reported
    assert warm["loaded"] == [], f"a warm one-file scan imported {warm['loaded']}"
    assert not warm["mapping"], "the agent checklists were mapped again, not read from the cache"
    # The project pass's output was read from the cache: no rule module was imported.
    assert warm["rules"] == [], warm["rules"]


def test_a_warm_scan_of_unchanged_sql_loads_no_parser(tmp_path: Path) -> None:
    # The cached project pass stands for the schema rules: the SQL documents (sqlglot trees)
    # they would read are never unpickled. An edit brings the rules and the parser back.
    (tmp_path / "schema.sql").write_text("CREATE TABLE t (id int);\n")
    args = ("scan", "--cache-dir", str(tmp_path / "cache"), "--format", "json", ".")
    cold = _probe(tmp_path, *args)
    warm = _probe(tmp_path, *args)
    assert "table_without_primary_key" in cold["rules"]
    assert warm["out"] == cold["out"]
    assert {f["rule"] for f in json.loads(warm["out"])["findings"]} >= {"table-without-primary-key"}
    assert warm["loaded"] == [], f"a warm scan of unchanged SQL imported {warm['loaded']}"
    assert warm["rules"] == [], warm["rules"]
    (tmp_path / "schema.sql").write_text("CREATE TABLE t (id int PRIMARY KEY);\n")
    edited = _probe(tmp_path, *args)
    assert "sqlglot" in edited["loaded"] and "table_without_primary_key" in edited["rules"]
    rules = {f["rule"] for f in json.loads(edited["out"])["findings"]}
    assert "table-without-primary-key" not in rules
