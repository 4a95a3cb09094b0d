"""Fixes: every catalog example with a fix is fixed into code that parses, without its finding
and without a new one; the catalog's `fix:` says truly whether a rule fixes and how safely;
the applier's bounds (overlaps, passes, encodings) and the `scan --fix*` commands."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from reviewbot.model.catalog import Example, load_catalog
from reviewbot.model.findings import Edit, Finding, Fix, Severity
from reviewbot.scan.fixer import apply_edits, choose, encode_like, parses, run_fixes
from tests.conftest import scan_texts

CATALOG = load_catalog()
STABLE = {rid: meta for rid, meta in CATALOG.items() if not meta.planned}
# Rules a plain scan can run (database verdicts need a live PostgreSQL).
SCANNABLE = sorted(rid for rid, meta in STABLE.items() if meta.language != "database")


def _invalid_examples() -> list[tuple[str, int, Example]]:
    return [
        (rule_id, index, example)
        for rule_id in SCANNABLE
        for index, example in enumerate(STABLE[rule_id].invalid)
    ]


def _fixed(
    example: Example, rules: list[str], unsafe: bool = True
) -> tuple[dict[str, str], list[Finding], list[Finding]]:
    """Fix an example in memory: (fixed texts, findings before, findings after)."""
    files = dict(example.files)

    def scan(overlay: dict[str, str]) -> list[Finding]:
        return scan_texts({**files, **overlay}, rules).findings

    before = scan({})
    run, after = run_fixes(scan, Path("/nonexistent"), unsafe=unsafe, read=files.get, first=before)
    return run.texts, before, after


CASES = _invalid_examples()


@pytest.mark.parametrize(
    ("rule_id", "index", "example"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES]
)
def test_every_catalog_fix_parses_and_removes_its_finding(
    rule_id: str, index: int, example: Example
) -> None:
    findings = [f for f in scan_texts(example.files, [rule_id]).findings if f.rule == rule_id]
    fixable = [f for f in findings if f.fix is not None]
    if not fixable:
        pytest.skip(f"{rule_id} invalid example {index} has no fix")
    texts, _, after = _fixed(example, [rule_id])
    assert texts, f"{rule_id} example {index}: a fix was offered but none applied"
    for path, text in texts.items():
        before = example.files.get(path, "")
        assert parses(path, text, before), f"{path} does not parse after the fix:\n{text}"
        if path.endswith(".py"):
            compile(text, path, "exec")  # CPython's compiler too, not only its parser
    left = [f for f in after if f.rule == rule_id]
    assert len(left) == len(findings) - len(fixable), (
        f"{rule_id} example {index}: findings left after fixing: {left}\n{texts}"
    )
    # No new finding from any rule a plain scan runs.
    _, everything_before, everything_after = _fixed(example, SCANNABLE)
    grown = Counter(f.rule for f in everything_after) - Counter(f.rule for f in everything_before)
    assert not grown, f"fixing {rule_id} example {index} introduced findings: {dict(grown)}"


@pytest.mark.parametrize("rule_id", SCANNABLE)
def test_catalog_says_truly_whether_a_rule_fixes(rule_id: str) -> None:
    meta = STABLE[rule_id]
    fixes = [
        f.fix
        for example in meta.invalid
        for f in scan_texts(example.files, [rule_id]).findings
        if f.rule == rule_id and f.fix is not None
    ]
    if meta.fix == "none":
        assert not fixes, f"{rule_id} offers fixes: set `fix:` in rules/{rule_id}.yml"
        return
    assert fixes, f"{rule_id} says `fix: {meta.fix}` but no invalid example gets one"
    kinds = {fix.safe for fix in fixes}
    expected = {"safe": {True}, "unsafe": {False}, "mixed": {True, False}}[meta.fix]
    assert kinds <= expected, f"{rule_id}: fixes of safety {kinds} for `fix: {meta.fix}`"


# -- the applier --------------------------------------------------------------------------------


def _finding(line: int, fix: Fix, path: str = "a.py", rule: str = "r") -> Finding:
    return Finding(rule, Severity.WARNING, path, line, 1, line, 2, "m", fix=fix)


def test_overlapping_fixes_wait_for_the_next_pass_and_identical_edits_are_shared() -> None:
    imp = Edit("a.py", 0, 0, "import secrets\n")
    one = Fix("one", (Edit("a.py", 10, 20, "x"), imp), safe=True)
    two = Fix("two", (Edit("a.py", 30, 40, "y"), imp), safe=True)
    clash = Fix("clash", (Edit("a.py", 15, 35, "z"),), safe=True)
    chosen = choose([_finding(1, one), _finding(2, clash), _finding(3, two)], False, set())
    assert [fix.title for _, fix in chosen] == ["one", "two"]
    text = apply_edits("0123456789" * 5, [e for _, fix in chosen for e in fix.edits])
    assert text == "import secrets\n0123456789x0123456789y0123456789"


def test_unsafe_fixes_only_when_asked() -> None:
    fix = Fix("t", (Edit("a.py", 0, 1, "x"),), safe=False)
    assert choose([_finding(1, fix)], False, set()) == []
    assert len(choose([_finding(1, fix)], True, set())) == 1


def test_a_fix_that_breaks_parsing_is_refused_and_the_loop_ends() -> None:
    files = {"a.py": "x = 1\n"}
    broken = Fix("break it", (Edit("a.py", 0, 1, "def"),), safe=True)
    calls: list[dict[str, str]] = []

    def scan(overlay: dict[str, str]) -> list[Finding]:
        calls.append(overlay)
        return [_finding(1, broken)]

    run, _ = run_fixes(scan, Path("/x"), unsafe=False, read=files.get)
    assert run.texts == {} and run.applied == []
    assert any("unparsable" in note for note in run.notes)
    assert len(calls) == 1  # refused once, never retried


def test_a_fix_that_never_removes_its_finding_stops_after_the_bounded_passes() -> None:
    texts: dict[str, str] = {"a.py": "x = 1\n"}

    def scan(overlay: dict[str, str]) -> list[Finding]:
        text = overlay.get("a.py", texts["a.py"])
        # Always offers to append one more line: the loop must stop on its own.
        return [_finding(1, Fix("grow", (Edit("a.py", len(text), len(text), "y = 2\n"),), True))]

    run, _ = run_fixes(scan, Path("/x"), unsafe=False, read=texts.get)
    assert run.passes == 10
    assert run.texts["a.py"].count("y = 2") == 10
    assert any("Stopped after" in note for note in run.notes)


def test_sql_fix_must_not_add_parse_errors() -> None:
    assert parses("m.sql", "SELECT 1;\n", "SELECT 1;\n")
    assert not parses("m.sql", "SELECT FROM WHERE (;\n", "SELECT 1;\n")


def test_written_text_keeps_encoding_bom_and_line_endings() -> None:
    assert encode_like(b"a = 1\r\nb = 2\r\n", "a = 3\nb = 2\n", "a.py") == b"a = 3\r\nb = 2\r\n"
    assert encode_like(b"\xef\xbb\xbfx = 1\n", "x = 2\n", "a.py") == b"\xef\xbb\xbfx = 2\n"
    latin = "# -*- coding: latin-1 -*-\ns = 'caf\xe9'\n"
    assert encode_like(latin.encode("latin-1"), latin, "a.py") == latin.encode("latin-1")
    with pytest.raises(ValueError, match="mixed"):
        encode_like(b"a\r\nb\n", "a\nb\n", "a.py")
    with pytest.raises(ValueError, match="UTF-16"):
        encode_like("x\n".encode("utf-16"), "x\n", "a.py")


# -- the commands ------------------------------------------------------------------------------

YAML_FILE = (
    '"""Config."""\n'
    "import yaml\n"
    "from yaml import load\n\n\n"
    "def read(stream):\n"
    "    return yaml.load(stream)  # the config file\n\n\n"
    "def read_all(stream):\n"
    "    return load(stream)\n"
)


def test_fix_diff_prints_a_diff_and_writes_nothing(tmp_path: Path, run_cli) -> None:
    (tmp_path / "conf.py").write_text(YAML_FILE)
    run = run_cli("scan", "--no-cache", "--fix-diff", str(tmp_path))
    assert run.code == 1
    assert (tmp_path / "conf.py").read_text() == YAML_FILE
    assert "-    return yaml.load(stream)  # the config file\n" in run.out
    assert "+    return yaml.safe_load(stream)  # the config file\n" in run.out
    assert "+from yaml import safe_load\n" in run.out
    assert "Would fix 2 findings in 1 file." in run.err


def test_fix_rewrites_in_place_keeps_comments_and_crlf(tmp_path: Path, run_cli) -> None:
    target = tmp_path / "conf.py"
    target.write_bytes(YAML_FILE.replace("\n", "\r\n").encode())
    run = run_cli("scan", "--no-cache", "--fix", "--format", "json", str(tmp_path))
    data = target.read_bytes()
    assert b"return yaml.safe_load(stream)  # the config file\r\n" in data
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert "conf.py:7: unsafe-deserialization: Use `yaml.safe_load`" in run.err
    assert json.loads(run.out)["findings"] == []
    assert run.code == 0
    again = run_cli("scan", "--no-cache", "--fix-only", str(tmp_path))
    assert again.code == 0 and "Fixed 0 findings" in again.out
    assert target.read_bytes() == data


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--fix", "--fix-only"), "choose one of"),
        (("--unsafe-fixes",), "goes with --fix"),
        (("--fix", "--diff", "main"), "drop --diff"),
    ],
)
def test_fix_options_that_do_not_combine(tmp_path: Path, run_cli, args, message) -> None:
    run = run_cli("scan", *args, str(tmp_path))
    assert run.code == 2 and message in run.err


# -- the Python fixes, shape by shape -----------------------------------------------------------


def _fix_one(source: str, rule: str, **options: object) -> str | None:
    """`source` with the one fix of `rule`'s first finding applied (None: no fix offered)."""
    config = {"options": {rule: options}} if options else {}
    findings = [
        f for f in scan_texts({"app/q.py": source}, [rule], **config).findings if f.rule == rule
    ]
    assert findings, f"{rule} did not report:\n{source}"
    fix = findings[0].fix
    if fix is None:
        return None
    assert {e.path for e in fix.edits} == {"app/q.py"}
    return apply_edits(source, list(fix.edits))


SQL_HEAD = "import psycopg2\n\n\ndef q(cur, name, uid, rows, table, cond):\n"


@pytest.mark.parametrize(
    ("line", "fixed"),
    [
        # Quotes around a value go (the driver quotes); `%` in the text is doubled for `%s`.
        (
            "cur.execute(f\"SELECT 1 FROM t WHERE a LIKE 'x%' AND n = '{name}'\")",
            "cur.execute(\"SELECT 1 FROM t WHERE a LIKE 'x%%' AND n = %s\", (name,))",
        ),
        (
            'cur.execute("DELETE FROM t WHERE id IN (%s, %s)" % (uid, rows[0]))',
            'cur.execute("DELETE FROM t WHERE id IN (%s, %s)", (uid, rows[0]))',
        ),
        (
            'cur.execute("INSERT INTO t VALUES (\'" + name + "\', " + str(uid) + ")")',
            'cur.execute("INSERT INTO t VALUES (%s, %s)", (name, str(uid)))',
        ),
        # Identifiers and clauses cannot be parameters: no fix.
        ('cur.execute(f"SELECT id FROM {table} WHERE id = {uid}")', None),
        ('cur.execute(f"SELECT id FROM t WHERE {cond}")', None),
        ('cur.execute(f"SELECT id FROM t ORDER BY {name}")', None),
        ('cur.execute(f"SELECT id, {name} FROM t")', None),
        # A value inside a longer literal, a cast glued on, a conversion: no fix.
        ("cur.execute(f\"SELECT id FROM t WHERE n LIKE '%{name}%'\")", None),
        ('cur.execute(f"SELECT id FROM t WHERE n = {uid}::int")', None),
        ('cur.execute(f"SELECT id FROM t WHERE n = {name!r}")', None),
        # Statements PostgreSQL binds no parameters in (mealie: `SET pg_trgm.... = {threshold}`).
        ('cur.execute(f"SET pg_trgm.word_similarity_threshold = {uid}")', None),
        ('cur.execute(f"SET LOCAL statement_timeout TO {uid}")', None),
        ('cur.execute(f"ALTER TABLE t ALTER c SET DEFAULT {uid}")', None),
        # Parameters passed already: the call is left alone.
        ('cur.execute(f"SELECT id FROM t WHERE n = {uid} AND m = %s", (name,))', None),
    ],
)
def test_sql_injection_fix_shapes(line: str, fixed: str | None) -> None:
    result = _fix_one(f"{SQL_HEAD}    {line}\n", "sql-injection")
    assert result == (f"{SQL_HEAD}    {fixed}\n" if fixed is not None else None)


@pytest.mark.parametrize(
    ("body", "fixed"),
    [
        # Bound once, read only by the call: the assignment takes the placeholders.
        (
            "sql = f\"SELECT a FROM t WHERE id = {uid} AND n = '{name}'\"\n    cur.execute(sql)",
            'sql = "SELECT a FROM t WHERE id = %s AND n = %s"\n    cur.execute(sql, (uid, name))',
        ),
        (
            'query: str = "DELETE FROM t WHERE id = %s" % uid\n'
            "    with cur:\n        cur.execute(query)",
            'query: str = "DELETE FROM t WHERE id = %s"\n'
            "    with cur:\n        cur.execute(query, (uid,))",
        ),
        (
            'sql = "SELECT a FROM t WHERE id = {} AND n = {n}".format(uid, n=name)\n'
            "    cur.execute(sql)",
            'sql = "SELECT a FROM t WHERE id = %s AND n = %s"\n    cur.execute(sql, (uid, name))',
        ),
        (
            "for uid in rows:\n"
            "        sql = 'UPDATE t SET n = ' + name + ' WHERE id = ' + str(uid)\n"
            "        cur.execute(sql)",
            "for uid in rows:\n"
            "        sql = 'UPDATE t SET n = %s WHERE id = %s'\n"
            "        cur.execute(sql, (name, str(uid)))",
        ),
        # Read elsewhere too (logged, returned): the text must stay as it was.
        ('sql = f"SELECT a FROM t WHERE id = {uid}"\n    log(sql)\n    cur.execute(sql)', None),
        ('sql = f"SELECT a FROM t WHERE id = {uid}"\n    cur.execute(sql)\n    return sql', None),
        # Built in pieces or conditionally, or assigned twice: no fix.
        (
            'sql = f"SELECT a FROM t WHERE id = {uid}"\n'
            "    if cond:\n        sql += ' AND b = 1'\n    cur.execute(sql)",
            None,
        ),
        (
            'sql = f"SELECT a FROM t WHERE id = {uid}"\n'
            "    if cond:\n"
            '        sql = f"SELECT a FROM t WHERE n = {name}"\n'
            "    cur.execute(sql)",
            None,
        ),
        # A value bound again after the assignment would mean something else at the call.
        (
            'sql = f"SELECT a FROM t WHERE id = {uid}"\n    uid = rows[0]\n    cur.execute(sql)',
            None,
        ),
        (
            'sql = f"SELECT a FROM t WHERE id = {uid}"\n'
            "    for uid in rows:\n        cur.execute(sql)",
            None,
        ),
        # A value that calls something would run later, after the code in between.
        ('sql = f"SELECT a FROM t WHERE id = {log(uid)}"\n    cur.execute(sql)', None),
        # An identifier or a clause spliced: no placeholder can carry it.
        ('sql = f"SELECT a FROM {table} WHERE id = {uid}"\n    cur.execute(sql)', None),
        ('sql = "SELECT a FROM t WHERE {}".format(cond)\n    cur.execute(sql)', None),
        # `.format()` with an argument the text does not use, or an attribute field.
        ('sql = "SELECT a FROM t WHERE id = {}".format(uid, name)\n    cur.execute(sql)', None),
        ('sql = "SELECT a FROM t WHERE id = {0.id}".format(uid)\n    cur.execute(sql)', None),
    ],
)
def test_sql_injection_fix_for_a_query_in_a_variable(body: str, fixed: str | None) -> None:
    head = "import psycopg2\n\n\ndef q(cur, name, uid, rows, table, cond, log):\n"
    result = _fix_one(f"{head}    {body}\n", "sql-injection")
    assert result == (f"{head}    {fixed}\n" if fixed is not None else None)


def test_sql_injection_fix_for_a_variable_passed_to_text_binds_names() -> None:
    source = (
        "from sqlalchemy import text\n\n\ndef q(s, user):\n"
        '    stmt = f"SELECT a FROM t WHERE id = {user.id}"\n'
        "    return s.execute(text(stmt))\n"
    )
    assert _fix_one(source, "sql-injection").endswith(
        '    stmt = "SELECT a FROM t WHERE id = :id"\n'
        "    return s.execute(text(stmt).bindparams(id=user.id))\n"
    )


def test_sql_injection_fix_follows_the_driver_or_the_option() -> None:
    body = "\n\ndef q(cur, uid):\n    cur.execute(f'SELECT a FROM t WHERE id = {uid}')\n"
    assert _fix_one("import sqlite3" + body, "sql-injection").endswith(
        "cur.execute('SELECT a FROM t WHERE id = ?', (uid,))\n"
    )
    # Two drivers (or none): which placeholder is unknown, so no fix, unless the option says.
    assert _fix_one("import sqlite3\nimport psycopg2" + body, "sql-injection") is None
    # `import mysql.connector` binds `mysql` only: still a second driver.
    assert _fix_one("import sqlite3\nimport mysql.connector" + body, "sql-injection") is None
    assert _fix_one("import mysql.connector" + body, "sql-injection").endswith(
        "cur.execute('SELECT a FROM t WHERE id = %s', (uid,))\n"
    )
    assert _fix_one(body, "sql-injection") is None
    assert _fix_one(body, "sql-injection", **{"fix-paramstyle": "format"}).endswith(
        "cur.execute('SELECT a FROM t WHERE id = %s', (uid,))\n"
    )
    # asyncpg numbers its placeholders and takes the values as arguments; a repeated value
    # keeps its number.
    asyncpg = (
        "import asyncpg\n\n\nasync def q(conn, uid):\n"
        "    return await conn.fetch(f'SELECT a FROM t WHERE id = {uid} OR parent = {uid}')\n"
    )
    assert _fix_one(asyncpg, "sql-injection").endswith(
        "conn.fetch('SELECT a FROM t WHERE id = $1 OR parent = $1', uid)\n"
    )


def test_sql_injection_fix_for_sqlalchemy_text_binds_names() -> None:
    source = (
        "from sqlalchemy import text\n\n\ndef q(s, user):\n"
        "    return s.execute(text(f\"SELECT a FROM t WHERE id = {user.id} AND n = '{user.name}'\"))\n"
    )
    assert _fix_one(source, "sql-injection").endswith(
        's.execute(text("SELECT a FROM t WHERE id = :id AND n = :name")'
        ".bindparams(id=user.id, name=user.name))\n"
    )


@pytest.mark.parametrize(
    ("call", "fixed"),
    [
        ("random.choice(ALPHABET)", "secrets.choice(ALPHABET)"),
        ("random.getrandbits(128)", "secrets.randbits(128)"),
        ("random.randbytes(16)", "secrets.token_bytes(16)"),
        ("random.randrange(10**6)", "secrets.randbelow(10**6)"),
        ("random.randint(0, 999999)", "secrets.randbelow(1000000)"),
        ("random.randint(100000, 999999)", "(100000 + secrets.randbelow(900000))"),
        ("random.randint(1, n)", "(1 + secrets.randbelow(n))"),
        ("random.randint(low, high)", "(low + secrets.randbelow(high - low + 1))"),
        # No `secrets` twin, or arguments evaluated twice: no fix.
        ("random.choices(ALPHABET, k=n)", None),
        ("random.randint(low(), high)", None),
        ("random.choice(ALPHABET, *rest)", None),
    ],
)
def test_insecure_token_random_fix(call: str, fixed: str | None) -> None:
    head = '"""Tokens."""\n\nimport random\n\nALPHABET = "ab"\n\n\ndef make_token(n, low, high):\n'
    result = _fix_one(f"{head}    return {call}\n", "insecure-token-random")
    if fixed is None:
        assert result is None
        return
    expected_head = head.replace("import random\n", "import random\nimport secrets\n")
    assert result == f"{expected_head}    return {fixed}\n"


def test_insecure_token_random_no_fix_when_secrets_is_taken() -> None:
    source = "import random\n\n\ndef make_token(secrets):\n    return random.choice(secrets)\n"
    assert _fix_one(source, "insecure-token-random") is None


def test_request_timeout_fix_uses_the_option() -> None:
    source = "import requests\n\n\ndef f(url):\n    return requests.get(url)\n"
    assert _fix_one(source, "request-without-timeout") == source.replace(
        "get(url)", "get(url, timeout=10)"
    )
    assert _fix_one(source, "request-without-timeout", **{"fix-timeout": 30}) == source.replace(
        "get(url)", "get(url, timeout=30)"
    )
    # After a parenthesized last argument, not inside its parentheses (redash's couchbase.py).
    auth = "import requests\n\n\ndef f(url, u, p):\n    return requests.post(url, auth=(u, p))\n"
    assert _fix_one(auth, "request-without-timeout") == auth.replace(
        "auth=(u, p))", "auth=(u, p), timeout=10)"
    )
    nested = "import requests\n\n\ndef f(url):\n    return requests.get(((url)) )\n"
    assert _fix_one(nested, "request-without-timeout") == nested.replace(
        "((url)) )", "((url)), timeout=10 )"
    )
    empty = "import requests\n\n\ndef f(s):\n    return requests.Session().send()\n"
    assert _fix_one(empty, "request-without-timeout") == empty.replace("send()", "send(timeout=10)")


def test_yaml_fix_leaves_an_explicit_loader_alone() -> None:
    explicit = "import yaml\n\n\ndef f(s):\n    return yaml.load(s, Loader=yaml.Loader)\n"
    assert _fix_one(explicit, "unsafe-deserialization") is None
    aliased = "import yaml as y\n\n\ndef f(s):\n    return y.load(s)\n"
    assert _fix_one(aliased, "unsafe-deserialization") == aliased.replace("y.load", "y.safe_load")


@pytest.mark.parametrize(
    ("source", "fixed"),
    [
        (
            'import jwt\n\n\ndef f(t, k):\n    return jwt.decode(t, k, algorithms=["none", "HS256"])\n',
            'import jwt\n\n\ndef f(t, k):\n    return jwt.decode(t, k, algorithms=["HS256"])\n',
        ),
        ('import jwt\n\n\ndef f(t, k):\n    return jwt.decode(t, k, algorithms=["none"])\n', None),
        # The file signs with PyJWT's default: HS256 pinned.
        (
            "import jwt\n\n\ndef g(k):\n    return jwt.encode({}, k)\n\n\n"
            "def f(t, k):\n    return jwt.decode(t, k)\n",
            "import jwt\n\n\ndef g(k):\n    return jwt.encode({}, k)\n\n\n"
            'def f(t, k):\n    return jwt.decode(t, k, algorithms=["HS256"])\n',
        ),
        # Signs two ways, or with an algorithm it reads from somewhere: which to pin is unknown.
        (
            'import jwt\n\n\ndef g(k):\n    return jwt.encode({}, k, algorithm="RS256"), '
            "jwt.encode({}, k)\n\n\ndef f(t, k):\n    return jwt.decode(t, k)\n",
            None,
        ),
        (
            "import jwt\n\n\ndef g(k, alg):\n    return jwt.encode({}, k, algorithm=alg)\n\n\n"
            "def f(t, k):\n    return jwt.decode(t, k)\n",
            None,
        ),
    ],
)
def test_jwt_fixes(source: str, fixed: str | None) -> None:
    assert _fix_one(source, "jwt-without-verification") == fixed


def test_a_fix_may_create_a_file_and_write_creates_it(tmp_path: Path) -> None:
    from reviewbot.scan.fixer import write

    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "001.up.sql").write_text("CREATE TABLE t (id int);\n")
    create = Fix(
        "Write the down migration",
        (Edit("db/001.down.sql", 0, 0, "DROP TABLE t;\n"),),
        safe=True,
    )
    seen: list[dict[str, str]] = []

    def scan(overlay: dict[str, str]) -> list[Finding]:
        seen.append(overlay)
        if "db/001.down.sql" in overlay:
            return []
        return [_finding(1, create, path="db/001.up.sql", rule="missing-down-migration")]

    run, left = run_fixes(scan, tmp_path, unsafe=False)
    assert left == [] and run.changed == ["db/001.down.sql"]
    assert run.originals["db/001.down.sql"] is None
    assert seen[-1] == {"db/001.down.sql": "DROP TABLE t;\n"}  # re-scanned before writing
    assert write(run) == []
    assert (tmp_path / "db" / "001.down.sql").read_text() == "DROP TABLE t;\n"


def test_fixes_survive_the_worker_and_cache_pickles() -> None:
    import pickle

    from reviewbot.scan.analysis import Analyzer
    from reviewbot.workspace.config import Config
    from reviewbot.workspace.sources import SourceFile

    rule = "unsafe-deserialization"
    meta = CATALOG[rule]
    analyzer = Analyzer(
        Config(root=Path("/x")), frozenset({rule}), {rule: meta.option_defaults()}, False
    )
    source = SourceFile("a.py", "import yaml\n\n\ndef f(s):\n    return yaml.load(s)\n", "python")
    outcome = pickle.loads(pickle.dumps(analyzer.analyze(source).detach()))
    (raw,) = outcome.raw
    assert raw.fix is not None and raw.fix.safe
    assert raw.fix.edits == (
        Edit("a.py", source.text.index("load(s)"), source.text.rindex("(s)"), "safe_load"),
    )


def test_sql_rule_edits_are_in_host_file_offsets() -> None:
    from reviewbot.model.rule import SqlRuleContext
    from reviewbot.sql.source import SqlDocument
    from reviewbot.workspace.sources import SourceFile

    host = SourceFile("app/m.py", 'op.execute("CREATE INDEX i ON t (a)")\n', "python")
    sql = "CREATE INDEX i ON t (a)"
    start = host.text.index(sql)
    document = SqlDocument(host=host, text=sql, dialect="postgres", segments=[(0, start)])
    context = SqlRuleContext(document=document, sink=lambda finding: None)
    edit = context.edit(len("CREATE INDEX"), len("CREATE INDEX"), " CONCURRENTLY")
    assert edit.path == "app/m.py"
    assert apply_edits(host.text, [edit]) == (
        'op.execute("CREATE INDEX CONCURRENTLY i ON t (a)")\n'
    )


def test_a_fix_is_applied_in_all_its_files_or_in_none() -> None:
    files = {"a.py": "x = 1\n", "b.py": "y = 2\n"}
    half = Fix(
        "two files",
        (Edit("a.py", 0, 1, "z"), Edit("b.py", 0, 1, "def")),  # b.py would not parse
        safe=True,
    )
    other = Fix("fine", (Edit("b.py", 4, 5, "3"),), safe=True)

    def scan(overlay: dict[str, str]) -> list[Finding]:
        return [] if overlay else [_finding(1, half), _finding(1, other, path="b.py")]

    run, _ = run_fixes(scan, Path("/x"), unsafe=False, read=files.get)
    assert run.texts == {"b.py": "y = 3\n"}  # a.py untouched: the fix was refused whole
    assert [a.title for a in run.applied] == ["fine"]


def test_an_added_import_goes_before_a_decorated_first_statement() -> None:
    source = (
        "#!/usr/bin/env python\n# header\n\n@app.route('/')\ndef make_token():\n"
        "    import random\n    return random.getrandbits(64)\n"
    )
    assert _fix_one(source, "insecure-token-random") == (
        "#!/usr/bin/env python\n# header\n\nimport secrets\n@app.route('/')\ndef make_token():\n"
        "    import random\n    return secrets.randbits(64)\n"
    )


def test_a_name_imported_inside_another_function_is_not_reused() -> None:
    source = (
        "import random\n\n\ndef a():\n    import secrets\n    return secrets.token_hex()\n\n\n"
        "def make_token():\n    return random.getrandbits(64)\n"
    )
    # `secrets` is bound in a() only: using it in make_token() would raise NameError.
    assert _fix_one(source, "insecure-token-random") is None
    aliased = "import random\nimport secrets as s\n\n\ndef make_token():\n    return random.choice('ab')\n"
    assert _fix_one(aliased, "insecure-token-random") == aliased.replace(
        "random.choice('ab')", "s.choice('ab')"
    )
