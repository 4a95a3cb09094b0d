"""Migration conventions, Python migrations, and the schema catalog built from them."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewbot.scan.engine import Scanner
from reviewbot.sql.migrations import Role, recognise, role_of
from reviewbot.sql.schema import Catalog, build_catalog, catalog_of
from reviewbot.workspace.config import Config
from reviewbot.workspace.sources import SourceFile, language_of


def scan(files: dict[str, str], dialect: str = "postgres") -> Scanner:
    scanner = Scanner(Config(root=Path("/nonexistent"), sql_dialect=dialect), ["select-star"])
    sources = [SourceFile(p, t, language_of(p) or "sql") for p, t in files.items()]
    scanner.scan_sources(sources)
    return scanner


def catalog(files: dict[str, str], dialect: str = "postgres") -> Catalog:
    scanner = scan(files, dialect)
    revisions = {
        path: (fact.revision, fact.down_revisions)
        for path, fact in scanner.facts.get("alembic-revision", ())
    }
    return build_catalog(scanner.sql_documents, revisions)


@pytest.mark.parametrize(
    ("path", "text", "tool", "direction"),
    [
        ("db/migrations/000002_add_x.up.sql", "", "golang-migrate", Role.UP),
        ("migrate/000002_add_x.down.sql", "", "golang-migrate", Role.DOWN),
        ("db/20240101_x.sql", "-- migrate:up\nSELECT 1;\n-- migrate:down\n", "dbmate", Role.UP),
        ("sql/0003_x.sql", "-- +goose Up\nSELECT 1;\n", "goose", Role.UP),
        ("src/main/resources/db/migration/V1_2__init.sql", "", "flyway", Role.UP),
        ("db/migration/U3__init.sql", "", "flyway", Role.DOWN),
        ("migrations/2024-01-01-000000_users/up.sql", "", "diesel", Role.UP),
        ("supabase/migrations/20240301090000_profiles.sql", "", "supabase", Role.UP),
        ("db/migrations/0004_rollback.sql", "", "folder", Role.DOWN),
    ],
)
def test_migration_conventions(path: str, text: str, tool: str, direction: Role) -> None:
    migration = recognise(path, text)
    assert migration is not None
    assert (migration.tool, migration.direction) == (tool, direction)


@pytest.mark.parametrize("path", ["db/schema.sql", "app/queries/report.sql", "seed.sql"])
def test_other_sql_is_not_a_migration(path: str) -> None:
    assert recognise(path, "CREATE TABLE t (id int);") is None


def test_dbmate_down_section_is_down() -> None:
    text = "-- migrate:up\nCREATE TABLE t (id int);\n\n-- migrate:down\nDROP TABLE t;\n"
    scanner = scan({"db/migrations/20240101_t.sql": text})
    (document,) = scanner.sql_documents
    assert [role_of(document, s) for s in document.statements] == [Role.UP, Role.DOWN]


def test_catalog_replays_migrations_in_version_order() -> None:
    files = {
        # Listed out of order on purpose: 10 runs after 2.
        "db/migrations/10_drop_legacy.up.sql": "DROP TABLE legacy; DROP INDEX orders_note_idx;",
        "db/migrations/2_orders.up.sql": (
            "CREATE TABLE legacy (id int PRIMARY KEY);\n"
            "CREATE TABLE orders (id bigint, customer_id bigint REFERENCES customers (id), note text);\n"
            "CREATE INDEX orders_note_idx ON orders (note);\n"
            "ALTER TABLE ONLY orders ADD CONSTRAINT orders_pkey PRIMARY KEY (id);\n"
        ),
        "db/migrations/2_orders.down.sql": "DROP TABLE orders;",
        "db/migrations/3_rename.up.sql": (
            "ALTER TABLE orders RENAME COLUMN customer_id TO buyer_id;\n"
            "ALTER TABLE orders RENAME TO purchases;\n"
            "CREATE UNIQUE INDEX ON purchases (buyer_id, note);\n"
        ),
    }
    tables = catalog(files).tables
    assert set(tables) == {"public.purchases"}
    purchases = tables["public.purchases"]
    assert purchases.primary_key is not None and purchases.primary_key.columns == ("id",)
    assert [i.columns for i in purchases.indexes] == [("id",), ("buyer_id", "note")]
    (foreign_key,) = purchases.foreign_keys
    assert foreign_key.columns == ("buyer_id",)
    assert purchases.index_covering(foreign_key.columns) is not None


def test_alembic_operations_feed_the_catalog_in_revision_order() -> None:
    first = (
        "from alembic import op\nimport sqlalchemy as sa\n"
        "revision = 'a1'\ndown_revision = None\n"
        "def upgrade():\n"
        "    op.create_table('users', sa.Column('id', sa.Integer(), primary_key=True),\n"
        "                    sa.Column('email', sa.String(200), nullable=False, unique=True))\n"
        "def downgrade():\n    op.drop_table('users')\n"
    )
    second = (
        "from alembic import op\nimport sqlalchemy as sa\n"
        "revision = 'b2'\ndown_revision = 'a1'\n"
        "def upgrade():\n"
        "    op.create_table('posts', sa.Column('id', sa.Integer(), primary_key=True),\n"
        "                    sa.Column('author_id', sa.Integer(), sa.ForeignKey('users.id')),\n"
        "                    sa.Column('at', sa.DateTime(timezone=True)))\n"
        "    op.create_index(op.f('ix_posts_author_id'), 'posts', ['author_id'])\n"
        "    with op.batch_alter_table('users') as batch_op:\n"
        "        batch_op.alter_column('email', new_column_name='login')\n"
        "    if op.get_bind().dialect.name == 'mysql':\n"
        "        op.drop_index('ix_posts_author_id', table_name='posts')\n"
        "    _cleanup()\n"
        "def _cleanup():\n    op.drop_table('users_old')\n"
        "def _restore():\n    op.create_table('users_old', sa.Column('id', sa.Integer()))\n"
        "def downgrade():\n    _restore()\n    op.drop_table('posts')\n"
    )
    # The later revision sorts first by name: order comes from down_revision.
    files = {"alembic/versions/0_b2.py": second, "alembic/versions/9_a1.py": first}
    tables = catalog(files).tables
    assert set(tables) == {"public.users", "public.posts"}
    assert list(tables["public.users"].columns) == ["id", "login"]
    posts = tables["public.posts"]
    assert str(posts.columns["at"].dtype.this.value) == "TIMESTAMPTZ"
    assert [i.name for i in posts.indexes] == ["posts_pkey", "ix_posts_author_id"]
    # `_restore` is only reached from downgrade(): its CREATE TABLE is down-migration code.
    scanner = scan(files)
    directions = {
        d.text.split("(")[0].strip(): d.attributes["migration"].direction
        for d in scanner.sql_documents
    }
    assert directions['CREATE TABLE "users_old"'] == Role.DOWN
    assert directions['DROP TABLE "users_old"'] == Role.UP


def test_django_run_sql_and_run_python_directions() -> None:
    code = (
        "from django.db import migrations\n"
        "def forwards(apps, schema_editor):\n"
        "    schema_editor.execute('UPDATE shop_order SET status = 1 WHERE status IS NULL')\n"
        "def backwards(apps, schema_editor):\n"
        "    schema_editor.execute('UPDATE shop_order SET status = NULL WHERE status = 1')\n"
        "class Migration(migrations.Migration):\n"
        "    operations = [\n"
        "        migrations.RunSQL('CREATE INDEX a ON shop_order (status)', 'DROP INDEX a'),\n"
        "        migrations.RunPython(forwards, backwards),\n"
        "    ]\n"
    )
    scanner = scan({"shop/migrations/0002_status.py": code})
    found = {d.text: d.attributes["migration"].direction for d in scanner.sql_documents}
    assert found == {
        "UPDATE shop_order SET status = 1 WHERE status IS NULL": Role.UP,
        "UPDATE shop_order SET status = NULL WHERE status = 1": Role.DOWN,
        "CREATE INDEX a ON shop_order (status)": Role.UP,
        "DROP INDEX a": Role.DOWN,
    }


def test_catalog_is_built_once_per_scan() -> None:
    calls = []

    class Project:
        sql_documents: list[object] = []
        facts: dict[str, list[object]] = {}
        _shared: dict[str, object] = {}

        def shared(self, key: str, build: object) -> object:
            calls.append(key)
            if key not in self._shared:
                self._shared[key] = build(self)  # type: ignore[operator]
            return self._shared[key]

    project = Project()
    assert catalog_of(project) is catalog_of(project)
    assert len(calls) == 2 and len(project._shared) == 1


def test_parse_notice_points_at_the_failing_token_and_blames_the_parser(tmp_path: Path) -> None:
    """Valid Postgres sqlglot rejects (`<<=` network operator): the notice says it is a parser
    limitation, sits on the token sqlglot stopped at, and has no doubled bracket."""
    (tmp_path / "q.sql").write_text(
        "SELECT 1;\nSELECT * FROM t\nWHERE ip <<= '10.0.0.0/8'::inet;\n", encoding="utf-8"
    )
    result = Scanner(Config(root=tmp_path), ["select-star"]).scan_paths([tmp_path])
    [error] = result.errors
    assert (error.line, error.column) == (3, 11)
    assert "parser limitation" in error.message and "`<=`" in error.message
    assert "))" not in error.message


def test_schema_rules_point_at_the_alembic_type_and_report_a_column_once() -> None:
    """The caret sits on `sa.DateTime()`, not the column-name string; a column retyped by a later
    revision is judged by its last type, at the revision that set it."""
    from tests.conftest import scan_texts

    first = (
        'from alembic import op\nimport sqlalchemy as sa\nrevision = "a1"\ndown_revision = None\n'
        "def upgrade():\n"
        '    op.create_table("shift", sa.Column("id", sa.Integer(), primary_key=True),\n'
        '                    sa.Column("starts_at", sa.DateTime(), nullable=False),\n'
        '                    sa.Column("price", sa.Float()))\n'
    )
    second = (
        'from alembic import op\nimport sqlalchemy as sa\nrevision = "b2"\ndown_revision = "a1"\n'
        "def upgrade():\n"
        '    op.alter_column("shift", "price", type_=sa.Numeric(12, 2))\n'
    )
    result = scan_texts(
        {"alembic/versions/a1_shift.py": first, "alembic/versions/b2_price.py": second},
        ["timestamp-without-time-zone", "float-for-money"],
    )
    [finding] = result.findings
    assert finding.rule == "timestamp-without-time-zone"
    assert (finding.path, finding.line) == ("alembic/versions/a1_shift.py", 7)
    line = first.split("\n")[6]
    assert line[finding.column - 1 : finding.end_column - 1] == "sa.DateTime()"


def test_index_advice_says_how_the_tool_runs_a_statement_outside_its_transaction() -> None:
    """Alembic runs each revision in a transaction: literal SQL in `op.execute` gets the
    autocommit block; goose gets its file marker."""
    from tests.conftest import scan_texts

    revision = (
        'from alembic import op\nrevision = "c3"\ndown_revision = "b2"\n'
        "def upgrade():\n"
        '    op.execute("CREATE INDEX ix_orders_status ON orders (status)")\n'
    )
    goose = "-- +goose Up\nCREATE INDEX orders_status_idx ON orders (status);\n"
    result = scan_texts(
        {"alembic/versions/c3_index.py": revision, "db/migrations/00004_index.sql": goose},
        ["index-without-concurrently"],
    )
    advice = {f.path: f.message for f in result.findings}
    assert "op.get_context().autocommit_block()" in advice["alembic/versions/c3_index.py"]
    assert "`-- +goose NO TRANSACTION`" in advice["db/migrations/00004_index.sql"]


def test_sql_the_rules_do_not_check_gives_no_parse_notice(tmp_path: Path) -> None:
    """A MySQL dump under tests/, or SQL in another database's folder, is not checked by any
    rule: what the Postgres parser cannot read there is no notice. The same SQL in the
    product's own folder still gets one."""
    dump = (
        "CREATE TABLE audit (\n  id INTEGER NOT NULL,\n  duration INTERVAL DAY TO SECOND(6)\n);\n"
    )
    for folder in ("tests/testdata", "db/versions/mysql", "db/schema"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "dump.sql").write_text(dump, encoding="utf-8")
    result = Scanner(Config(root=tmp_path), ["select-star"]).scan_paths([tmp_path])
    assert [e.path for e in result.errors] == ["db/schema/dump.sql"]


def test_template_expressions_in_sql_files_parse_and_keep_positions() -> None:
    """Go-template migrations (`{{ index .Options "Namespace" }}.users`): the statements parse,
    the table is `users`, and the caret still sits on the file's own text."""
    from tests.conftest import scan_texts

    up = (
        "-- auth schema\n"
        'CREATE TABLE IF NOT EXISTS {{ index .Options "Namespace" }}.users (\n'
        "    id uuid PRIMARY KEY,\n"
        "    seen_at timestamp without time zone\n"
        ");\n"
        "COMMENT ON TABLE {{ .Namespace }}.users IS 'Auth: {{ .Namespace }} users';\n"
    )
    result = scan_texts(
        {"migrations/20240101000000_users.up.sql": up}, ["timestamp-without-time-zone"]
    )
    assert result.errors == []
    [finding] = result.findings
    assert "`seen_at` of `users`" in finding.message
    line = up.split("\n")[finding.line - 1]
    assert line[finding.column - 1 : finding.end_column - 1] == "timestamp without time zone"


@pytest.mark.parametrize(
    ("later", "keyless"),
    [
        (
            "DO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM information_schema.table_constraints\n"
            "                 WHERE constraint_name = 'claims_pk') THEN\n"
            "    ALTER TABLE claims ADD CONSTRAINT claims_pk PRIMARY KEY (id);\n"
            "  END IF;\nEND $$;\n",
            False,
        ),
        ("DO $$\nBEGIN\n  RAISE NOTICE 'no key here';\nEND $$;\n", True),
    ],
)
def test_primary_key_added_inside_a_do_block_counts(later: str, keyless: bool) -> None:
    """Idempotent migrations add keys inside `DO $$ ... IF NOT EXISTS ...` (one command to
    sqlglot): the catalog reads the `ALTER TABLE ... ADD ... PRIMARY KEY` in it."""
    from tests.conftest import scan_texts

    result = scan_texts(
        {
            "migrations/0001_claims.up.sql": "CREATE TABLE claims (id uuid NOT NULL, note text);\n",
            "migrations/0002_claims_pk.up.sql": later,
        },
        ["table-without-primary-key"],
    )
    assert [f.path for f in result.findings] == (
        ["migrations/0001_claims.up.sql"] if keyless else []
    )


def _timestamp_folder(tables: int, aware: bool) -> dict[str, str]:
    files = {}
    for n in range(1, tables + 1):
        kind = "timestamptz" if aware and n % 2 else "timestamp"
        files[f"db/migrations/{n:04d}_t{n}.up.sql"] = (
            f"CREATE TABLE t{n} (id bigint PRIMARY KEY, created_at {kind}, updated_at {kind});\n"
        )
    return files


def test_naive_timestamps_as_a_schema_convention_are_one_finding() -> None:
    """Seven applied migrations, every timestamp naive: one finding names the convention (at the
    first), and the newest migration (not applied yet) still gets its own."""
    from tests.conftest import scan_texts

    files = _timestamp_folder(8, aware=False)
    result = scan_texts(files, ["timestamp-without-time-zone"])
    summary, new = sorted(result.findings, key=lambda f: f.path)
    assert summary.path == "db/migrations/0001_t1.up.sql"
    assert "convention" in summary.message and "14 of its 16 timestamp columns" in summary.message
    assert new.path == "db/migrations/0008_t8.up.sql" and "`t8`" in new.message


def test_naive_timestamps_in_a_mostly_aware_schema_are_each_reported() -> None:
    from tests.conftest import scan_texts

    files = _timestamp_folder(8, aware=True)
    result = scan_texts(files, ["timestamp-without-time-zone"])
    assert sorted(f.path for f in result.findings) == [
        f"db/migrations/{n:04d}_t{n}.up.sql" for n in (2, 4, 6, 8)
    ]
    assert not any("convention" in f.message for f in result.findings)


def test_psql_meta_commands_are_not_sql(tmp_path: Path) -> None:
    """A psql script's `\\connect db` line is no statement: no parse notice, and the statement
    after it is still checked where it stands."""
    script = "\\connect {datastoredb}\n\nSELECT * FROM package;\n"
    (tmp_path / "set_permissions.sql").write_text(script, encoding="utf-8")
    result = Scanner(Config(root=tmp_path), ["select-star"]).scan_paths([tmp_path])
    assert result.errors == []
    assert [(f.line, f.column) for f in result.findings] == [(3, 8)]
