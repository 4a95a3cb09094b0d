"""`reviewbot migrations verify` against a real PostgreSQL: round trips, failures, locks, cleanup.

The server: $REVIEWBOT_TEST_DATABASE_URL, else the one on 127.0.0.1:5432 when it answers, else a
throwaway server started by the same code the command uses. Each test creates and drops its own
database. In CI (`CI` set) a missing PostgreSQL fails loudly instead of skipping.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from reviewbot.cli import main
from reviewbot.database import server
from reviewbot.model.catalog import load_catalog

LOCAL = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE_RULES = sorted(r for r, m in load_catalog().items() if m.language == "database")


def _answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


@pytest.fixture(scope="module")
def pg_server() -> Iterator[str]:
    url = os.environ.get("REVIEWBOT_TEST_DATABASE_URL")
    if url:
        yield url
        return
    if _answers(LOCAL):
        yield LOCAL
        return
    if server.find_binaries() is None:
        message = f"no PostgreSQL server at {LOCAL} and no binaries to start one"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with server.throwaway_server() as url:
        yield url


@pytest.fixture
def database(pg_server: str) -> Iterator[str]:
    with server.scratch_database(pg_server) as url:
        yield url


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def verify_text(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str, str]:
    """`reviewbot migrations verify ROOT ARGS`: exit code, standard output and error."""
    capsys.readouterr()
    code = main(["migrations", "verify", str(root), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def verify(
    capsys: pytest.CaptureFixture[str], root: Path, *args: str
) -> tuple[int, dict[str, object], str]:
    code, out, err = verify_text(capsys, root, "--format", "json", *args)
    return code, (json.loads(out) if out.strip() else {}), err


def rules_of(report: dict[str, object]) -> list[str]:
    findings = report.get("findings", [])
    assert isinstance(findings, list)
    return [f["rule"] for f in findings]


def revision(rev: str, down: str | None, upgrade: str, downgrade: str) -> str:
    """An Alembic revision file; `upgrade`/`downgrade` are function bodies (indented lines)."""
    return (
        "from alembic import op\nimport sqlalchemy as sa\n\n"
        f"revision = {rev!r}\ndown_revision = {down!r}\n\n\n"
        f"def upgrade():\n{upgrade}\n\ndef downgrade():\n{downgrade}"
    )


ORDERS_REVISION = revision(
    "a1",
    None,
    '    op.create_table("orders", sa.Column("id", sa.BigInteger(), primary_key=True))\n',
    '    op.drop_table("orders")\n',
)


def findings_of(report: dict[str, object], rule: str) -> list[dict[str, object]]:
    findings = report.get("findings", [])
    assert isinstance(findings, list)
    return [f for f in findings if f["rule"] == rule]


# -- the catalog's examples are proven here ------------------------------------------------------


def _examples() -> list[tuple[str, str, int, dict[str, str]]]:
    catalog = load_catalog()
    cases = []
    for rule_id in DATABASE_RULES:
        meta = catalog[rule_id]
        cases += [(rule_id, "invalid", i, e.files) for i, e in enumerate(meta.invalid)]
        cases += [(rule_id, "valid", i, e.files) for i, e in enumerate(meta.valid)]
    return cases


@pytest.mark.parametrize(
    ("rule_id", "kind", "index", "files"),
    _examples(),
    ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in _examples()],
)
def test_catalog_example(
    rule_id: str,
    kind: str,
    index: int,
    files: dict[str, str],
    database: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = write(tmp_path, files)
    code, report, err = verify(capsys, root, "--database-url", database, "--locks", "all")
    assert code in (0, 1), err
    hits = findings_of(report, rule_id)
    if kind == "invalid":
        assert hits, f"{rule_id} invalid example {index} was not flagged: {report}"
    else:
        assert not hits, f"{rule_id} valid example {index} was flagged: {hits}"


# -- round trips ------------------------------------------------------------------------------------

DBMATE_CLEAN = {
    "db/migrations/20240101000000_orders.sql": (
        "-- migrate:up\n"
        "CREATE TYPE order_status AS ENUM ('new', 'paid');\n"
        "CREATE TABLE orders (id bigserial PRIMARY KEY, status order_status NOT NULL DEFAULT 'new');\n"
        "ALTER TABLE orders ENABLE ROW LEVEL SECURITY;\n"
        "CREATE POLICY orders_owner ON orders USING (true);\n"
        "\n-- migrate:down\n"
        "DROP TABLE orders;\n"
        "DROP TYPE order_status;\n"
    ),
    "db/migrations/20240102000000_customers.sql": (
        "-- migrate:up\n"
        "CREATE TABLE customers (id bigint PRIMARY KEY, email text UNIQUE);\n"
        "ALTER TABLE orders ADD COLUMN customer_id bigint REFERENCES customers (id);\n"
        "\n-- migrate:down\n"
        "ALTER TABLE orders DROP COLUMN customer_id;\n"
        "DROP TABLE customers;\n"
    ),
}


def test_clean_round_trip_reports_nothing(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write(tmp_path, DBMATE_CLEAN)
    code, report, err = verify(capsys, root, "--database-url", database)
    assert code == 0, (report, err)
    assert rules_of(report) == []
    # Applied for real: the database now holds the final schema.
    with psycopg.connect(database) as connection:
        columns = connection.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'orders' "
            "ORDER BY column_name"
        ).fetchall()
    assert [c[0] for c in columns] == ["customer_id", "id", "status"]


def test_down_step_that_forgets_an_index_is_reported_with_the_difference(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write(
        tmp_path,
        {
            "migrations/000001_orders.up.sql": "CREATE TABLE orders (id bigint PRIMARY KEY, status text);\n",
            "migrations/000001_orders.down.sql": "DROP TABLE orders;\n",
            "migrations/000002_status.up.sql": (
                "CREATE TYPE tier AS ENUM ('a', 'b');\n"
                "CREATE INDEX orders_status_idx ON orders (status);\n"
            ),
            "migrations/000002_status.down.sql": "DROP TYPE tier;\n",
        },
    )
    code, report, _ = verify(capsys, root, "--database-url", database)
    assert code == 1
    (finding,) = findings_of(report, "migration-down-incomplete")
    assert finding["path"] == "migrations/000002_status.down.sql"
    assert "+ index orders_status_idx" in str(finding["message"])
    assert "tier" not in str(finding["message"])  # what the down step did undo is not listed


def test_down_step_that_fails_points_at_its_statement(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write(
        tmp_path,
        {
            "db/migrations/000001_orders.up.sql": "CREATE TABLE orders (id bigint PRIMARY KEY);\n",
            "db/migrations/000001_orders.down.sql": "DROP TABLE orders;\n",
            "db/migrations/000002_note.up.sql": "ALTER TABLE orders ADD COLUMN note text;\n",
            "db/migrations/000002_note.down.sql": (
                "-- undo\nALTER TABLE orders DROP COLUMN note;\nALTER TABLE orders DROP COLUMN note;\n"
            ),
        },
    )
    code, report, _ = verify(capsys, root, "--database-url", database)
    assert code == 1
    (finding,) = findings_of(report, "migration-down-fails")
    assert (finding["path"], finding["line"]) == ("db/migrations/000002_note.down.sql", 3)
    assert 'column "note" of relation "orders" does not exist' in str(finding["message"])


def test_up_step_that_fails_stops_its_folder(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write(
        tmp_path,
        {
            "db/migrations/000001_orders.up.sql": "CREATE TABLE orders (id bigint PRIMARY KEY);\n",
            "db/migrations/000001_orders.down.sql": "DROP TABLE orders;\n",
            "db/migrations/000002_bad.up.sql": "\nALTER TABLE orders ADD COLUMN total numeric NOT NULL;\n",
            "db/migrations/000002_bad.down.sql": "ALTER TABLE orders DROP COLUMN total;\n",
            "db/migrations/000003_later.up.sql": "CREATE TABLE later (id int);\n",
            "db/migrations/000003_later.down.sql": "DROP TABLE later;\n",
        },
    )
    code, report, _ = verify(capsys, root, "--database-url", database, "--locks", "all")
    assert code == 1
    (finding,) = findings_of(report, "migration-up-fails")
    assert (finding["path"], finding["line"]) == ("db/migrations/000002_bad.up.sql", 2)
    # It fails because the existing table holds rows, as it would in production.
    assert 'column "total" of relation "orders" contains null values' in str(finding["message"])
    with psycopg.connect(database) as connection:
        assert connection.execute("SELECT to_regclass('later')").fetchone()[0] is None


def test_alembic_revisions_are_verified_through_their_operations(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write(
        tmp_path,
        {
            "alembic/versions/a1_orders.py": ORDERS_REVISION,
            "alembic/versions/b2_status.py": revision(
                "b2",
                "a1",
                '    op.add_column("orders", sa.Column("status", sa.Text(), nullable=True))\n'
                '    op.create_index("ix_orders_status", "orders", ["status"])\n'
                '    op.create_table("audit", sa.Column("id", sa.Integer(), primary_key=True))\n',
                '    op.drop_column("orders", "status")\n',
            ),
        },
    )
    code, report, err = verify(capsys, root, "--database-url", database)
    assert code == 1, err
    (finding,) = findings_of(report, "migration-down-incomplete")
    assert finding["path"] == "alembic/versions/b2_status.py"
    message = str(finding["message"])
    # Dropping the column dropped its index too (PostgreSQL says so); the table was forgotten.
    assert "+ table audit" in message and "ix_orders_status" not in message
    with psycopg.connect(database) as connection:  # what the down step really left behind
        assert connection.execute("SELECT to_regclass('audit')").fetchone()[0] == "audit"


# -- locks --------------------------------------------------------------------------------------


def test_lock_trace_tells_a_rewrite_from_a_metadata_change(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write(
        tmp_path,
        {
            "db/migrations/000001_orders.up.sql": "CREATE TABLE orders (id bigint PRIMARY KEY);\n",
            "db/migrations/000001_orders.down.sql": "DROP TABLE orders;\n",
            "db/migrations/000002_stable.up.sql": (
                "ALTER TABLE orders ADD COLUMN created_at timestamptz DEFAULT now();\n"
            ),
            "db/migrations/000002_stable.down.sql": "ALTER TABLE orders DROP COLUMN created_at;\n",
            "db/migrations/000003_volatile.up.sql": (
                "ALTER TABLE orders ADD COLUMN seen_at timestamptz DEFAULT clock_timestamp();\n"
            ),
            "db/migrations/000003_volatile.down.sql": "ALTER TABLE orders DROP COLUMN seen_at;\n",
        },
    )
    write(
        root,
        {
            "db/migrations/000004_not_null.up.sql": (
                "ALTER TABLE orders ALTER COLUMN seen_at SET NOT NULL;\n"
            ),
            "db/migrations/000004_not_null.down.sql": (
                "ALTER TABLE orders ALTER COLUMN seen_at DROP NOT NULL;\n"
            ),
        },
    )
    code, report, _ = verify(capsys, root, "--database-url", database, "--locks", "all")
    assert code == 1
    locks = {str(f["path"]): str(f["message"]) for f in findings_of(report, "migration-lock")}
    # Both ADD COLUMNs take ACCESS EXCLUSIVE; since PostgreSQL 11 a stable default (now()) is a
    # catalog change held for milliseconds, while a volatile one rewrites every row. SET NOT NULL
    # reads every row under the lock.
    assert set(locks) == {
        "db/migrations/000003_volatile.up.sql",
        "db/migrations/000004_not_null.up.sql",
    }
    assert "ACCESS EXCLUSIVE lock on `orders`" in locks["db/migrations/000003_volatile.up.sql"]
    assert "rewrote the whole table" in locks["db/migrations/000003_volatile.up.sql"]
    assert "read every row" in locks["db/migrations/000004_not_null.up.sql"]
    assert "CHECK (col IS NOT NULL) NOT VALID" in locks["db/migrations/000004_not_null.up.sql"]


def test_locks_of_migrations_outside_the_change_are_not_traced(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {
        "db/migrations/000001_orders.up.sql": "CREATE TABLE orders (id bigint PRIMARY KEY, s text);\n",
        "db/migrations/000001_orders.down.sql": "DROP TABLE orders;\n",
        "db/migrations/000002_idx.up.sql": "CREATE INDEX orders_s_idx ON orders (s);\n",
        "db/migrations/000002_idx.down.sql": "DROP INDEX orders_s_idx;\n",
    }
    root = write(tmp_path, files)
    git = ["git", "-C", str(root), "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    code, report, _ = verify(capsys, root, "--database-url", database)
    assert (code, rules_of(report)) == (0, [])  # committed history: nothing traced
    write(
        root,
        {
            "db/migrations/000003_fk.up.sql": "CREATE INDEX orders_id_s ON orders (id, s);\n",
            "db/migrations/000003_fk.down.sql": "DROP INDEX orders_id_s;\n",
        },
    )
    subprocess.run([*git, "add", "."], check=True)
    with server.scratch_database(database.rsplit("/", 1)[0] + "/postgres") as fresh:
        code, report, _ = verify(capsys, root, "--database-url", fresh)
    assert code == 1
    (lock,) = findings_of(report, "migration-lock")
    assert lock["path"] == "db/migrations/000003_fk.up.sql"
    assert "SHARE lock on `orders`" in str(lock["message"])


# -- what it refuses, and what it leaves behind ------------------------------------------------------


def test_refuses_a_database_that_holds_tables(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with psycopg.connect(database, autocommit=True) as connection:
        connection.execute("CREATE TABLE precious (id int)")
    root = write(tmp_path, DBMATE_CLEAN)
    code, _, err = verify(capsys, root, "--database-url", database)
    assert code == 2
    assert "already holds 1 tables" in err and "--allow-non-empty" in err
    with psycopg.connect(database) as connection:
        assert connection.execute("SELECT to_regclass('orders')").fetchone()[0] is None


def test_a_database_that_refuses_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write(tmp_path, DBMATE_CLEAN)
    code, _, err = verify(
        capsys, root, "--database-url", "postgresql://nobody:secret@127.0.0.1:1/none"
    )
    assert code == 2
    assert err.startswith("reviewbot: error: cannot connect to postgresql://nobody:****@")
    assert "secret" not in err and "Traceback" not in err


def test_without_the_driver_the_message_says_what_to_install(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    root = write(tmp_path, DBMATE_CLEAN)
    code, _, err = verify(capsys, root, "--database-url", LOCAL)
    assert code == 2
    assert "pip install 'reviewbot[postgres]'" in err


def test_without_binaries_the_message_says_what_to_install(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server, "find_binaries", lambda: None)
    monkeypatch.delenv("REVIEWBOT_DATABASE_URL", raising=False)
    root = write(tmp_path, DBMATE_CLEAN)
    code, _, err = verify_text(capsys, root)
    assert code == 2
    assert "no PostgreSQL binaries were found" in err and "apt-get install postgresql" in err


def test_a_plain_scan_never_runs_database_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write(
        tmp_path,
        {
            "db/migrations/000001_x.up.sql": "CREATE INDEX i ON missing (c);\n",
            "db/migrations/000001_x.down.sql": "DROP INDEX i;\n",
        },
    )
    capsys.readouterr()
    main(["scan", str(root), "--select", "all", "--format", "json", "--no-cache"])
    report = json.loads(capsys.readouterr().out)
    assert not set(rules_of(report)) & set(DATABASE_RULES)
    assert not set(report["summary"]["rules_enabled"]) & set(DATABASE_RULES)


def _leftovers(before: set[str]) -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("reviewbot-pg-*")} - before


needs_binaries = pytest.mark.skipif(
    server.find_binaries() is None and not os.environ.get("CI"),
    reason="no PostgreSQL binaries on this machine",
)


@needs_binaries
def test_throwaway_server_is_started_and_removed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REVIEWBOT_DATABASE_URL", raising=False)
    before = _leftovers(set())
    root = write(tmp_path, DBMATE_CLEAN)
    code, report, err = verify(capsys, root)
    assert code == 0, err
    assert rules_of(report) == []
    assert _leftovers(before) == set()
    processes = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert "reviewbot-pg-" not in processes


@needs_binaries
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_run_leaves_no_server_behind(tmp_path: Path, signum: int) -> None:
    before = _leftovers(set())
    # Enough migrations that the run is still going when the signal arrives.
    files = {}
    for n in range(1, 300):
        files[f"db/migrations/{n:06d}_t{n}.up.sql"] = f"CREATE TABLE t{n} (id int);\n"
        files[f"db/migrations/{n:06d}_t{n}.down.sql"] = f"DROP TABLE t{n};\n"
    root = write(tmp_path, files)
    env = {k: v for k, v in os.environ.items() if k != "REVIEWBOT_DATABASE_URL"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "reviewbot", "migrations", "verify", str(root), "--locks", "all"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    # Signal once the server runs (its pid file exists): the run is then well under way.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        folders = [Path(tempfile.gettempdir()) / name for name in _leftovers(before)]
        if any((folder / "data" / "postmaster.pid").exists() for folder in folders):
            break
        time.sleep(0.02)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=90)
    assert proc.returncode == 130, err  # it was interrupted, not finished
    assert b"Traceback" not in err
    assert _leftovers(before) == set()
    processes = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert "reviewbot-pg-" not in processes


# -- what is not the migrations' fault is a note, not a finding ----------------------------------


def test_a_schema_made_outside_the_migrations_is_a_note(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The first migration alters a table that `create_all()` made: nothing to verify against.
    root = write(
        tmp_path,
        {
            "db/migrations/000001_note.up.sql": "ALTER TABLE orders ADD COLUMN note text;\n",
            "db/migrations/000001_note.down.sql": "ALTER TABLE orders DROP COLUMN note;\n",
        },
    )
    code, out, _ = verify_text(capsys, root, "--database-url", database)
    assert code == 0
    assert (
        "not verifiable from 000001_note.up.sql on: it needs `orders`, which no migration statement creates"
        in out
    )


def test_alembic_operations_that_cannot_be_translated_end_the_verdicts(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    loop = '    for name in ("carts", "refunds"):\n'
    root = write(
        tmp_path,
        {
            "alembic/versions/a1_orders.py": ORDERS_REVISION,
            # The loop's tables are computed: reviewbot cannot know what this revision does.
            "alembic/versions/b2_loop.py": revision(
                "b2",
                "a1",
                loop
                + '        op.create_table(name, sa.Column("id", sa.Integer(), primary_key=True))\n',
                loop + "        op.drop_table(name)\n",
            ),
            "alembic/versions/c3_index.py": revision(
                "c3",
                "b2",
                '    op.create_index("ix_carts_id", "carts", ["id"])\n',
                '    op.drop_index("ix_carts_id")\n',
            ),
        },
    )
    code, out, _ = verify_text(capsys, root, "--database-url", database)
    assert code == 0, out  # c3 fails on the database only because b2 could not be translated
    assert "verified up to b2_loop.py, which runs 2 Alembic operation(s)" in out, out


def test_an_incomplete_down_step_does_not_stop_the_folder(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write(
        tmp_path,
        {
            "db/migrations/000001_orders.up.sql": "CREATE TABLE orders (id bigint PRIMARY KEY);\n",
            "db/migrations/000001_orders.down.sql": "DROP TABLE orders;\n",
            "db/migrations/000002_kind.up.sql": "CREATE TYPE kind AS ENUM ('a');\n",
            "db/migrations/000002_kind.down.sql": "SELECT 1;\n",
            "db/migrations/000003_bad.up.sql": "ALTER TABLE orders ADD COLUMN k kind;\nALTER TABLE orders ADD COLUMN k int;\n",
            "db/migrations/000003_bad.down.sql": "ALTER TABLE orders DROP COLUMN k;\n",
        },
    )
    code, report, _ = verify(capsys, root, "--database-url", database)
    assert code == 1
    # The round trip ran in a transaction that was rolled back: 000003 still ran and was judged.
    assert rules_of(report) == ["migration-down-incomplete", "migration-up-fails"]
    (failed,) = findings_of(report, "migration-up-fails")
    assert (failed["path"], failed["line"]) == ("db/migrations/000003_bad.up.sql", 2)
