"""Inline suppressions in Python and SQL, file-level ones, and reporting unknown ids."""

from __future__ import annotations

from tests.conftest import scan_texts

PY_RULES = ["sql-injection", "invalid-suppression"]
BAD = "c.execute(f'SELECT a FROM t WHERE b = {x}')"


def _rules_by_line(result) -> list[tuple[int, str]]:
    return [(f.line, f.rule) for f in result.findings]


def test_same_line_and_line_above_python() -> None:
    code = (
        "def f(c, x):\n"
        f"    {BAD}  # reviewbot: ignore[sql-injection]\n"
        "    # reviewbot: ignore[sql-injection]\n"
        f"    {BAD}\n"
        "    # unrelated comment\n"
        f"    {BAD}\n"
        f"    {BAD}  # reviewbot: ignore[select-star]\n"
    )
    result = scan_texts({"a.py": code}, PY_RULES)
    assert _rules_by_line(result) == [(6, "sql-injection"), (7, "sql-injection")]
    assert result.summary.suppressed == 2


def test_bare_ignore_silences_every_rule_on_the_line() -> None:
    code = f"def f(c, x):\n    {BAD}  # reviewbot: ignore\n"
    assert scan_texts({"a.py": code}, PY_RULES).findings == []


def test_directive_above_stacks_over_comment_lines() -> None:
    code = (
        "def f(c, x):\n"
        "    # reviewbot: ignore[sql-injection]\n"
        "    # the table name is validated by the caller\n"
        f"    {BAD}\n"
    )
    assert scan_texts({"a.py": code}, PY_RULES).findings == []


def test_sql_comment_style() -> None:
    sql = (
        "SELECT * FROM a; -- reviewbot: ignore[select-star]\n"
        "-- reviewbot: ignore[select-star]\n"
        "SELECT * FROM b;\n"
        "SELECT * FROM c;\n"
    )
    result = scan_texts({"q.sql": sql}, ["select-star"])
    assert _rules_by_line(result) == [(4, "select-star")]


def test_ignore_file() -> None:
    sql = "-- reviewbot: ignore-file[select-star]\nSELECT * FROM a;\nSELECT * FROM b;\n"
    assert scan_texts({"q.sql": sql}, ["select-star"]).findings == []
    py = f"# reviewbot: ignore-file\ndef f(c, x):\n    {BAD}\n"
    assert scan_texts({"a.py": py}, PY_RULES).findings == []


def test_unknown_rule_in_directive_is_reported_with_a_suggestion() -> None:
    code = f"def f(c, x):\n    {BAD}  # reviewbot: ignore[sql-injecton, select-star]\n"
    result = scan_texts({"a.py": code}, PY_RULES)
    rules = _rules_by_line(result)
    assert (2, "invalid-suppression") in rules
    assert (2, "sql-injection") in rules  # the misspelled id suppressed nothing
    message = next(f.message for f in result.findings if f.rule == "invalid-suppression")
    assert "`sql-injecton`" in message and "did you mean `sql-injection`" in message


UNUSED = ["sql-injection", "unused-suppression"]


def test_unused_suppressions_are_reported_only_for_rules_that_ran() -> None:
    code = (
        "def f(c, x):\n"
        f"    {BAD}  # reviewbot: ignore[sql-injection] -- used\n"
        "    c.execute('SELECT 1')  # reviewbot: ignore[sql-injection]\n"
        "    y = 1  # reviewbot: ignore\n"
        "    z = 2  # reviewbot: ignore[select-star]\n"
    )
    result = scan_texts({"a.py": code}, UNUSED)
    # Line 5 names a rule that did not run in this scan: it cannot be judged stale.
    assert _rules_by_line(result) == [(3, "unused-suppression"), (4, "unused-suppression")]
    assert "`reviewbot: ignore[sql-injection]` suppresses no finding" in result.findings[0].message
    assert "(every rule)" in result.findings[1].message  # the bare ignore did not silence it


def test_reason_is_kept_with_the_suppressed_finding_in_json_and_sarif(make_repo, run_cli) -> None:
    import json

    code = (
        "def f(c, x):\n"
        f"    {BAD}  # reviewbot: ignore[sql-injection] -- ids are ints\n"
        "    # reviewbot: ignore[sql-injection]\n"
        f"    {BAD}\n"
    )
    root = make_repo({"a.py": code})
    report = json.loads(run_cli("scan", str(root), "--format", "json").out)
    assert report["findings"] == []
    assert [s["suppression"] for s in report["suppressed"]] == [
        {"kind": "ignore", "line": 2, "reason": "ids are ints"},
        {"kind": "ignore", "line": 3, "reason": None},
    ]
    sarif = json.loads(run_cli("scan", str(root), "--format", "sarif").out)
    results = sarif["runs"][0]["results"]
    assert results[0]["suppressions"] == [
        {"kind": "inSource", "status": "accepted", "justification": "ids are ints"}
    ]
    assert results[1]["suppressions"] == [{"kind": "inSource", "status": "accepted"}]


def test_require_reason_reports_directives_without_one(make_repo, run_cli) -> None:
    code = (
        "def f(c, x):\n"
        f"    {BAD}  # reviewbot: ignore[sql-injection] -- ids are ints\n"
        f"    {BAD}  # reviewbot: ignore[sql-injection]\n"
    )
    config = "options:\n  invalid-suppression:\n    require-reason: true\n"
    root = make_repo({"a.py": code, ".reviewbot.yml": config})
    run = run_cli("scan", "--format", "concise", cwd=root)
    assert run.out.splitlines() == [
        "a.py:3:50: invalid-suppression `reviewbot: ignore` gives no reason; say why the code is "
        "safe after it: `# reviewbot: ignore[rule] -- why` (`require-reason` is on)."
    ]


def test_foreign_suppressions_count_in_the_suppressed_total() -> None:
    code = (
        "def f(c, x):\n"
        f"    {BAD}  # noqa: S608\n"
        f"    {BAD}  # nosec B608\n"
        f"    {BAD}  # nosec\n"
        f"    {BAD}  # noqa\n"  # bare noqa is not honoured: too broad to mean this rule
        f"    {BAD}  # noqa: E501\n"
    )
    result = scan_texts({"a.py": code}, ["sql-injection"])
    assert _rules_by_line(result) == [(5, "sql-injection"), (6, "sql-injection")]
    assert (result.summary.suppressed, result.summary.foreign_suppressed) == (3, 3)
