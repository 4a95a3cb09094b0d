"""SQL embedded in Python: which strings become SQL documents, placeholders, and line mapping."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewbot.scan.engine import Scanner
from reviewbot.sql.placeholders import normalise
from reviewbot.sql.source import SqlDocument, split_and_parse
from reviewbot.sql.text import TextBuilder, add_literal_body, apply_edits, host_offset
from reviewbot.workspace.config import Config
from reviewbot.workspace.sources import SourceFile
from tests.conftest import scan_texts


def documents(code: str, path: str = "app/db.py", dialect: str = "postgres") -> list[SqlDocument]:
    scanner = Scanner(Config(root=Path("/nonexistent"), sql_dialect=dialect), ["select-star"])
    scanner.scan_sources([SourceFile(path, code, "python")])
    return scanner.sql_documents


def texts(code: str, **kwargs: str) -> list[str]:
    return [" ".join(d.text.split()) for d in documents(code, **kwargs)]


def test_constant_sql_reaching_sinks_is_extracted() -> None:
    code = (
        "import pandas as pd\n"
        "from sqlalchemy import text as sql_text\n"
        "from django.db.models.expressions import RawSQL\n"
        "ACTIVE = 'SELECT id FROM users WHERE active'\n"
        "def f(cur, conn, engine, qs):\n"
        "    cur.execute(ACTIVE)\n"
        "    conn.execute(sql_text('SELECT id FROM a'))\n"
        "    pd.read_sql('SELECT id FROM b', engine)\n"
        "    qs.annotate(n=RawSQL('SELECT count(*) FROM c', ()))\n"
        "    cur.executemany(sql='INSERT INTO d (x) VALUES (%s)', seq_of_parameters=[])\n"
        "    q = 'SELECT id FROM e'\n"
        "    q += ' WHERE id = %s'\n"
        "    cur.execute(q, (1,))\n"
    )
    assert texts(code) == [
        "SELECT id FROM users WHERE active",
        "SELECT id FROM a",
        "SELECT id FROM b",
        "SELECT count(*) FROM c",
        "INSERT INTO d (x) VALUES (@1)",
        "SELECT id FROM e WHERE id = @1",
    ]


@pytest.mark.parametrize(
    "code",
    [
        # formatted from a variable: sql-injection's business, text not known
        "def f(cur, t):\n    cur.execute(f'SELECT id FROM {t}')\n",
        "def f(cur, t):\n    cur.execute('SELECT id FROM %s' % t)\n",
        # assigned in one branch only: not certain to be the value
        "def f(cur, x):\n    q = 'SELECT 1'\n    if x:\n        q = 'SELECT 2'\n    cur.execute(q)\n",
        # not SQL at all
        "def f(executor):\n    executor.execute('run the nightly job')\n",
        # an expression fragment, not a statement
        "from sqlalchemy import text\ndef f(q):\n    return q.where(text('id = :id'))\n",
    ],
)
def test_unknown_or_non_sql_text_is_not_extracted(code: str) -> None:
    assert texts(code) == []


def test_constant_fstring_fields_and_concatenation_are_followed() -> None:
    code = (
        "COLUMNS = 'id, email'\n"
        "def f(cur):\n"
        "    cur.execute(f'SELECT {COLUMNS} FROM users' ' WHERE id = %s' + ' LIMIT 1', (1,))\n"
    )
    assert texts(code) == ["SELECT id, email FROM users WHERE id = @1 LIMIT 1"]


@pytest.mark.parametrize(
    ("sql", "dialect", "expected"),
    [
        ("SELECT a FROM t WHERE a = %s AND b = %(name)s", "mysql", "a = @1 AND b = @1      "),
        ("SELECT a FROM t WHERE a = %s AND b = %(name)s", "postgres", "a = @1 AND b = @1      "),
        ("SELECT a FROM t WHERE a = $1 AND b = $12", "sqlite", "a = @1 AND b = @1 "),
        ("SELECT a FROM t WHERE a = :1 AND b = :name", "postgres", "a = @1 AND b = @1   "),
        ("SELECT a[1:2], b::text FROM t WHERE c = '%s :x ?'", "postgres", "a[1:2], b::text"),
        ("SELECT a FROM t WHERE tags ? 'x' AND b = $1", "postgres", "tags ? 'x' AND b = @1"),
    ],
)
def test_placeholders_become_parseable_without_moving_offsets(
    sql: str, dialect: str, expected: str
) -> None:
    text, segments = normalise(sql, [(0, 0)], dialect)
    assert expected in text
    assert len(text) == len(sql) and segments == [(0, 0)]
    document = SqlDocument(
        host=SourceFile("q.sql", text, "sql"), text=text, dialect=dialect, segments=segments
    )
    assert not split_and_parse(document).errors


def test_question_mark_placeholders_keep_their_position() -> None:
    sql = "SELECT a FROM t WHERE a = ? LIMIT 10 OFFSET ?"
    text, segments = normalise(sql, [(0, 500)], "sqlite")
    assert text == "SELECT a FROM t WHERE a = @1 LIMIT 10 OFFSET @1"
    assert host_offset(segments, text.rindex("@")) == 500 + sql.rindex("?")
    assert host_offset(segments, text.index("LIMIT")) == 500 + sql.index("LIMIT")


def test_pyformat_percent_escape_is_unescaped_with_segment_bookkeeping() -> None:
    sql = "SELECT a FROM t WHERE a LIKE 'x%%y' AND b = %s"
    text, segments = normalise(sql, [(0, 100)], "mysql")
    assert text == "SELECT a FROM t WHERE a LIKE 'x%y' AND b = @1"
    b_at = text.index("b =")
    assert host_offset(segments, b_at) == 100 + sql.index("b =")


def test_escapes_and_line_continuations_keep_lines_and_columns() -> None:
    builder = TextBuilder()
    body = "SELECT\\tid,\\\n name FROM t WHERE x = '\\n'"
    add_literal_body(builder, body, 1000, raw=False)
    text, segments = builder.mapped()
    assert text == "SELECT\tid, name FROM t WHERE x = '\n'"
    assert host_offset(segments, text.index("name")) == 1000 + body.index("name")
    assert host_offset(segments, text.index("FROM")) == 1000 + body.index("FROM")
    edited, edited_segments = apply_edits(text, segments, [(0, 6, "SELECT")])
    assert host_offset(edited_segments, edited.index("FROM")) == 1000 + body.index("FROM")


def test_findings_point_at_the_python_line_holding_the_sql() -> None:
    code = (
        "def report(cursor):\n"
        "    cursor.execute(\n"
        '        """\n'
        "        SELECT id\n"
        "        FROM orders\n"
        "        WHERE note = '\\t'\n"
        '        """ "UNION SELECT * FROM archived_orders"\n'
        "    )\n"
        "    cursor.execute(r\"SELECT '\\d' AS re, * FROM t\")\n"
    )
    result = scan_texts({"app/report.py": code}, ["select-star"])
    positions = [(f.line, f.column) for f in result.findings]
    line7 = code.split("\n")[6]
    line9 = code.split("\n")[8]
    assert positions == [(7, line7.index("*") + 1), (9, line9.index("*") + 1)]


def test_unparseable_sql_is_an_error_and_the_rest_is_still_checked() -> None:
    files = {
        "db/report.sql": (
            "SELECT * FROM a;\nSELEC broken FROM;\nCREATE FUNCTION f( RETURNS int;\n"
            "UPDATE accounts SET balance_cents = 0;\n"
        ),
        "app/db.py": (
            "from sqlalchemy import text\n"
            "def f(conn):\n"
            "    conn.execute(text('SELECT FROM WHERE ;; DELETE FROM sessions'))\n"
        ),
    }
    result = scan_texts(files, ["select-star", "update-without-where"])
    assert {(e.path, e.line) for e in result.errors} == {
        ("db/report.sql", 2),
        ("db/report.sql", 3),
        ("app/db.py", 3),
    }
    assert all(e.kind == "parse-error" for e in result.errors)
    assert {(f.rule, f.path, f.line) for f in result.findings} == {
        ("select-star", "db/report.sql", 1),
        ("update-without-where", "db/report.sql", 4),
        ("update-without-where", "app/db.py", 3),
    }


def test_files_without_sql_sinks_are_not_traversed() -> None:
    from reviewbot.sql.extract import SqlExtractor

    assert not SqlExtractor.wants("def f(x):\n    return x.execute(plan)\n")
    assert not SqlExtractor.wants("QUERY = 'SELECT 1'\n")
    assert SqlExtractor.wants("def f(c):\n    c.execute('SELECT 1')\n")
    assert SqlExtractor.wants("from alembic import op\ndef upgrade():\n    pass\n")
    assert not SqlExtractor.wants("def f(row):\n    return row.fetch('delete')\n")
