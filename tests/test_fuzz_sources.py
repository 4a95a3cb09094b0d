"""Fuzz: Python and SQL sources through the whole scan with every stable rule on.

Invariants for any input: the scan finishes, no rule crashes (a `rule-crash` entry is a bug),
positions lie inside the file, every output format renders, and the findings of the well-formed
files scanned alongside are the ones they have alone.
"""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reviewbot.model.findings import ErrorKind
from reviewbot.scan.engine import Scanner, ScanResult
from reviewbot.workspace.sources import SourceFile, decode
from tests.fuzzing import by_path as findings_on
from tests.fuzzing import check_result as check_scan
from tests.fuzzing import (
    encoded,
    fuzz_settings,
    mutated,
    nested,
    per_file_rules,
    scan,
    seeds,
    source,
)

pytestmark = pytest.mark.fuzz

DIALECTS = ("postgres", "mysql", "sqlite")
HOSTILE_PY = "zz/hostile.py"
HOSTILE_SQL = "zz/hostile.sql"


@cache
def companions() -> tuple[SourceFile, ...]:
    """Two well-formed files of each language that have findings, from the seed corpus."""
    chosen: list[SourceFile] = []
    for suffix in (".py", ".sql"):
        kept = 0
        for index, text in enumerate(seeds(suffix)):
            candidate = source(f"ok/seed{index}{suffix}", text)
            _, alone = scan([candidate])
            if alone.findings and not alone.errors:
                chosen.append(candidate)
                kept += 1
            if kept == 2:
                break
    return tuple(chosen)


@cache
def baseline(dialect: str) -> ScanResult:
    return scan(list(companions()), dialect)[1]


def contributed(scanner: Scanner, path: str) -> bool:
    """Whether the file gave project-wide rules anything: parsed SQL or facts."""
    for document in scanner.sql_documents:
        if document.path == path and any(s.expression is not None for s in document.statements):
            return True
    return any(p == path for values in scanner.facts.values() for p, _ in values)


def check_isolated(path: str, text: str, dialect: str = "postgres") -> None:
    hostile = source(path, text)
    scanner, result = scan([*companions(), hostile], dialect)
    texts = {s.path: s.text for s in (*companions(), hostile)}
    check_scan(result, texts)
    kept = {s.path for s in companions()}
    alone = baseline(dialect)
    # Per-file rules never look at other files: their findings cannot change.
    rules = per_file_rules()
    assert findings_on(result, kept, rules) == findings_on(alone, kept, rules)
    if not contributed(scanner, path):
        # A file that gave nothing to project-wide rules cannot change theirs either.
        assert findings_on(result, kept) == findings_on(alone, kept)


_BRACKETS = (st.sampled_from(["(", "[", "{1: "]),)
QUOTES = ("'", '"', "'" * 3, '"' * 3)


def _closing(opening: str) -> str:
    return opening.translate(str.maketrans("([{", ")]}"))[::-1]


def deep_python() -> st.SearchStrategy[str]:
    """Nesting shapes that overflow libcst's native stack or Python's recursion limit."""
    depth = st.sampled_from([99, 101, 150, 257, 999, 1001, 5000])
    chains = st.sampled_from(
        [" + ", " and ", " if c else ", " ** ", ".", " ", " < ", " | ", "()", "[0]"]
    )
    return st.one_of(
        nested("(", ")"),
        nested("[", "]"),
        nested("{1: ", "}"),
        nested("f(", ")"),
        nested("-", "", "1"),
        nested("not ", "", "1"),
        nested("lambda: ", "", "1"),
        st.builds(lambda op, n: "x = a" + op.join(['"s"'] * n), chains, depth),
        depth.map(lambda n: "if a:\n    pass\n" + "elif a:\n    pass\n" * n),
        depth.map(lambda n: "".join(" " * i + "if x:\n" for i in range(min(n, 120))) + "  y\n"),
        # Inside f-string replacement fields (1,500 brackets there segfaulted libcst).
        nested("f'{", "}'", "1").map(lambda t: t.replace("f'{f'{", "f'{(", 1)),
        st.builds(lambda o, n: "f'{" + o * n + "1" + _closing(o) * n + "}'", _BRACKETS[0], depth),
        st.builds(
            lambda q, n: f"f{q}{{" + "(" * n + "1" + ")" * n + f"}}{q}",
            st.sampled_from(QUOTES),
            depth,
        ),
        st.builds(lambda n: "f'{x:>{" + "[" * n + "1" + "]" * n + "}}'", depth),
        st.builds(lambda n: "f\"{f'{" + "(" * n + "1" + ")" * n + "}'}\"", depth),
        # Flat but huge: every token counts, `==` and names included.
        st.builds(
            lambda op, n: "1" + op * n + "1", st.sampled_from([" == 1", " != a", ", b"]), depth
        ),
    ).map(lambda body: "import sqlite3\ncur.execute('SELECT * FROM t WHERE a = ' + x)\nx = " + body)


def sql_soup() -> st.SearchStrategy[str]:
    words = st.sampled_from(
        [
            "SELECT",
            "*",
            "FROM",
            "t",
            "u",
            "WHERE",
            "a",
            "=",
            "1",
            "AND",
            "OR",
            "NOT",
            "IN",
            "(",
            ")",
            ",",
            ";",
            "UPDATE",
            "SET",
            "DELETE",
            "INSERT",
            "INTO",
            "VALUES",
            "CREATE",
            "TABLE",
            "INDEX",
            "CONCURRENTLY",
            "ON",
            "DROP",
            "ALTER",
            "ADD",
            "COLUMN",
            "int",
            "text",
            "NULL",
            "DEFAULT",
            "PRIMARY",
            "KEY",
            "REFERENCES",
            "JOIN",
            "LEFT",
            "GROUP",
            "BY",
            "ORDER",
            "LIMIT",
            "OFFSET",
            "LIKE",
            "'%a'",
            "'a''b'",
            "$$",
            "$1",
            "?",
            ":x",
            "--",
            "/*",
            "*/",
            "CASE",
            "WHEN",
            "THEN",
            "ELSE",
            "END",
            "ARRAY[",
            "]",
            "::",
            "->>",
            "||",
            "GRANT",
            "ALL",
            "BEGIN",
            "COMMIT",
            "ROLLBACK",
            "WITH",
            "AS",
            "UNION",
            "EXISTS",
            "E'\\''",
            "`a`",
            '"b"',
            "1e999",
            "0x1f",
        ]
    )
    return st.lists(words, max_size=60).map(" ".join)


def deep_sql() -> st.SearchStrategy[str]:
    return st.one_of(
        nested("SELECT (", ")", "1"),
        nested("SELECT ARRAY[", "]", "1"),
        nested("SELECT * FROM (SELECT * FROM ", ") x", "t"),
        nested("SELECT CASE WHEN a THEN ", " END", "1"),
        nested("SELECT * FROM t WHERE NOT ", "", "a"),
        nested("SELECT STRUCT(", ")", "1"),
        nested("SELECT coalesce(", ", 1)", "a"),
        # Chains are quadratic in sqlglot however shallow their brackets.
        nested("SELECT a", "[1]", "").map(lambda t: t.replace("SELECT a" * 2, "SELECT a", 1)),
        st.sampled_from([1, 31, 33, 200, 6000]).map(lambda n: "SELECT a" + "[1]" * n + " FROM t"),
    ).map(lambda sql: sql + ";\nSELECT * FROM t;\n")


@fuzz_settings()
@given(text=st.one_of(mutated(seeds(".py")), deep_python(), st.text(max_size=300)))
def test_python_sources(text: str) -> None:
    check_isolated(HOSTILE_PY, text)


@fuzz_settings()
@given(
    text=st.one_of(mutated(seeds(".sql")), sql_soup(), deep_sql(), st.text(max_size=300)),
    dialect=st.sampled_from(DIALECTS),
)
def test_sql_sources(text: str, dialect: str) -> None:
    check_isolated(HOSTILE_SQL, text, dialect)


def _python_literal(sql: str, style: int) -> str:
    if style == 0:
        return '"""' + sql.replace("\\", "\\\\").replace('"', '\\"') + '"""'
    if style == 1:
        return repr(sql)
    if style == 2:
        return "f" + repr(sql.replace("{", "{{").replace("}", "}}"))[:-1] + "{table}'"
    return repr(sql) + " + table"


@fuzz_settings()
@given(
    sql=st.one_of(mutated(seeds(".sql")), sql_soup(), deep_sql()),
    call=st.sampled_from(
        ["cursor.execute({})", "op.execute({})", "session.execute(text({}))", "db.raw({})"]
    ),
    style=st.integers(0, 3),
    dialect=st.sampled_from(DIALECTS),
)
def test_sql_embedded_in_python(sql: str, call: str, style: int, dialect: str) -> None:
    literal = _python_literal(sql, style)
    text = (
        "from sqlalchemy import text\nfrom alembic import op\n\n\n"
        f"def upgrade(cursor, session, db, table):\n    {call.format(literal)}\n"
    )
    check_isolated(HOSTILE_PY, text, dialect)


@fuzz_settings()
@given(data=st.data(), suffix=st.sampled_from([".py", ".sql"]))
def test_source_bytes(data: st.DataObject, suffix: str) -> None:
    """Any bytes a file may hold: other encodings, BOMs, flipped bytes, NULs."""
    text = data.draw(st.one_of(mutated(seeds(suffix)), st.text(max_size=200)))
    raw = data.draw(encoded(text))
    path = f"zz/hostile{suffix}"
    result = decode(raw, path)
    if isinstance(result, str):
        assert "\r" not in result
        check_isolated(path, result)
    else:
        assert result.kind in (ErrorKind.BINARY_FILE, ErrorKind.DECODE_ERROR), result
        assert result.path == path and result.message


@pytest.mark.parametrize(
    "literal",
    ['"""\x00"""', '"\\N{NO SUCH NAME} " + x', 'b"caf\xe9"', "'\\x'", '"\\U00110000"'],
)
def test_literals_cpython_refuses(literal: str) -> None:
    """libcst parses these; evaluating them (ast.literal_eval) raises SyntaxError. Found by the
    long fuzz run: sql-injection crashed on a NUL character inside a query string."""
    check_isolated(
        HOSTILE_PY, f"import sqlite3\n\n\ndef f(cursor, x):\n    cursor.execute({literal})\n"
    )


# -- globs: any pattern, linear work ---------------------------------------------------------------


def _reference_glob(pattern: str, path: str) -> bool:
    """The documented semantics, as a memoized recursive matcher (fine on short inputs)."""
    from reviewbot.workspace.globs import compile_glob

    atoms = compile_glob(pattern)

    @cache
    def match(i: int, j: int) -> bool:
        if i == len(atoms):
            return j == len(path) or path[j] == "/"
        kind, value = atoms[i]
        if kind in (3, 4, 5):  # *, **, **/
            if match(i + 1, j):
                return True
            for k in range(j, len(path)):
                if kind == 3 and path[k] == "/":
                    return False
                if kind == 5 and path[k] == "/" and match(i + 1, k + 1):
                    return True
                if kind != 5 and match(i + 1, k + 1):
                    return True
            return False
        if j == len(path):
            return False
        char = path[j]
        if kind == 0:
            ok = char == value
        elif kind == 1:
            ok = char != "/"
        else:
            ok = char != "/" and value.matches(char)  # type: ignore[attr-defined]
        return ok and match(i + 1, j + 1)

    return match(0, 0)


@fuzz_settings(8)
@given(
    pattern=st.text(alphabet="*?[]!ab/.", max_size=14),
    path=st.text(alphabet="ab/.", max_size=16),
    stars=st.integers(0, 40),
)
def test_glob_matching_is_right_and_linear(pattern: str, path: str, stars: int) -> None:
    from reviewbot.workspace.globs import GlobSet

    assert GlobSet([pattern]).any(path) == _reference_glob(pattern, path)
    # A star-heavy pattern against a long name: the work is bounded by a step count, linear in
    # the path for a given pattern (a backtracking matcher takes exponential time here).
    hostile = "*a" * stars + "*b" + pattern
    name = "a" * 300 + path
    globs = GlobSet([hostile])
    globs.any(name)
    assert globs.steps <= (len(name) + 2) * (2 * len(hostile) + 4)
