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
