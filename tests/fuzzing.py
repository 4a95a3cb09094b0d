"""Shared by the fuzz tests: hypothesis profiles, seed corpora, mutations and scan invariants.

CI runs every fuzz test with a small example count (profile `reviewbot-ci`); a long local run
selects `reviewbot-long` by setting REVIEWBOT_FUZZ_EXAMPLES, e.g.

    REVIEWBOT_FUZZ_EXAMPLES=5000 python -m pytest -m fuzz
"""

from __future__ import annotations

import codecs
import json
import os
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from reviewbot.model.catalog import active_catalog
from reviewbot.model.findings import ErrorKind, Finding
from reviewbot.model.rule import REGISTRY, PythonRule, SqlRule
from reviewbot.output import REPORTERS, ReportContext
from reviewbot.output.escape import is_command_line
from reviewbot.scan.engine import Scanner, ScanResult
from reviewbot.workspace.config import Config
from reviewbot.workspace.sources import SourceFile, decode

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
EXAMPLES_ENV = "REVIEWBOT_FUZZ_EXAMPLES"
CI_EXAMPLES = 25

_common = {
    "deadline": None,  # a loaded CI machine must not turn slowness into failures
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
    "print_blob": True,
}
settings.register_profile("reviewbot-ci", max_examples=CI_EXAMPLES, **_common)
settings.register_profile(
    "reviewbot-long",
    max_examples=int(os.environ.get(EXAMPLES_ENV) or 0) or CI_EXAMPLES,
    **_common,
)
PROFILE = "reviewbot-long" if os.environ.get(EXAMPLES_ENV) else "reviewbot-ci"
FUZZ = settings.get_profile(PROFILE)


def fuzz_settings(scale: float = 1.0) -> settings:
    """The active profile, with `scale` times its examples (cheap entry points take more)."""
    return settings(FUZZ, max_examples=max(1, int(FUZZ.max_examples * scale)))


fuzz = pytest.mark.fuzz

# -- seeds -------------------------------------------------------------------------------------


@cache
def seeds(suffix: str) -> tuple[str, ...]:
    """Real inputs to mutate: every catalog example of every stable rule and every rule fixture
    with this suffix (so rule packs merged later are fuzzed without naming them here)."""
    out: list[str] = []
    for meta in active_catalog().values():
        for example in (*meta.valid, *meta.invalid):
            out.extend(text for path, text in example.files.items() if path.endswith(suffix))
    for path in sorted(FIXTURES.rglob(f"*{suffix}")):
        out.append(path.read_text(encoding="utf-8"))
    for path in sorted((ROOT / "examples").rglob(f"*{suffix}")):
        out.append(path.read_text(encoding="utf-8"))
    return tuple(dict.fromkeys(t for t in out if t.strip()))


def all_rules() -> list[str]:
    """Every stable rule in the registry (what `--select all` runs)."""
    return sorted(r for r in active_catalog() if r in REGISTRY)


def per_file_rules() -> set[str]:
    return {r for r in all_rules() if issubclass(REGISTRY[r], PythonRule | SqlRule)}


# -- mutations ---------------------------------------------------------------------------------

# Fragments that stress tokenizers and parsers: quotes, brackets, escapes, control characters,
# comment openers, SQL dollar quotes, Python and SQL keywords, suppression directives.
HOSTILE = (
    "'",
    '"',
    '"""',
    "'''",
    "`",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "\\",
    "\\\n",
    "\n",
    "\r",
    "\r\n",
    "\t",
    "\x00",
    "\x0c",
    "\x1b",
    "\x1b[2J",
    "\n::stop-commands::x\n",
    "\n::error::forged",
    "##[",
    "@octocat",
    "<!-- reviewbot:fp=deadbeefdeadbeef -->",
    "\u202e",
    "\u2028",
    "\ufeff",
    "\ud7ff",
    "\U0001f600",
    "é",
    "#",
    "--",
    "/*",
    "*/",
    "$$",
    "$tag$",
    ";",
    ":",
    "%s",
    "%(x)s",
    "?",
    ":name",
    "$1",
    "{x}",
    "f'",
    "rb'",
    "lambda:",
    "async ",
    "await ",
    "yield ",
    "match x:\n    case 1:\n        pass\n",
    "def f():\n",
    "class C:\n",
    "    ",
    "SELECT * FROM t",
    "UPDATE t SET a = 1",
    "DELETE FROM t",
    "DROP TABLE t",
    "CREATE TABLE t (id int)",
    "ALTER TABLE t ADD COLUMN c int NOT NULL",
    "WHERE",
    "JOIN",
    "CASE WHEN",
    "END",
    "ARRAY[",
    "E'\\'",
    "# reviewbot: ignore[",
    "-- reviewbot: ignore-file[all]",
    "execute(",
    "cursor.execute(f'",
    "op.execute(",
    "text(",
    "password = 'hunter2hunter2'",
    "import os, subprocess, pickle, requests, hashlib, jwt, random, logging, sqlite3\n",
)


@st.composite
def mutated(
    draw: st.DrawFn, corpus: tuple[str, ...], base: st.SearchStrategy[str] | None = None
) -> str:
    """A seed (from `corpus`, or drawn from `base`) with a few edits: truncation, deletion,
    duplication, insertion of hostile fragments or random text, swapped halves, changed line
    endings, a splice of another seed."""
    text = draw(base) if base is not None else draw(st.sampled_from(corpus))
    for _ in range(draw(st.integers(0, 4))):
        n = len(text)
        i = draw(st.integers(0, n))
        j = draw(st.integers(i, min(n, i + 200)))
        op = draw(st.integers(0, 7))
        if op == 0:
            text = text[:i]
        elif op == 1:
            text = text[:i] + text[j:]
        elif op == 2:
            text = text[:j] + text[i:j] * draw(st.integers(1, 6)) + text[j:]
        elif op == 3:
            text = text[:i] + draw(st.sampled_from(HOSTILE)) + text[i:]
        elif op == 4:
            text = text[:i] + draw(st.text(max_size=20)) + text[i:]
        elif op == 5:
            text = text[i:] + text[:i]
        elif op == 6:
            text = text.replace("\n", draw(st.sampled_from(["\r\n", "\r", "\n\n", " \\\n"])))
        elif corpus:
            other = draw(st.sampled_from(corpus))
            k = draw(st.integers(0, len(other)))
            text = text[:i] + other[k:] + text[j:]
    return text


def nested(open_: str, close: str, middle: str = "x") -> st.SearchStrategy[str]:
    """`open_` * n + middle + `close` * n for depths around every limit reviewbot has."""
    depth = st.sampled_from([1, 50, 99, 101, 150, 199, 201, 257, 999, 1001, 3000, 12000])
    return depth.map(lambda n: open_ * n + middle + close * n)


ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "latin-1", "cp1252", "shift_jis")
# Names a PEP 263 coding line may give: text encodings, codecs that are not text encodings
# (rot13 and friends: `bytes.decode` raises with them), text codecs that fail their own way, and
# names that are no codec at all.
CODING_NAMES = (
    "latin-1",
    "utf-8",
    "cp1252",
    "rot13",
    "hex",
    "zlib",
    "base64",
    "bz2",
    "quopri",
    "uu",
    "punycode",
    "idna",
    "undefined",
    "utf-7",
    "unicode_escape",
    "no-such-codec",
)
# Private-use characters, the kind a text processor might use as placeholders of its own.
PRIVATE_USE = st.one_of(
    st.sampled_from(["\ue100", "\ue101"]),
    st.sampled_from(["\ue000", "\ue001", "\ue02a", "\ue07f", "\ue100", "\ue101"]),
    st.characters(min_codepoint=0xE000, max_codepoint=0xF8FF),
)


@st.composite
def encoded(draw: st.DrawFn, text: str) -> bytes:
    """`text` as bytes a repository might hold: other encodings, a BOM, flipped bytes, NULs."""
    data = text.encode(draw(st.sampled_from(ENCODINGS)), errors="replace")
    if draw(st.integers(0, 3)) == 0:
        data = f"# -*- coding: {draw(st.sampled_from(CODING_NAMES))} -*-\n".encode() + data
    if draw(st.booleans()):
        data = codecs.BOM_UTF8 + data
    for _ in range(draw(st.integers(0, 3))):
        if not data:
            break
        i = draw(st.integers(0, len(data) - 1))
        data = data[:i] + bytes([draw(st.integers(0, 255))]) + data[i + 1 :]
    return data


# -- scanning and invariants -------------------------------------------------------------------


def source(path: str, text: str) -> SourceFile:
    language = "python" if path.endswith(".py") else "sql"
    return SourceFile(path=path, text=text, language=language)


def scan(sources: list[SourceFile], dialect: str = "postgres") -> tuple[Scanner, ScanResult]:
    scanner = Scanner(Config(root=Path("/nonexistent"), sql_dialect=dialect), all_rules())
    return scanner, scanner.scan_sources(sources)


_ANNOTATION = ("::error file=", "::warning file=", "::notice file=")


def check_result(result: ScanResult, texts: dict[str, str]) -> None:
    """What must hold for any scan: no rule crashed, positions are inside the files, and every
    output format renders, printing no terminal escape and no line GitHub's runner would read as
    a workflow command except the annotations of the `github` format."""
    crashes = [e for e in result.errors if e.kind is ErrorKind.RULE_CRASH]
    assert not crashes, crashes
    for error in result.errors:
        assert error.path in texts, error
        assert error.message
    for finding in result.findings:
        check_position(finding, texts[finding.path])
    for name, render in REPORTERS.items():
        out = render(result, ReportContext(fail_on=None))
        assert isinstance(out, str)
        out.encode("utf-8")  # no lone surrogates: every format must be writable
        if name in ("json", "sarif"):
            json.loads(out)
        assert "\x1b" not in out, name
        for line in out.split("\n"):
            if is_command_line(line):
                assert name == "github" and line.startswith(_ANNOTATION), (name, line)


def check_position(finding: Finding, text: str) -> None:
    lines = text.split("\n")
    assert 1 <= finding.line <= finding.end_line <= len(lines), finding
    assert finding.column >= 1 and finding.end_column >= 1, finding
    assert finding.column <= len(lines[finding.line - 1]) + 1, finding


def decoded(data: bytes, path: str) -> str | None:
    text = decode(data, path)
    return text if isinstance(text, str) else None


def by_path(result: ScanResult, paths: set[str], rules: set[str] | None = None) -> list[tuple]:
    """Findings on `paths` (of `rules`), without fingerprints' occurrence detail."""
    return sorted(
        (f.path, f.rule, f.line, f.column, f.end_line, f.end_column, f.message)
        for f in result.findings
        if f.path in paths and (rules is None or f.rule in rules)
    )
