"""Generated down migrations and the SQL fixes (issue 18).

The catalog examples are fixed in tests/test_fixes.py; here: what each up statement inverts to,
which migrations get no fix or an unsafe one, and the proof on PostgreSQL that a generated down
migration, run after its up migration, gives back the schema from before.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from reviewbot.database import server, snapshot
from reviewbot.model.catalog import load_catalog
from reviewbot.model.findings import Edit, Finding
from reviewbot.sql.alembic_inverse import downgrade_edit
from reviewbot.sql.inverse import invert
from reviewbot.sql.source import SqlDocument, split_and_parse
from reviewbot.workspace.sources import SourceFile
from tests.conftest import scan_texts
from tests.test_migrations_verify import (  # noqa: F401  (pg_server: the server fixture)
    pg_server,
    rules_of,
    verify,
    write,
)


def down_sql(sql: str, dialect: str = "postgres") -> tuple[list[str], int]:
    document = SqlDocument(SourceFile("m.sql", sql, "sql"), sql, dialect)
    split_and_parse(document)
    down = invert(document.statements, dialect)
    return [s.sql for s in down.steps if s.sql is not None], down.stubs


def apply(files: dict[str, str], edits: tuple[Edit, ...]) -> dict[str, str]:
    out = dict(files)
    for path in {e.path for e in edits}:
        text = out.get(path, "")
        for edit in sorted((e for e in edits if e.path == path), key=lambda e: -e.start):
            text = text[: edit.start] + edit.text + text[edit.end :]
        out[path] = text
    return out


def hits(files: dict[str, str], rule: str) -> list[Finding]:
    return [f for f in scan_texts(files, [rule], start_after="0").findings if f.rule == rule]


# -- what inverts to what -------------------------------------------------------------------------


def test_exact_inverses_run_in_reverse_order() -> None:
    sql, stubs = down_sql(
        "CREATE EXTENSION citext; CREATE TYPE app.mood AS ENUM ('a'); "
        'CREATE TABLE app."Orders" (id bigint PRIMARY KEY); '
        'CREATE INDEX orders_id ON app."Orders" (id); '
        "ALTER TABLE users ADD COLUMN a int, ADD CONSTRAINT users_a UNIQUE (a); "
        "ALTER TABLE users RENAME COLUMN x TO y; ALTER TABLE users RENAME TO people; "
        "CREATE SEQUENCE s; CREATE MATERIALIZED VIEW mv AS SELECT 1"
    )
    assert stubs == 0
    assert sql == [
        "DROP MATERIALIZED VIEW mv",
        "DROP SEQUENCE s",
        "ALTER TABLE people RENAME TO users",
        "ALTER TABLE users RENAME COLUMN y TO x",
        "ALTER TABLE users DROP CONSTRAINT users_a",
        "ALTER TABLE users DROP COLUMN a",
        "DROP INDEX app.orders_id",
        'DROP TABLE app."Orders"',
        "DROP TYPE app.mood",
        "DROP EXTENSION citext",
    ]


def test_statements_on_a_table_the_migration_creates_need_no_inverse() -> None:
    sql, stubs = down_sql(
        "CREATE TABLE t (id int); INSERT INTO t VALUES (1); CREATE INDEX ON t (id); "
        "ALTER TABLE t ALTER COLUMN id SET DEFAULT 0; COMMENT ON TABLE t IS 'x'"
    )
    assert (sql, stubs) == (["DROP TABLE t"], 0)


def test_what_has_no_exact_inverse_becomes_a_todo() -> None:
    sql, stubs = down_sql(
        "DROP TABLE legacy; UPDATE users SET a = 1; ALTER TABLE users ALTER COLUMN b TYPE bigint; "
        "CREATE EXTENSION IF NOT EXISTS pgcrypto; ALTER TYPE mood ADD VALUE 'c'"
    )
    assert sql == [] and stubs == 5


def test_a_type_change_reverts_to_the_type_an_earlier_migration_stated() -> None:
    files = {
        "db/migrations/000001_users.up.sql": "CREATE TABLE users (id int, code varchar(20));\n",
        "db/migrations/000001_users.down.sql": "DROP TABLE users;\n",
        "db/migrations/000002_code.up.sql": "ALTER TABLE users ALTER COLUMN code TYPE text;\n",
    }
    [finding] = hits(files, "missing-down-migration")
    assert finding.fix is not None and finding.fix.safe
    [edit] = finding.fix.edits
    assert edit.path == "db/migrations/000002_code.down.sql"
    assert (
        edit.text
        == "ALTER TABLE users ALTER COLUMN code TYPE VARCHAR(20) USING code::VARCHAR(20);\n"
    )


def test_unnamed_constraint_is_dropped_by_postgres_default_name_with_a_todo() -> None:
    sql, stubs = down_sql('ALTER TABLE "Orders" ADD FOREIGN KEY ("userId") REFERENCES u (id)')
    assert sql == ['ALTER TABLE "Orders" DROP CONSTRAINT "Orders_userId_fkey"'] and stubs == 1


def test_alembic_downgrade_from_upgrade() -> None:
    text = (
        "from alembic import op\nimport sqlalchemy as sa\n\nrevision = 'b'\ndown_revision = 'a'"
        "\n\n\ndef upgrade() -> None:\n"
        "    if skip(op):\n        return\n"
        '    op.create_table("t", sa.Column("id", sa.Integer(), primary_key=True))\n'
        '    op.add_column("u", sa.Column("c", sa.Text()))\n'
        '    op.create_index(op.f("ix_u_c"), "u", ["c"])\n'
        '    op.alter_column("u", "n", existing_type=sa.String(20), type_=sa.Text())\n'
        '    with op.batch_alter_table("v") as batch_op:\n'
        '        batch_op.add_column(sa.Column("d", sa.Integer()))\n'
        "\n\ndef downgrade() -> None:\n    # nothing yet\n    pass\n"
    )
    found = downgrade_edit(text)
    assert found is not None and found.down.complete
    fixed = text[: found.start] + found.text + text[found.end :]
    compile(fixed, "rev.py", "exec")
    assert fixed.endswith(
        "def downgrade() -> None:\n    # nothing yet\n"
        "    if skip(op):\n        return\n"
        '    with op.batch_alter_table("v") as batch_op:\n'
        '        batch_op.drop_column("d")\n'
        '    op.alter_column("u", "n", type_=sa.String(20), existing_type=sa.Text())\n'
        '    op.drop_index(op.f("ix_u_c"), table_name="u")\n'
        '    op.drop_column("u", "c")\n'
        '    op.drop_table("t")\n'
    )


@pytest.mark.parametrize("returns", ["", " -> None"])
def test_alembic_without_downgrade_gets_one_and_stubs_make_it_unsafe(returns: str) -> None:
    files = {
        "alembic/versions/3f2a_x.py": (
            "from alembic import op\nimport sqlalchemy as sa\n\n"
            f'revision = "3f2a"\ndown_revision = "1b7c"\n\n\ndef upgrade(){returns}:\n'
            '    op.add_column("orders", sa.Column("status", sa.Text()))\n'
            '    op.drop_column("orders", "legacy")\n'
        )
    }
    [finding] = hits(files, "missing-down-migration")
    assert finding.fix is not None and not finding.fix.safe
    fixed = apply(files, finding.fix.edits)["alembic/versions/3f2a_x.py"]
    compile(fixed, "x.py", "exec")
    assert f"\n\n\ndef downgrade(){returns}:\n    # TODO: undo `op.drop_column(" in fixed
    assert fixed.rstrip().endswith('op.drop_column("orders", "status")')
    assert not hits(apply(files, finding.fix.edits), "missing-down-migration")


def test_no_fix_when_nothing_has_an_exact_inverse() -> None:
    files = {"db/migrations/000002_backfill.up.sql": "UPDATE orders SET status = 'new';\n"}
    [finding] = hits(files, "missing-down-migration")
    assert finding.fix is None


def test_goose_down_section_is_added_after_the_up_section() -> None:
    files = {
        "db/migrations/20240101_x.sql": (
            "-- +goose Up\nCREATE TABLE t (id int);\nCREATE INDEX t_id ON t (id);\n"
        )
    }
    [finding] = hits(files, "missing-down-migration")
    assert finding.fix is not None and finding.fix.safe
    fixed = apply(files, finding.fix.edits)
    assert fixed["db/migrations/20240101_x.sql"].endswith(
        "CREATE INDEX t_id ON t (id);\n\n-- +goose Down\nDROP INDEX t_id;\nDROP TABLE t;\n"
    )
    assert not hits(fixed, "missing-down-migration")


# -- CONCURRENTLY, column types -----------------------------------------------------------------


def test_no_concurrently_fix_inside_a_transaction_and_the_message_says_why() -> None:
    files = {
        "db/migrations/000004_idx.up.sql": (
            "ALTER TABLE orders ADD COLUMN s text;\nCREATE INDEX orders_s ON orders (s);\n"
        )
    }
    [finding] = hits(files, "index-without-concurrently")
    assert finding.fix is None
    assert "not fixed automatically" in finding.message


def test_concurrently_fix_where_the_file_opts_out_of_the_transaction() -> None:
    files = {
        "db/migrations/20240101_idx.sql": (
            "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE UNIQUE INDEX o_s ON orders (s);\n"
            "-- +goose Down\nDROP INDEX o_s;\n"
        )
    }
    [finding] = hits(files, "index-without-concurrently")
    assert finding.fix is not None and finding.fix.safe
    fixed = apply(files, finding.fix.edits)
    assert (
        "CREATE UNIQUE INDEX CONCURRENTLY o_s ON orders (s);"
        in fixed["db/migrations/20240101_idx.sql"]
    )
    assert not hits(fixed, "index-without-concurrently")


def test_alembic_concurrently_fix_is_unsafe_beside_other_operations() -> None:
    files = {
        "alembic/versions/5d1e_idx.py": (
            'from alembic import op\n\nrevision = "5d1e"\ndown_revision = "3f2a"\n\n\n'
            "def upgrade():\n"
            '    op.execute("UPDATE orders SET s = 1")\n'
            '    op.create_index(\n        "ix_o_s",\n        "orders",\n        ["s"],\n    )\n'
            '\n\ndef downgrade():\n    op.drop_index("ix_o_s", table_name="orders")\n'
        )
    }
    [finding] = hits(files, "index-without-concurrently")
    assert finding.fix is not None and not finding.fix.safe
    fixed = apply(files, finding.fix.edits)
    compile(fixed["alembic/versions/5d1e_idx.py"], "x.py", "exec")
    assert not hits(fixed, "index-without-concurrently")


def test_types_are_fixed_only_in_the_create_table_of_a_new_table() -> None:
    files = {
        "db/migrations/000001_t.up.sql": (
            "CREATE TABLE t (id int, at timestamp(3) NOT NULL, price float);\n"
            "ALTER TABLE t ADD COLUMN later timestamp;\n"
        ),
        "db/migrations/000001_t.down.sql": "DROP TABLE t;\n",
    }
    stamps = hits(files, "timestamp-without-time-zone")
    [money] = hits(files, "float-for-money")
    assert money.fix is not None and not money.fix.safe
    assert [f.fix for f in stamps] == [None]  # `at` and `later` in one finding: `later` is not new
    files["db/migrations/000001_t.up.sql"] = "CREATE TABLE t (id int, at timestamp(3) NOT NULL);\n"
    [stamp] = hits(files, "timestamp-without-time-zone")
    assert stamp.fix is not None and stamp.fix.safe
    fixed = apply(files, stamp.fix.edits)
    assert "at timestamptz(3) NOT NULL" in fixed["db/migrations/000001_t.up.sql"]


# -- the proof on PostgreSQL ----------------------------------------------------------------------

UP_MIGRATIONS = [
    "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, total numeric);",
    "CREATE TYPE mood AS ENUM ('ok', 'sad');\n"
    "CREATE TABLE moods (id serial PRIMARY KEY, m mood NOT NULL);\n"
    "CREATE INDEX moods_m ON moods (m);\nINSERT INTO moods (m) VALUES ('ok');",
    "ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new', "
    "ADD CONSTRAINT orders_status_check CHECK (status <> '');",
    "CREATE INDEX orders_user ON orders (user_id);\nALTER INDEX orders_user RENAME TO orders_uid;",
    "ALTER TABLE orders RENAME COLUMN total TO amount;\nALTER TABLE orders RENAME TO purchases;",
    "CREATE SCHEMA billing;\nCREATE SEQUENCE billing.invoice_no;\n"
    "CREATE VIEW billing.open AS SELECT id FROM purchases;\n"
    "CREATE MATERIALIZED VIEW billing.totals AS SELECT count(*) AS n FROM purchases;",
    "CREATE FUNCTION billing.double(int) RETURNS int AS $$ SELECT $1 * 2 $$ LANGUAGE sql;\n"
    "CREATE FUNCTION billing.touch() RETURNS trigger AS $$ BEGIN RETURN NEW; END $$ "
    "LANGUAGE plpgsql;\n"
    "CREATE TRIGGER purchases_touch BEFORE UPDATE ON purchases FOR EACH ROW "
    "EXECUTE FUNCTION billing.touch();",
    "ALTER TABLE purchases ALTER COLUMN user_id SET NOT NULL;\n"
    "ALTER TABLE purchases ADD CONSTRAINT purchases_user UNIQUE (user_id);",
    "ALTER TABLE purchases ALTER COLUMN amount TYPE numeric(12, 2);\n"
    "ALTER TABLE purchases ENABLE ROW LEVEL SECURITY;\n"
    "CREATE POLICY mine ON purchases USING (true);",
    "CREATE TABLE IF NOT EXISTS notes (id int);\nCREATE EXTENSION hstore;",
]


@pytest.fixture
def database(pg_server: str) -> Iterator[str]:  # noqa: F811
    with server.scratch_database(pg_server) as url:
        yield url


def test_generated_down_migrations_give_back_the_schema(database: str) -> None:
    """Each migration of a folder, in order: up, generated down, the schema compared with the
    one before the up step (PostgreSQL's own catalogs), up again."""
    files: dict[str, str] = {}
    connection = server.connect(database)
    try:
        for number, up in enumerate(UP_MIGRATIONS, start=1):
            path = f"db/migrations/{number:06d}_step.up.sql"
            files[path] = up + "\n"
            [finding] = [f for f in hits(files, "missing-down-migration") if f.path == path]
            assert finding.fix is not None and finding.fix.safe, (up, finding.fix)
            files = apply(files, finding.fix.edits)
            down = files[path.replace(".up.sql", ".down.sql")]
            before = snapshot.take(connection)
            connection.execute(up)
            assert snapshot.difference(before, snapshot.take(connection)), up
            connection.execute(down)
            assert snapshot.difference(before, snapshot.take(connection)) == [], down
            connection.execute(up)
    finally:
        connection.close()
    assert not hits(files, "missing-down-migration")


def _base(path: str, text: str) -> dict[str, str]:
    """A first migration creating `orders`, in the example's own convention."""
    folder = path.rpartition("/")[0]
    create = "CREATE TABLE orders (id bigint PRIMARY KEY);"
    if path.endswith(".up.sql"):
        return {
            f"{folder}/000001_orders.up.sql": create + "\n",
            f"{folder}/000001_orders.down.sql": "DROP TABLE orders;\n",
        }
    if path.endswith(".sql"):
        return {
            f"{folder}/20230101000000_orders.sql": (
                f"-- migrate:up\n{create}\n\n-- migrate:down\nDROP TABLE orders;\n"
            )
        }
    revision = re.search(r'down_revision = "(\w+)"', text)
    assert revision is not None
    return {
        f"{folder}/{revision.group(1)}_orders.py": (
            "from alembic import op\nimport sqlalchemy as sa\n\n"
            f'revision = "{revision.group(1)}"\ndown_revision = None\n\n\n'
            'def upgrade():\n    op.create_table("orders", sa.Column("id", sa.BigInteger(), '
            'primary_key=True))\n\n\ndef downgrade():\n    op.drop_table("orders")\n'
        )
    }


def _fixable_catalog_examples() -> list[dict[str, str]]:
    examples = []
    for example in load_catalog()["missing-down-migration"].invalid:
        found = hits(dict(example.files), "missing-down-migration")
        if any(f.fix is not None for f in found):
            examples.append(dict(example.files))
    return examples


@pytest.mark.parametrize("files", _fixable_catalog_examples())
def test_catalog_examples_round_trip_with_their_generated_down(
    files: dict[str, str],
    pg_server: str,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    [(path, text)] = files.items()
    [finding] = hits(files, "missing-down-migration")
    assert finding.fix is not None and finding.fix.safe
    fixed = {**_base(path, text), **apply(files, finding.fix.edits)}
    with server.scratch_database(pg_server) as database:
        code, report, err = verify(
            capsys,
            write(tmp_path / "fixed", fixed),
            "--database-url",
            database,
            "--fail-on",
            "never",
        )
    assert code == 0, err
    assert "findings" in report and rules_of(report) == [], report
    # The same run with the generated statements replaced notices: the check above is live.
    sabotaged = {
        p: t.replace("ALTER TABLE orders DROP COLUMN status;", "SELECT 1;").replace(
            'op.drop_column("orders", "status")', 'op.execute("SELECT 1")'
        )
        for p, t in fixed.items()
    }
    assert sabotaged != fixed
    with server.scratch_database(pg_server) as database:
        _, report, err = verify(
            capsys, write(tmp_path / "sabotaged", sabotaged), "--database-url", database
        )
    assert "migration-down-incomplete" in rules_of(report), (report, err)
