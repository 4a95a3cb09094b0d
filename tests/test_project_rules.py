"""Project rules (`.reviewbot/rules/<id>.yml`): strict reading, Python and SQL patterns, schema
conditions, `rules --test`, the checklist, the cache key, and the example repository."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reviewbot.model.catalog import load_catalog
from reviewbot.model.rule import REGISTRY
from reviewbot.project_rules.install import INSTALLED, digests, install, uninstall
from reviewbot.project_rules.selftest import run as run_selftest
from reviewbot.scan.engine import Scanner
from reviewbot.workspace.config import Config, ConfigError
from reviewbot.workspace.sources import SourceFile, language_of
from tests.conftest import CliRun

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "team-rules"


@pytest.fixture(autouse=True)
def _clean() -> Iterator[None]:
    uninstall()
    yield
    uninstall()


def _rules(root: Path, rules: dict[str, str]) -> Path:
    folder = root / ".reviewbot" / "rules"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in rules.items():
        (folder / f"{name}.yml").write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def _rule(rule_id: str, match: str, extra: str = "") -> str:
    body = textwrap.indent(textwrap.dedent(match).strip("\n"), "  ")
    return f"id: {rule_id}\ntitle: t\nseverity: warning\nmessage: m $X\n{extra}match:\n{body}\n"


def _scan(files: dict[str, str], rule_id: str) -> list[tuple[str, int]]:
    sources = []
    for path, text in files.items():
        language = language_of(path)
        assert language is not None
        sources.append(SourceFile(path=path, text=textwrap.dedent(text), language=language))
    result = Scanner(Config(root=Path("/nonexistent")), [rule_id]).scan_sources(sources)
    assert not [e for e in result.errors if e.kind == "rule-crash"], result.errors
    return [(f.path, f.line) for f in result.findings if f.rule == rule_id]


def _install(tmp_path: Path, match: str, extra: str = "", rule_id: str = "r") -> None:
    install(_rules(tmp_path, {rule_id: _rule(rule_id, match, extra)}))


# -- reading -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "id: r\ntitle: t\nseverity: warnin\nmatch: {python: 'f()'}\n",
            "`severity` must be error, warning or info (did you mean `warning`?)",
        ),
        (
            "id: r\ntitle: t\nseverity: info\nmach: {python: 'f()'}\n",
            "`mach` is not a project-rule key",
        ),
        (
            "id: r\ntitle: t\nseverity: info\nmatch: {pyhton: 'f()'}\n",
            "(did you mean `python`?)",
        ),
        ("id: r\ntitle: t\nseverity: info\nmatch: {python: '$X'}\n", "matches every"),
        ("id: r\ntitle: t\nseverity: info\nmatch: {python: '...'}\n", "matches every"),
        ("id: r\ntitle: t\nseverity: info\nmatch: {python: 'f('}\n", "`match.python` is not"),
        ("id: other\ntitle: t\nseverity: info\nmatch: {python: 'f()'}\n", "file's name: `r`"),
        ("id: r\ntitle: t\nseverity: info\nmatch: {sql: 'SELEC x'}\n", "not a statement"),
        ("id: r\ntitle: t\nseverity: info\nmatch: {sql: 'CREATE TABLE ('}\n", "`match.sql`"),
        (
            "id: r\ntitle: t\nseverity: info\nmatch:\n  python: f($A)\n  where:\n"
            "    - {metavariable: $A, regex: '(a+)+$'}\n",
            "`match.where[0].regex` nests an unbounded repeat",
        ),
        (
            "id: r\ntitle: t\nseverity: info\nmatch:\n  python: f($A)\n  where:\n"
            "    - {metavariable: $B, regex: 'x'}\n",
            "`$B` does not occur in the pattern",
        ),
        (
            "id: r\ntitle: t\nseverity: info\nmatch: {schema: {column: '*_at'}}\n",
            "`column` needs `type` or `type-not`",
        ),
        (
            "id: r\ntitle: t\nseverity: info\nmatch: {schema: {column: '*_at', type: notatype}}\n",
            "`match.schema.type`",
        ),
        ("id: r\ntitle: t\nseverity: info\nmatch: [1\n", "invalid YAML at line"),
        ("id: r\ntitle: t\nseverity: info\n", "`match` is missing"),
    ],
)
def test_a_malformed_rule_names_the_file_and_the_key(
    tmp_path: Path, text: str, expected: str
) -> None:
    _rules(tmp_path, {"r": text})
    with pytest.raises(ConfigError) as caught:
        install(tmp_path)
    assert ".reviewbot/rules/r.yml" in str(caught.value)
    assert expected in str(caught.value)
    assert "r" not in REGISTRY and "r" not in load_catalog()


def test_a_project_rule_cannot_take_a_builtin_id(tmp_path: Path) -> None:
    _rules(tmp_path, {"sql-injection": _rule("sql-injection", "python: f()")})
    with pytest.raises(ConfigError, match="is a built-in rule"):
        install(tmp_path)
    assert REGISTRY["sql-injection"].__module__.startswith("reviewbot.checks")


def test_installed_rules_join_the_catalog_and_leave_it(tmp_path: Path) -> None:
    _install(tmp_path, "python: f()")
    meta = load_catalog()["r"]
    assert meta.default and "project" in meta.tags and meta.source == ".reviewbot/rules/r.yml"
    assert "r" in REGISTRY
    uninstall()
    assert "r" not in REGISTRY and "r" not in load_catalog()


def test_the_cache_key_follows_the_rule_text(tmp_path: Path) -> None:
    _install(tmp_path, "python: f()")
    first = digests(frozenset({"r", "sql-injection"}))
    _install(tmp_path, "python: g()")
    second = digests(frozenset({"r"}))
    assert set(first) == {"r"} and first != second


# -- Python patterns ---------------------------------------------------------------------------


def test_names_resolve_through_imports(tmp_path: Path) -> None:
    _install(tmp_path, "python: requests.$METHOD(...)")
    code = {
        "a.py": "import requests as r\nr.get(u)\n",
        "b.py": "import requests\nrequests.post(u, json={})\n",
        "c.py": "import httpx as requests\nrequests.get(u)\n",  # another library
        "d.py": "session.get(u)\n",
    }
    assert _scan(code, "r") == [("a.py", 2), ("b.py", 2)]


def test_a_trailing_part_of_the_qualified_name_matches(tmp_path: Path) -> None:
    _install(tmp_path, "python: datetime.utcnow()")
    code = {
        "a.py": "from datetime import datetime\ndatetime.utcnow()\n",
        "b.py": "import datetime\ndatetime.datetime.utcnow()\n",
        "c.py": "from arrow import utcnow\nutcnow()\n",
    }
    assert _scan(code, "r") == [("a.py", 2), ("b.py", 2)]


def test_arguments_ellipsis_keywords_and_repeated_metavariables(tmp_path: Path) -> None:
    _install(tmp_path, "python: $X.send($X, ..., retry=True)")
    code = {
        "a.py": "q.send(q, 1, 2, retry=True)\n",
        "b.py": "q.send(q, retry=True, delay=3)\n",  # extra keyword: the pattern has `...`
        "c.py": "q.send(p, retry=True)\n",  # $X bound to q, then p
        "d.py": "q.send(q, retry=False)\n",
        "e.py": "q.send(q)\n",
    }
    assert _scan(code, "r") == [("a.py", 1), ("b.py", 1)]


def test_without_ellipsis_arguments_must_be_exactly_those(tmp_path: Path) -> None:
    _install(tmp_path, "python: open($PATH)")
    code = {"a.py": "open(p)\n", "b.py": "open(p, 'rb')\n", "c.py": "open(p, mode='r')\n"}
    assert _scan(code, "r") == [("a.py", 1)]


def test_a_bare_name_pattern_matches_references_only(tmp_path: Path) -> None:
    _install(tmp_path, "python: os.environ")
    code = {
        "a.py": "import os\nx = os.environ['A']\n",
        "b.py": "from os import environ\ny = environ.get('A')\n",
        "c.py": "import os\nclass C:\n    environ = 1\nC.environ\nos.path.environ\n",
    }
    assert _scan(code, "r") == [("a.py", 2), ("b.py", 2)]


def test_inside_and_not_inside(tmp_path: Path) -> None:
    match = """
        python: requests.get(...)
        inside:
          - |
            @$APP.route(...)
            def $F(...): ...
        not-inside:
          - |
            with allow_network():
                ...
    """
    _install(tmp_path, match)
    code = {
        "views.py": """\
            import requests
            @app.route("/a")
            def a():
                return requests.get(u)
            @app.route("/b")
            def b():
                with allow_network():
                    return requests.get(u)
            def job():
                return requests.get(u)
            """
    }
    assert _scan(code, "r") == [("views.py", 4)]


def test_a_statement_in_a_pattern_body_occurs_anywhere_inside(tmp_path: Path) -> None:
    match = """
        python: |
          def $F(...):
              ...
              $DB.commit()
    """
    _install(tmp_path, match)
    code = {
        "a.py": "def f():\n    if x:\n        s.commit()\n",
        "b.py": "def g():\n    s.flush()\n",
    }
    assert _scan(code, "r") == [("a.py", 1)]


def test_where_conditions(tmp_path: Path) -> None:
    match = """
        python: $CUR.execute($SQL, ...)
        where:
          - {metavariable: $SQL, is-literal: false}
          - {metavariable: $CUR, regex: ^cur}
    """
    _install(tmp_path, match)
    code = {
        "a.py": "cur.execute('SELECT 1')\n",
        "b.py": "cur.execute(query)\n",
        "c.py": "conn.execute(query)\n",
        "d.py": "cursor.execute('SELECT ' 'x', [1])\n",
    }
    assert _scan(code, "r") == [("b.py", 1)]


def test_path_globs(tmp_path: Path) -> None:
    match = """
        python: print(...)
        paths:
          include: ["app/**"]
          exclude: ["app/cli/**"]
    """
    _install(tmp_path, match)
    code = {"app/s.py": "print(1)\n", "app/cli/m.py": "print(1)\n", "tools/x.py": "print(1)\n"}
    assert _scan(code, "r") == [("app/s.py", 1)]


def test_the_message_shows_the_bound_metavariables(tmp_path: Path) -> None:
    _install(tmp_path, "python: $X.delete()")
    sources = [SourceFile(path="a.py", text="order.delete()\n", language="python")]
    result = Scanner(Config(root=Path("/nonexistent")), ["r"]).scan_sources(sources)
    assert [f.message for f in result.findings] == ["m order"]


PREFILTER_CASES = {
    "a.py": "import requests as r\n@app.route('/')\ndef v():\n    r.get(u)\n",
    "b.py": "from requests import get\nget(u)\n",
    "c.py": "import requests\nrequests.Session().get(u)\n",
    "d.py": "from datetime import datetime as dt\ndt.utcnow()\n",
    "e.py": "import os\nfrom os import environ as env\nenv['X']\n",
}


@pytest.mark.parametrize(
    "match",
    [
        "python: requests.get(...)",
        "python: requests.$M(...)",
        "python: datetime.utcnow()",
        "python: os.environ",
        "python: $S.get($U)",
    ],
)
def test_the_text_prefilter_never_hides_a_match(
    tmp_path: Path, match: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _install(tmp_path, match)
    found = _scan(PREFILTER_CASES, "r")
    monkeypatch.setattr(REGISTRY["r"], "wants", classmethod(lambda cls, text: True))
    assert _scan(PREFILTER_CASES, "r") == found


def test_matching_is_bounded(tmp_path: Path) -> None:
    _install(tmp_path, "python: f(..., $A, ..., $A, ..., $A, ...)")
    args = ", ".join(f"a{i}" for i in range(300))
    assert _scan({"a.py": f"f({args})\n"}, "r") == []


# -- SQL ---------------------------------------------------------------------------------------


def test_sql_statement_shapes(tmp_path: Path) -> None:
    match = """
        sql: ALTER TABLE $T ADD COLUMN $C $TYPE
        where:
          - {metavariable: $C, regex: "_at$"}
          - {metavariable: $TYPE, not-regex: "(?i)^timestamptz$"}
    """
    _install(tmp_path, match)
    code = {
        "m/001.sql": "ALTER TABLE a ADD COLUMN seen_at timestamp;\n"
        "ALTER TABLE a ADD COLUMN done_at timestamptz;\n"
        "ALTER TABLE a ADD COLUMN name text;\n",
        "app.py": "def up(op):\n    op.execute('ALTER TABLE b ADD COLUMN paid_at date')\n",
    }
    assert _scan(code, "r") == [("app.py", 2), ("m/001.sql", 1)]


def test_create_table_with_any_columns(tmp_path: Path) -> None:
    _install(tmp_path, "sql: CREATE TABLE $T (...)\nwhere:\n  - {metavariable: $T, regex: '^tmp_'}")
    code = {"a.sql": "CREATE TABLE tmp_x (id int);\nCREATE TABLE users (id int);\n"}
    assert _scan(code, "r") == [("a.sql", 1)]


def test_schema_conditions(tmp_path: Path) -> None:
    rules = {
        "created": _rule(
            "created", "schema:\n  table-without-column: {name: created_at, type: timestamptz}"
        ),
        "at": _rule("at", "schema:\n  column: '*_at'\n  type-not: timestamptz"),
    }
    install(_rules(tmp_path, rules))
    code = {
        "m/001.up.sql": "CREATE TABLE a (id int, created_at timestamptz, seen_at timestamp);\n"
        "CREATE TABLE b (id int, created_at timestamp);\n"
        "CREATE TABLE c (id int);\n",
        "m/002.up.sql": "ALTER TABLE c ADD COLUMN created_at timestamp with time zone;\n",
    }
    assert _scan(code, "created") == [("m/001.up.sql", 2)]
    assert _scan(code, "at") == [("m/001.up.sql", 1), ("m/001.up.sql", 2)]


# -- commands ----------------------------------------------------------------------------------

GOOD = """\
id: no-print
title: print() call
severity: warning
checklist:
  - "print"
match:
  python: print(...)
examples:
  invalid: ["print(1)"]
  valid: ["log(1)"]
"""


def test_rules_test_reports_the_failing_example(
    make_repo: Callable[[dict[str, str]], Path], run_cli: Callable[..., CliRun]
) -> None:
    bad = GOOD.replace('valid: ["log(1)"]', 'valid: ["log(1)", "print(2)"]').replace(
        "no-print", "no-print-2"
    )
    root = make_repo({".reviewbot/rules/no-print.yml": GOOD})
    passed = run_cli("rules", "--test", cwd=root)
    assert passed.code == 0 and "ok   no-print (2 examples)" in passed.out
    (root / ".reviewbot/rules/no-print-2.yml").write_text(bad, encoding="utf-8")
    failed = run_cli("rules", "--test", cwd=root)
    assert failed.code == 1
    assert "FAIL no-print-2" in failed.out and "examples.valid[1] was flagged" in failed.out
    assert "print(2)" in failed.out


def test_rules_explain_scan_and_checklist_see_project_rules(
    make_repo: Callable[[dict[str, str]], Path], run_cli: Callable[..., CliRun]
) -> None:
    root = make_repo(
        {
            ".reviewbot/rules/no-print.yml": GOOD,
            ".reviewbot.yml": "agents: [AGENTS.md]\nenable: [sql-injection]\n",
            "AGENTS.md": "# Checklist\n\n- [ ] No print statements in the code.\n",
            "app.py": "print('hi')\n",
        }
    )
    assert "no-print" in run_cli("rules", cwd=root).out
    explained = run_cli("explain", "no-print", cwd=root).out
    assert (
        "print() call" in explained and "project rule: .reviewbot/rules/no-print.yml" in explained
    )
    checklist = run_cli("checklist", cwd=root)
    assert "-> no-print (project rule)" in checklist.out
    scan = run_cli("scan", "--no-cache", "--format", "json", ".", cwd=root)
    assert scan.code == 1 and '"rule": "no-print"' in scan.out
    assert "No print statements in the code." in scan.out  # the finding cites the item


def test_a_malformed_rule_is_exit_2(
    make_repo: Callable[[dict[str, str]], Path], run_cli: Callable[..., CliRun]
) -> None:
    root = make_repo(
        {".reviewbot/rules/no-print.yml": GOOD.replace("severity: warning", "severity: loud")}
    )
    for args in (("scan", "--no-cache", "."), ("rules",), ("rules", "--test")):
        run = run_cli(*args, cwd=root)
        assert run.code == 2, args
        assert ".reviewbot/rules/no-print.yml: `severity`" in run.err


def test_project_rules_are_on_by_default_and_config_can_turn_them_off(
    make_repo: Callable[[dict[str, str]], Path], run_cli: Callable[..., CliRun]
) -> None:
    root = make_repo({".reviewbot/rules/no-print.yml": GOOD, "app.py": "print('hi')\n"})
    scan = ("scan", "--no-cache", "--format", "json", ".")
    assert '"rule": "no-print"' in run_cli(*scan, cwd=root).out
    (root / ".reviewbot.yml").write_text("disable: [no-print]\n", encoding="utf-8")
    assert '"rule": "no-print"' not in run_cli(*scan, cwd=root).out


# -- the example repository --------------------------------------------------------------------


def test_the_example_rules_pass_their_examples() -> None:
    specs = install(EXAMPLE)
    assert len(specs) >= 10
    report, passed = run_selftest(specs)
    assert passed, report


def test_the_example_repository_trips_each_of_its_rules(
    run_cli: Callable[..., CliRun],
) -> None:
    run = run_cli("scan", "--no-cache", "--all-migrations", "--format", "json", ".", cwd=EXAMPLE)
    assert run.code == 1
    for rule_id in INSTALLED:
        assert f'"rule": "{rule_id}"' in run.out, rule_id


def test_init_writes_a_commented_example_that_works_uncommented(
    tmp_path: Path, run_cli: Callable[..., CliRun]
) -> None:
    (tmp_path / ".git").mkdir()
    assert run_cli("init", cwd=tmp_path).code == 0
    example = tmp_path / ".reviewbot" / "rules" / "no-utcnow.yml"
    text = example.read_text(encoding="utf-8")
    assert run_cli("rules", "--test", cwd=tmp_path).code == 2  # comments only: no rule yet
    _, _, body = text.partition("#\n")
    example.write_text("\n".join(line[2:] for line in body.splitlines()) + "\n", encoding="utf-8")
    run = run_cli("rules", "--test", cwd=tmp_path)
    assert run.code == 0, run.out + run.err
    assert "ok   no-utcnow" in run.out
