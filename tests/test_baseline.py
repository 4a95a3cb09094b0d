"""Baselines: a round trip hides known findings even after unrelated lines move them."""

from __future__ import annotations

import json


def test_baseline_round_trip_survives_an_inserted_line(make_repo, run_cli) -> None:
    code = "def f(c, x):\n    c.execute(f'SELECT a FROM t WHERE b = {x}')\n"
    root = make_repo({"app.py": code, "q.sql": "SELECT * FROM t;\n"})
    baseline = root / "baseline.json"
    written = run_cli("scan", str(root), "--write-baseline", str(baseline))
    assert written.code == 0
    assert len(json.loads(baseline.read_text())["findings"]) == 2

    # Unrelated edits shift both findings down; a new finding appears.
    (root / "app.py").write_text(
        "import os\n\n\n"
        + code
        + "\ndef g(c, y):\n    c.execute('SELECT a FROM t WHERE b = ' + y)\n"
    )
    (root / "q.sql").write_text("-- reports\n\nSELECT * FROM t;\n")
    run = run_cli("scan", str(root), "--baseline", str(baseline), "--format", "json")
    report = json.loads(run.out)
    assert [(f["rule"], f["line"]) for f in report["findings"]] == [("sql-injection", 8)]
    assert report["summary"]["baselined"] == 2
    assert run.code == 1


def test_same_code_twice_needs_two_baseline_entries(make_repo, run_cli) -> None:
    root = make_repo({"q.sql": "SELECT * FROM t;\n"})
    baseline = root / "b.json"
    run_cli("scan", str(root), "--write-baseline", str(baseline))
    (root / "q.sql").write_text("SELECT * FROM t;\nSELECT * FROM t;\n")
    report = json.loads(
        run_cli("scan", str(root), "--baseline", str(baseline), "--format", "json").out
    )
    assert len(report["findings"]) == 1


def test_bad_baseline_file_is_a_usage_error(make_repo, run_cli) -> None:
    root = make_repo({"q.sql": "SELECT 1;\n", "b.json": "not json"})
    run = run_cli("scan", str(root), "--baseline", str(root / "b.json"))
    assert run.code == 2 and "not a reviewbot baseline" in run.err
    run = run_cli("scan", str(root), "--baseline", str(root / "missing.json"))
    assert run.code == 2 and "cannot read" in run.err
