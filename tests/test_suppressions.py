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
