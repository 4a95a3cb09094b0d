"""A hostile repository, built in tmp_path and scanned once, in a subprocess, with every stable
rule on: the scan finishes, says what it skipped and why, keeps its findings on the well-formed
files, and keeps its memory bounded. Each item of the hostile list is one test below."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reviewbot.cli import main
from reviewbot.workspace import sources

ROOT = Path(__file__).resolve().parent.parent
# Generous: the scan measured 154 MB (a 5 MB line, 3,000 small sources, every rule on).
MAX_RSS_MB = 512

FINDING_PY = (
    "import sqlite3\n\ndef f(cur, name):\n    cur.execute(f'SELECT * FROM t WHERE a = {name}')\n"
)
FINDING_SQL = "SELECT * FROM orders;\n"
# `x = ((((...))))`: libcst's native parser would overflow the C stack (SIGSEGV) on this.
DEEP_PY = "x = " + "(" * 30_000 + "1" + ")" * 30_000 + "\n" + FINDING_PY
DEEP_SQL = "SELECT " + "(" * 30_000 + "1" + ")" * 30_000 + ";\n" + FINDING_SQL
LONG_LINE = 5 * 1024 * 1024


@dataclass
class Scan:
    repo: Path
    outside: Path
    code: int
    report: dict[str, Any]
    stderr: str
    text: str
    max_rss_mb: float

    def errors(self, path: str) -> list[dict[str, Any]]:
        return [e for e in self.report["errors"] if e["path"] == path]

    def findings(self, path: str) -> list[dict[str, Any]]:
        return [f for f in self.report["findings"] if f["path"] == path]

    def skipped(self, path: str) -> list[str]:
        return [s["reason"] for s in self.report["summary"]["skipped"] if s["path"] == path]


def _build(repo: Path, outside: Path) -> None:
    def write(rel: str, content: str | bytes) -> Path:
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
        return path

    (repo / ".git").mkdir(parents=True)  # the top of the repository; not a valid git dir
    write(".reviewbot.yml", "enable: [all]\nagents: ['agents/*.md']\n")
    write("good/app.py", FINDING_PY)
    write("good/report.sql", FINDING_SQL)
    write("binary/image.py", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    write("binary/dump.sql", b"SQLite format 3\x00" + bytes(range(256)) * 4)
    write("encoding/latin1.py", "# caf\xe9\n".encode("latin-1") + FINDING_PY.encode())
    write("encoding/bom.py", b"\xef\xbb\xbf" + FINDING_PY.encode())
    write(
        "encoding/cookie.py", ("# -*- coding: latin-1 -*-\n# café\n" + FINDING_PY).encode("latin-1")
    )
    write("encoding/utf16.sql", ("-- café\n" + FINDING_SQL).encode("utf-16"))
    write("endings/crlf.sql", "-- report\r\n\r\nSELECT * FROM a;\r\n")
    write("endings/mixed.py", FINDING_PY.replace("\n", "\r\n", 2).replace("\n\n", "\r\r"))
    (repo / "big").mkdir()
    with (repo / "big" / "huge.sql").open("wb") as handle:
        handle.truncate(20 * 1024 * 1024)  # 20 MB, sparse: the scan must not read it
    write("big/oneline.py", "x = '" + "a" * LONG_LINE + "'; " + FINDING_PY.split("\n")[3].strip())
    write("big/oneline.sql", "SELECT * FROM t WHERE a = '" + "b" * LONG_LINE + "';\n")
    write("big/values.sql", "INSERT INTO t VALUES " + "(1)," * (LONG_LINE // 4) + "(1);\n")
    write("deep/nested.py", DEEP_PY)
    write("deep/nested.sql", DEEP_SQL)
    write("empty/empty.py", "")
    write("empty/empty.sql", "")
    (repo / "links").mkdir()
    os.symlink("loop_b.py", repo / "links" / "loop_a.py")
    os.symlink("loop_a.py", repo / "links" / "loop_b.py")
    os.symlink("..", repo / "links" / "up")  # a folder loop: never entered
    (outside / "leak.py").write_text("API_KEY = 'sk_live_' + 'x' * 24\n" + FINDING_PY)
    (outside / "leak.md").write_text("---\nname: leak\n---\n- Never use SELECT *\n")
    os.symlink(outside / "leak.py", repo / "links" / "outside.py")
    (repo / "agents").mkdir()
    os.symlink(outside / "leak.md", repo / "agents" / "outside.md")
    write(
        "agents/bomb.md",
        "---\nname: bomb\na: &a [x, x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{n}: &{n} [{', '.join([f'*{p}'] * 10)}]\n"
            for p, n in zip("abcdefg", "bcdefgh", strict=True)
        )
        + "---\n- Always use parameterized queries\n",
    )
    unreadable = write("perm/unreadable.sql", FINDING_SQL)
    unreadable.chmod(0)
    write("names/dir with spaces/café ünïcode 名前.py", FINDING_PY)
    (repo / os.fsdecode(b"names/bad\xffname.sql")).write_text(FINDING_SQL)
    many = repo / "many"
    many.mkdir()
    for i in range(3000):
        (many / f"m{i:04}.{'py' if i % 2 else 'sql'}").write_text(
            "x = 1\n" if i % 2 else "SELECT id FROM t;\n"
        )


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> Scan:
    base = tmp_path_factory.mktemp("hostile")
    repo, outside = base / "repo", base / "outside"
    outside.mkdir()
    _build(repo, outside)
    report = base / "report.json"
    # A fresh interpreter per measurement: RUSAGE_CHILDREN is the largest of its children,
    # so the figure is this scan's (its worker processes included), not an earlier test's.
    probe = textwrap.dedent(
        f"""
        import resource, subprocess, sys
        proc = subprocess.run(
            [sys.executable, "-I", "-c",
             "import sys; sys.path.insert(0, {str(ROOT)!r}); from reviewbot.cli import main; "
             "sys.exit(main(sys.argv[1:]))",
             "scan", {str(repo)!r}, "--format", "json", "--output", {str(report)!r},
             "--no-cache", "--quiet"],
            capture_output=True, text=True, errors="replace",
        )
        print(proc.returncode)
        print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
        sys.stderr.write(proc.stderr)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=base, check=True
    )
    code, rss_kb = (int(x) for x in proc.stdout.split())
    data = json.loads(report.read_text(encoding="utf-8")) if report.exists() else {}
    text_out = subprocess.run(
        [sys.executable, "-m", "reviewbot", "scan", str(repo / "big"), "--no-cache", "--quiet"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    return Scan(repo, outside, code, data, proc.stderr, text_out, rss_kb / 1024)


def test_the_scan_finishes_with_findings(scan: Scan) -> None:
    assert scan.code == 1, scan.stderr  # findings, not a crash (a segfault would be -11)
    assert "internal error" not in scan.stderr
    assert not [e for e in scan.report["errors"] if e["kind"] == "rule-crash"]
    assert scan.findings("good/app.py") and scan.findings("good/report.sql")


def test_memory_stays_bounded(scan: Scan) -> None:
    assert 0 < scan.max_rss_mb < MAX_RSS_MB, f"peak RSS {scan.max_rss_mb:.0f} MB"


def test_binary_files_named_py_and_sql(scan: Scan) -> None:
    for path in ("binary/image.py", "binary/dump.sql"):
        [error] = scan.errors(path)
        assert error["kind"] == "binary-file" and "skipped" in error["message"]
        assert not scan.findings(path)


def test_invalid_utf8(scan: Scan) -> None:
    [error] = scan.errors("encoding/latin1.py")
    assert error["kind"] == "decode-error" and error["line"] == 1
    assert "0xe9" in error["message"] and "UTF-8" in error["message"]


def test_declared_and_bom_encodings(scan: Scan) -> None:
    """A PEP 263 coding line in Python, a UTF-16 BOM (SSMS saves .sql files so): decoded."""
    assert [f["line"] for f in scan.findings("encoding/cookie.py")] == [6]
    assert [(f["rule"], f["line"]) for f in scan.findings("encoding/utf16.sql")] == [
        ("select-star", 2)
    ]


def test_utf8_bom(scan: Scan) -> None:
    assert not scan.errors("encoding/bom.py")
    assert [f["line"] for f in scan.findings("encoding/bom.py")] == [
        f["line"] for f in scan.findings("good/app.py")
    ]


def test_crlf_and_mixed_line_endings(scan: Scan) -> None:
    assert [(f["rule"], f["line"]) for f in scan.findings("endings/crlf.sql")] == [
        ("select-star", 3)
    ]
    assert not scan.errors("endings/mixed.py")
    # Lone CRs count as line ends, as Python itself reads them.
    assert scan.findings("endings/mixed.py")


def test_a_20_mb_file_is_skipped_unread(scan: Scan) -> None:
    [error] = scan.errors("big/huge.sql")
    assert error["kind"] == "too-large" and "20.0 MB" in error["message"]


def test_a_single_5_mb_line(scan: Scan) -> None:
    assert not scan.errors("big/oneline.py") and not scan.errors("big/oneline.sql")
    [finding] = [f for f in scan.findings("big/oneline.py") if f["rule"] == "sql-injection"]
    assert finding["line"] == 1 and finding["column"] > LONG_LINE
    assert [f["rule"] for f in scan.findings("big/oneline.sql")] == ["select-star"]
    # The text report shows a window of the line, not 5 MB of it, and marks the spot.
    assert len(scan.text) < 20_000
    frame = scan.text.split("big/oneline.py:1:", 1)[1].split("\n")
    assert frame[2].startswith("1 | \u2026") and "cur.execute(" in frame[2]
    assert frame[3].lstrip(" |").startswith("^")
    # A 5 MB line of a million tokens is refused with its reason, not parsed.
    [error] = scan.errors("big/values.sql")
    assert error["kind"] == "too-large" and "tokens" in error["message"]


def test_nesting_that_exhausts_recursion(scan: Scan) -> None:
    [py] = scan.errors("deep/nested.py")
    assert py["kind"] == "parse-error" and "nested" in py["message"]
    [sql] = scan.errors("deep/nested.sql")
    assert sql["kind"] == "parse-error" and "nests brackets" in sql["message"]
    assert sql["line"] == 1
    # The statement after the deep one is still checked.
    assert [(f["rule"], f["line"]) for f in scan.findings("deep/nested.sql")] == [
        ("select-star", 2)
    ]


def test_empty_files(scan: Scan) -> None:
    for path in ("empty/empty.py", "empty/empty.sql"):
        assert not scan.errors(path) and not scan.findings(path)


def test_symlink_loop(scan: Scan) -> None:
    for path in ("links/loop_a.py", "links/loop_b.py"):
        assert scan.skipped(path) == ["broken or looping symlink; not followed"]
    assert not any(f["path"].startswith("links/up/") for f in scan.report["findings"])


def test_symlink_pointing_outside_is_not_followed(scan: Scan) -> None:
    assert scan.skipped("links/outside.py") == [
        "symlink pointing outside the repository; not followed"
    ]
    assert not scan.findings("links/outside.py")
    dumped = json.dumps(scan.report)
    assert "leak" not in dumped.replace("links/outside.py", "")
    # The agent document linked from outside is not read either.
    agents = {a["path"] for a in scan.report["summary"]["agents"]}
    assert "agents/outside.md" not in agents


def test_unreadable_file(scan: Scan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if os.access(scan.repo / "perm" / "unreadable.sql", os.R_OK):
        # Root reads a chmod 000 file anyway: make the read fail as the OS would for others.
        real = sources.read_regular

        def denied(path: Path | str, limit: int, follow_symlinks: bool = True) -> bytes:
            if Path(path).name == "unreadable.sql":
                raise PermissionError(13, "Permission denied", str(path))
            return real(path, limit, follow_symlinks)

        monkeypatch.setattr(sources, "read_regular", denied)
        repo = tmp_path / "repo"
        (repo / ".git").mkdir(parents=True)
        (repo / "unreadable.sql").write_text(FINDING_SQL)
        (repo / "ok.sql").write_text(FINDING_SQL)
        monkeypatch.chdir(repo)
        code = main(["scan", ".", "--format", "json", "--output", "r.json", "--no-cache"])
        assert code == 0  # select-star is info, under the default fail-on
        report = json.loads((repo / "r.json").read_text())
        errors = [e for e in report["errors"] if e["path"] == "unreadable.sql"]
        assert [f["path"] for f in report["findings"]] == ["ok.sql"]
    else:
        errors = scan.errors("perm/unreadable.sql")
    [error] = errors
    assert error["kind"] == "read-error" and "Permission denied" in error["message"]


def test_path_with_spaces_and_non_ascii(scan: Scan) -> None:
    path = "names/dir with spaces/café ünïcode 名前.py"
    assert scan.findings(path) and not scan.errors(path)
    # A name that is not even UTF-8 is still scanned and shown with its odd byte escaped.
    assert scan.findings("names/bad\\xffname.sql")


def test_thousands_of_files(scan: Scan) -> None:
    scanned = scan.report["summary"]["files_scanned"]
    assert scanned >= 3000
    assert not any(e["path"].startswith("many/") for e in scan.report["errors"])


def test_agent_document_yaml_bomb(scan: Scan) -> None:
    """Front matter that is a billion-laughs bomb: a note, the checklist still read."""
    agents = {a["path"]: a for a in scan.report["summary"]["agents"]}
    assert agents["agents/bomb.md"]["items"] == 1


def _config_repo(tmp_path: Path, config: str) -> Path:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / ".reviewbot.yml").write_text(config)
    (repo / "q.sql").write_text(FINDING_SQL)
    return repo


def test_config_yaml_bomb(tmp_path: Path, run_cli: Any) -> None:
    levels = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        levels.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
    repo = _config_repo(tmp_path, "\n".join(levels) + "\nenable: *i\n")
    result = run_cli("scan", str(repo), "--no-cache")
    assert result.code == 2
    assert "invalid YAML" in result.err and "YAML bomb" in result.err
    assert "internal error" not in result.err


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("enable: select-star: x\n", "invalid YAML"),
        ("enable: 12\n", "`enable` must be a list of strings"),
        ("exclude: {a: 1}\n", "`exclude` must be a list of strings"),
        ("severity: [select-star]\n", "`severity` must map rule ids"),
        ("fail-on: 2001-13-01\n", "invalid YAML"),
        ("options: 99999999999999999999\n", "`options` must map rule ids"),
        ("options: {select-star: [1]}\n", "options.select-star` must be a mapping"),
        ("- just\n- a list\n", "must be a mapping of keys"),
        ("r: &r [*r]\nenable: *r\n", "recursive"),
        ("enable: !!python/object/apply:os.system ['echo pwned']\n", "invalid YAML"),
    ],
)
def test_config_with_wrong_types(tmp_path: Path, run_cli: Any, config: str, message: str) -> None:
    repo = _config_repo(tmp_path, config)
    result = run_cli("scan", str(repo), "--no-cache")
    assert result.code == 2, result.err
    assert message in result.err and result.err.startswith("reviewbot: error: ")


# -- every scan finishes, and nothing found elsewhere is lost (issue 13) ---------------------------


def _scan_json(repo: Path, *extra: str, timeout: float = 120) -> tuple[int, dict[str, Any], str]:
    """`reviewbot scan` in a subprocess (a hang or a crash of the process is a failure here)."""
    report = repo.parent / "report.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "reviewbot",
            "scan",
            str(repo),
            "--format",
            "json",
            "--output",
            str(report),
            "--quiet",
            *extra,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
    )
    data = json.loads(report.read_text(encoding="utf-8")) if report.exists() else {}
    return proc.returncode, data, proc.stderr


def _repo(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    for rel, content in files.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return repo


NOT_TEXT_CODECS = ("rot13", "hex", "zlib", "base64", "bz2", "quopri", "uu")


@pytest.mark.parametrize("codec", [*NOT_TEXT_CODECS, "punycode", "undefined"])
def test_a_coding_line_naming_a_codec_that_is_not_text(codec: str) -> None:
    data = f"# -*- coding: {codec} -*-\n".encode() + FINDING_PY.encode()
    result = sources.decode(data, "odd.py")
    assert isinstance(result, sources.ScanError), result
    assert result.kind == "decode-error" and "UTF-8" in result.message


def test_a_rot13_file_is_a_notice_and_the_scan_goes_on(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        {"rot13.py": "# coding: rot13\n" + FINDING_PY, "hex.py": "# coding: hex\nx = 1\n"}
        | {"good.py": FINDING_PY},
    )
    code, report, stderr = _scan_json(repo, "--no-cache")
    assert code == 1, stderr
    assert "internal error" not in stderr and "Traceback" not in stderr
    assert {e["path"] for e in report["errors"] if e["kind"] == "decode-error"} == {
        "rot13.py",
        "hex.py",
    }
    assert {f["path"] for f in report["findings"]} == {"good.py"}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs")
def test_fifos_and_planted_cache_files_never_block_or_get_read(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"good.py": FINDING_PY, "query.sql": FINDING_SQL})
    os.mkfifo(repo / "pipe.sql")  # a FIFO named like a source file
    # Run once to learn the cache layout, then replace every entry by a FIFO or a huge file.
    code, first, stderr = _scan_json(repo)
    assert code == 1, stderr
    entries = sorted((repo / ".reviewbot_cache").rglob("*.pickle"))
    # The two files' outcomes, the SQL documents of query.sql (an entry of their own), the
    # project pass's output and the agent checklists' mapping.
    assert len(entries) == 5
    for index, entry in enumerate(entries):
        entry.unlink()
        if index % 2 == 0:
            os.mkfifo(entry)
        else:
            with entry.open("wb") as handle:
                handle.truncate(300 * 1024 * 1024)  # sparse: reading it whole takes 300 MB
    code, second, stderr = _scan_json(repo, timeout=60)
    assert code == 1, stderr
    assert second["findings"] == first["findings"]
    assert not [e for e in second["errors"] if e["path"] == "pipe.sql"]  # never a file to scan
    # Swapped in after discovery saw a regular file, a FIFO is still never opened blocking.
    error = sources.read_source(repo / "pipe.sql", "pipe.sql", "sql")
    assert isinstance(error, sources.ScanError)
    assert error.kind == "read-error" and "FIFO" in error.message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs")
def test_a_fifo_named_as_an_agent_document(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"agents/real.md": "---\nname: real\n---\n- Never use SELECT *\n"})
    os.mkfifo(repo / "agents" / "pipe.md")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "reviewbot",
            "checklist",
            str(repo / "agents" / "pipe.md"),
            str(repo / "agents" / "real.md"),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert "Traceback" not in proc.stderr
    assert "FIFO" in proc.stdout + proc.stderr
    assert "SELECT" in proc.stdout  # the real document was still read


@pytest.mark.parametrize(
    "text",
    [
        "- \ue100 0 \ue101 never use `SELECT *`",
        "- \ue1000\ue101 and \ue1001\ue101",
        "- escaped \\* star and \ue02a private",
        "- `a` \ue000\ue001\ue002 `b` \\_c\\_",
    ],
)
def test_private_use_characters_in_an_agent_document(text: str) -> None:
    from reviewbot.checklist.extract import parse_agent_document

    document = parse_agent_document(text + "\n", "agents/pua.md")
    [item] = document.items
    # The private-use characters survive as they were; code spans and escapes are undone.
    for char in text:
        if "\ue000" <= char <= "\uf8ff":
            assert char in item.text
    assert "`" not in item.text and "\\" not in item.text


def test_star_heavy_globs_match_in_linear_steps() -> None:
    from reviewbot.workspace.globs import GlobSet

    name = "a" * 4000 + ".py"
    for pattern in ("*a" * 40 + "*b", "**a" * 40 + "**b", "**/*a*" * 20 + "/x", "*[ab]?" * 30):
        globs = GlobSet([pattern])
        assert not globs.any(name)
        # One pattern costs at most (len(path) + 1) x (states + 1) visits, whatever it holds.
        assert globs.steps <= (len(name) + 1) * (2 * len(pattern) + 3), pattern


def test_ten_thousand_exclude_entries(tmp_path: Path) -> None:
    from reviewbot.workspace.globs import GlobSet

    patterns = [f"vendor{i}/*.py" for i in range(5000)] + [f"gen_{i}" for i in range(5000)]
    globs = GlobSet(patterns)
    paths = [f"src/pkg{i % 7}/module_{i}.py" for i in range(500)] + ["vendor17/x.py", "a/gen_9/b"]
    before = globs.steps
    matched = [p for p in paths if globs.any(p)]
    assert matched == ["vendor17/x.py", "a/gen_9/b"]
    # Literal entries are set lookups, wildcard entries share one automaton whose state sets
    # are cached: a small fraction of one pass per pattern per path (5,000 x 502 x ~20 steps).
    assert globs.steps - before < len(paths) * len(patterns) // 20
    repo = _repo(tmp_path, {"good.py": FINDING_PY, "vendor3/skip.py": FINDING_PY})
    (repo / ".reviewbot.yml").write_text(
        "enable: [all]\nexclude:\n"
        + "".join(f"  - '{p}'\n" for p in [*patterns[:3000], "*a" * 30 + "*b"])
        + "per-file-ignores:\n"
        + "".join(f"  '{'*x' * 20}{i}*': [all]\n" for i in range(2000)),
        encoding="utf-8",
    )
    code, report, stderr = _scan_json(repo, "--no-cache", timeout=120)
    assert code == 1, stderr
    assert [f["path"] for f in report["findings"]] == ["good.py"]


# An f-string replacement field holding 1,500 nested brackets: libcst's native parser overflowed
# the C stack on it (SIGSEGV), in a worker and then again in the main process.
DEEP_FSTRING_PY = "x = f'{" + "(" * 1500 + "1" + ")" * 1500 + "}'\n" + FINDING_PY
# Enough files and bytes for the per-file pass to run in worker processes.
PADDING = "# " + "padding " * 2000 + "\n"


def test_deep_brackets_inside_an_f_string_with_workers(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {f"good/m{i:02}.py": FINDING_PY + PADDING for i in range(24)}
    files["deep/fstring.py"] = DEEP_FSTRING_PY
    files["deep/nested_fields.py"] = (
        "x = f'{" + 'f"{' * 3 + "[" * 400 + "]" * 400 + '}"' * 3 + "}'\n" + FINDING_PY
    )
    repo = _repo(tmp_path, files)
    code, report, stderr = _scan_json(repo, "--no-cache", "--jobs", "2", "--select", "all")
    assert code == 1, stderr
    assert "internal error" not in stderr
    assert {f["path"] for f in report["findings"]} == {f"good/m{i:02}.py" for i in range(24)}
    for path in ("deep/fstring.py", "deep/nested_fields.py"):
        [error] = [e for e in report["errors"] if e["path"] == path]
        assert error["kind"] == "parse-error" and "f-string" in error["message"], error


def test_every_token_counts_in_the_python_size_guard() -> None:
    from reviewbot.workspace.guards import MAX_PYTHON_TOKENS, python_shape

    # `==`, names and numbers were not counted: 7.5 MB of this aborted the process at 4 GB.
    shape = python_shape("x = " + "1 == " * (MAX_PYTHON_TOKENS // 2) + "1\n")
    assert shape.oversized and "tokens" in (shape.refusal() or "")
    names = python_shape("\n".join(f"a{i}: b{i}" for i in range(MAX_PYTHON_TOKENS // 3 + 1)))
    assert names.oversized
    fields = python_shape("x = f'" + "{a}" * (MAX_PYTHON_TOKENS + 1) + "'\n")
    assert fields.oversized
    # Literal text of an f-string is one string, not tokens; `{{` is not a field.
    plain = python_shape("x = f'" + "word {{ " * 100_000 + "'\n")
    assert plain.tokens == 3 and plain.brackets == 0


class _Saboteur:
    """An Analyzer stand-in for worker tests: crashes or stalls on files so named."""

    def __init__(self, analyzer: Any) -> None:
        self.analyzer = analyzer

    def analyze(self, source: Any) -> Any:
        import signal
        import time

        if "crash" in source.path:
            import faulthandler

            faulthandler.disable()  # pytest's handler would print the worker's stack
            os.kill(os.getpid(), signal.SIGSEGV)
        if "stall" in source.path:
            time.sleep(60)
        return self.analyzer.analyze(source)


def test_a_crashing_or_stalling_file_costs_only_itself() -> None:
    import time

    from reviewbot.model.findings import ErrorKind
    from reviewbot.scan.engine import Scanner
    from reviewbot.scan.parallel import parallel_analyze
    from reviewbot.workspace.config import Config
    from reviewbot.workspace.sources import SourceFile

    analyzer = Scanner(Config(root=ROOT), ["sql-injection"]).analyzer
    names = [
        f"m{i:02}{'crash' if i in (3, 4) else ''}{'stall' if i == 20 else ''}.py" for i in range(30)
    ]
    sources = [SourceFile(name, FINDING_PY, "python") for name in names]
    started = time.monotonic()
    out = list(
        parallel_analyze(_Saboteur(analyzer), sources, list(range(30)), 2, file_timeout=1.5)  # type: ignore[arg-type]
    )
    assert time.monotonic() - started < 30  # the stalled file did not hold the scan
    assert [index for index, _ in out] == list(range(30))
    for index, outcome in out:
        if index in (3, 4):
            [error] = outcome.errors
            assert error.kind == ErrorKind.RULE_CRASH and "SIGSEGV" in error.message
        elif index == 20:
            [error] = outcome.errors
            assert error.kind == ErrorKind.TIMEOUT and "1.5 s" in error.message
        else:
            assert not outcome.errors and [f.rule for f in outcome.raw] == ["sql-injection"]


def test_ctrl_c_ends_the_scan_promptly_and_keeps_the_cache_intact(tmp_path: Path) -> None:
    import signal
    import time

    # 60 files of 4.5 KB: enough for worker processes, a few seconds of work to interrupt.
    sql = "-- " + "padding " * 400 + "\n"
    sql += "".join(f"SELECT a{i}, b FROM t{i} WHERE c IN (1, 2) ORDER BY a;\n" for i in range(20))
    repo = _repo(tmp_path, {f"q/{i:03}.sql": sql for i in range(60)} | {"good.py": FINDING_PY})
    report = tmp_path / "report.json"
    command = [sys.executable, "-m", "reviewbot", "scan", str(repo), "--jobs", "2"]
    proc = subprocess.Popen(
        [*command, "--format", "json", "--output", str(report)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    cache = repo / ".reviewbot_cache"
    deadline = time.monotonic() + 60
    # The scan is under way once some outcomes are written (the first entry, the agent
    # checklists' mapping, is written before the scan starts).
    while len(list(cache.rglob("*.pickle"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    interrupted = time.monotonic()
    time.sleep(0.02)
    proc.send_signal(signal.SIGINT)  # an impatient second Ctrl-C once deadlocked the pool
    _, stderr = proc.communicate(timeout=30)
    assert time.monotonic() - interrupted < 10, "the scan waited for queued work"
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert not report.exists()
    assert not list(cache.rglob("*.tmp"))  # no half-written entry
    # The cache is intact: a second run reads what the first wrote and reports as usual.
    code, again, stderr = _scan_json(repo, "--jobs", "2", timeout=300)
    assert code == 1, stderr
    assert [(f["path"], f["rule"]) for f in again["findings"]] == [("good.py", "sql-injection")]
    assert not again["errors"]


def test_sql_subscript_chains_are_bounded_before_sqlglot() -> None:
    from reviewbot.sql.source import SqlDocument, split_and_parse
    from reviewbot.workspace.guards import MAX_SQL_SUBSCRIPT_CHAIN
    from reviewbot.workspace.sources import SourceFile

    def parse(text: str) -> SqlDocument:
        host = SourceFile("a.sql", text, "sql")
        return split_and_parse(SqlDocument(host=host, text=text, dialect="postgres"))

    # 24 KB of this took sqlglot 355 s; it is refused, and the next statement still checked.
    document = parse("SELECT a" + "[1]" * 6000 + " FROM t;\nSELECT * FROM orders;\n")
    [error] = document.errors
    assert "subscripts" in error.message and error.line == 1
    assert [s.expression is not None for s in document.statements] == [False, True]
    # Chains interleaved with inner subscripts are counted per bracket level.
    assert parse("SELECT a" + "[b[1][2]]" * (MAX_SQL_SUBSCRIPT_CHAIN + 1) + " FROM t;").errors
    # Real multi-dimensional subscripts and many short chains are parsed.
    fine = parse("SELECT a[1][2][3], " + ", ".join(["m[1][2]"] * 500) + " FROM t;")
    assert not fine.errors and fine.statements[0].expression is not None


class _CountingText(str):
    finds = 0

    def find(self, *args: Any) -> int:
        type(self).finds += 1
        return super().find(*args)


def test_escape_mapping_is_linear_in_the_escapes() -> None:
    from reviewbot.sql.text import TextBuilder, add_literal_body, host_offset

    escapes = 20_000
    body = _CountingText("SELECT '" + "\\n{{x}}" * escapes + "' FROM t")
    builder = TextBuilder()
    add_literal_body(builder, body, 100, raw=False, fstring=True)
    text, segments = builder.mapped()
    assert text == "SELECT '" + "\n{x}" * escapes + "' FROM t"
    # One search per special sequence and kind, not one per kind from every escape.
    assert _CountingText.finds <= 3 * escapes + 3
    # Each decoded character maps back to its escape in the host.
    assert host_offset(segments, len("SELECT '")) == 100 + len("SELECT '")
    assert host_offset(segments, text.index("' FROM t")) == 100 + body.index("' FROM t")


def test_workers_that_cannot_start_leave_the_work_to_the_scanning_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from reviewbot.scan import parallel
    from reviewbot.scan.engine import Scanner
    from reviewbot.workspace.config import Config
    from reviewbot.workspace.sources import SourceFile

    def no_fork(self: Any) -> Any:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(parallel._Pool, "_spawn", no_fork)
    analyzer = Scanner(Config(root=ROOT), ["sql-injection"]).analyzer
    sources = [SourceFile(f"m{i}.py", FINDING_PY, "python") for i in range(20)]
    out = list(parallel.parallel_analyze(analyzer, sources, list(range(20)), 2))
    assert [i for i, _ in out] == list(range(20))
    assert all([f.rule for f in o.raw] == ["sql-injection"] and not o.errors for _, o in out)


def test_a_timeout_or_a_dead_worker_is_never_cached() -> None:
    from reviewbot.scan.analysis import FileOutcome
    from reviewbot.scan.parallel import crashed, timed_out, transient

    assert transient(FileOutcome("a.py", errors=[timed_out("a.py", 60)]))
    assert transient(FileOutcome("a.py", errors=[crashed("a.py", -9)]))
    # What the file itself holds is cached as usual.
    assert not transient(FileOutcome("a.py", errors=[sources.decode(b"# coding: hex\n", "a.py")]))  # type: ignore[list-item]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs")
def test_a_fifo_or_a_huge_file_as_the_config(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"good.py": FINDING_PY})
    os.mkfifo(repo / "fifo.yml")
    proc = subprocess.run(
        [sys.executable, "-m", "reviewbot", "scan", str(repo), "--config", str(repo / "fifo.yml")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 2 and "fifo.yml" in proc.stderr, proc.stderr  # refused, not waited on
    with (repo / ".reviewbot.yml").open("wb") as handle:
        handle.truncate(3 * 1024**3)  # sparse 3 GB: read whole, it would exhaust memory
    code, _, stderr = _scan_json(repo, "--no-cache")
    assert code == 2 and "larger than 1 MB" in stderr
