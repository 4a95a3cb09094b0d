"""Dialect behaviour of the SQL rules: Postgres-only rules stay silent elsewhere, MySQL forms work."""

from __future__ import annotations

import pytest

from tests.conftest import scan_texts

UP = "db/migrations/000009_change.up.sql"


def hits(files: dict[str, str], rule: str, dialect: str) -> list[int]:
    result = scan_texts(files, [rule], sql_dialect=dialect)
    assert not [e for e in result.errors if e.kind == "rule-crash"], result.errors
    return [f.line for f in result.findings if f.rule == rule]


@pytest.mark.parametrize(
    ("rule", "sql"),
    [
        ("index-without-concurrently", "CREATE INDEX orders_status_idx ON orders (status);"),
        ("timestamp-without-time-zone", "ALTER TABLE events ADD COLUMN seen_at TIMESTAMP;"),
        ("not-null-without-default", "ALTER TABLE orders ADD COLUMN kind TEXT NOT NULL;"),
        (
            "foreign-key-without-index",
            "CREATE TABLE a (id INT PRIMARY KEY, b_id INT, FOREIGN KEY (b_id) REFERENCES b (id));",
        ),
    ],
)
def test_rules_that_do_not_apply_to_mysql_stay_silent(rule: str, sql: str) -> None:
    assert hits({UP: sql}, rule, "postgres") == [1]
    assert hits({UP: sql}, rule, "mysql") == []


@pytest.mark.parametrize(
    ("rule", "sql"),
    [
        ("destructive-migration", "RENAME TABLE orders TO old_orders;"),
        ("destructive-migration", "ALTER TABLE orders CHANGE COLUMN total total_cents BIGINT;"),
        ("grant-all-privileges", "GRANT ALL PRIVILEGES ON shop.* TO 'app'@'%';"),
        ("float-for-money", "ALTER TABLE orders ADD COLUMN price FLOAT;"),
        ("update-without-where", "UPDATE orders SET note = NULL;"),
    ],
)
def test_mysql_statements_are_checked(rule: str, sql: str) -> None:
    assert hits({UP if rule == "destructive-migration" else "q.sql": sql}, rule, "mysql") == [1]


def test_mysql_modify_restating_the_type_is_not_a_type_change() -> None:
    files = {
        "db/migrations/000001_orders.up.sql": "CREATE TABLE orders (id INT PRIMARY KEY, note TEXT);",
        UP: "ALTER TABLE orders MODIFY COLUMN note TEXT NOT NULL;\n"
        "ALTER TABLE orders MODIFY COLUMN id BIGINT;",
    }
    assert hits(files, "column-type-change", "mysql") == [2]


def test_mysql_table_comment_option_counts_as_a_comment() -> None:
    sql = "CREATE TABLE orders (id INT PRIMARY KEY) COMMENT='One checkout';\nCREATE TABLE x (id INT PRIMARY KEY);"
    assert hits({"schema.sql": sql}, "table-without-comment", "mysql") == [2]


def test_sqlite_embedded_sql_with_qmark_placeholders() -> None:
    code = (
        "import sqlite3\n"
        "def page(db, offset):\n"
        "    return db.execute('SELECT id FROM notes ORDER BY id LIMIT 20 OFFSET ?', (offset,))\n"
    )
    result = scan_texts({"app/notes.py": code}, ["offset-pagination"], sql_dialect="sqlite")
    assert [(f.line, f.column) for f in result.findings] == [
        (3, code.split("\n")[2].index("?") + 1)
    ]
