"""Fixes a rule completes from the whole project after the per-file pass (Rule.complete_fixes):
jwt-without-verification pins a decode to what the repository's `encode` calls sign with."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from reviewbot.model.registry import REGISTRY
from reviewbot.scan.analysis import Analyzer
from reviewbot.scan.engine import Scanner
from reviewbot.scan.fixer import apply_edits
from reviewbot.workspace.config import Config
from tests.conftest import scan_texts

RULE = "jwt-without-verification"

TOKENS = (
    "import jwt\n\n\n"
    "def issue(user, key):\n"
    '    return jwt.encode({"sub": user}, key, algorithm="HS512")\n'
)
VIEWS = (
    "from jwt import decode\n\n\n"
    "def claims(request, key):\n"
    '    return decode(request.headers["Authorization"], key)\n'
)


def _jwt(findings: list) -> list:
    return [f for f in findings if f.rule == RULE]


def test_decode_is_pinned_to_what_another_file_signs_with() -> None:
    result = scan_texts({"auth/tokens.py": TOKENS, "api/views.py": VIEWS}, [RULE])
    (finding,) = _jwt(result.findings)
    assert finding.path == "api/views.py" and finding.fix is not None
    assert not finding.fix.safe
    assert {e.path for e in finding.fix.edits} == {"api/views.py"}
    fixed = apply_edits(VIEWS, list(finding.fix.edits))
    assert 'decode(request.headers["Authorization"], key, algorithms=["HS512"])' in fixed
    ast.parse(fixed)
    again = scan_texts({"auth/tokens.py": TOKENS, "api/views.py": fixed}, [RULE])
    assert _jwt(again.findings) == []


@pytest.mark.parametrize(
    "other",
    [
        # Two files sign two ways: which one the decode verifies is a guess.
        'import jwt\n\n\ndef legacy(key):\n    return jwt.encode({}, key, algorithm="RS256")\n',
        # PyJWT's default (HS256) disagrees with HS512.
        "import jwt\n\n\ndef legacy(key):\n    return jwt.encode({}, key)\n",
        # An algorithm that is not a literal could be anything.
        "import jwt\n\n\ndef legacy(key, alg):\n    return jwt.encode({}, key, algorithm=alg)\n",
    ],
)
def test_no_fix_when_the_repository_signs_several_ways(other: str) -> None:
    files = {"auth/tokens.py": TOKENS, "auth/legacy.py": other, "api/views.py": VIEWS}
    (finding,) = _jwt(scan_texts(files, [RULE]).findings)
    assert finding.fix is None


def test_no_fix_when_nothing_signs() -> None:
    (finding,) = _jwt(scan_texts({"api/views.py": VIEWS}, [RULE]).findings)
    assert finding.fix is None


def test_a_file_that_signs_keeps_its_own_algorithm() -> None:
    """A decode next to its own `encode` calls is pinned to those, whatever other files do."""
    local = (
        "import jwt\n\n\ndef issue(key):\n    return jwt.encode({}, key)\n\n\n"
        "def read(t, key):\n    return jwt.decode(t, key)\n"
    )
    (finding,) = _jwt(
        scan_texts({"auth/tokens.py": TOKENS, "api/local.py": local}, [RULE]).findings
    )
    assert finding.fix is not None
    assert 'algorithms=["HS256"]' in apply_edits(local, list(finding.fix.edits))


def test_cached_scan_still_completes_the_fix(
    tmp_path: Path, make_repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_repo({"auth/tokens.py": TOKENS, "api/views.py": VIEWS})
    cache_dir = tmp_path / "cache"

    def scan() -> list:
        scanner = Scanner(Config(root=root), [RULE], cache=True, cache_dir=cache_dir)
        return _jwt(scanner.scan_paths([root]).findings)

    (first,) = scan()

    def not_again(self: Analyzer, source: object) -> None:
        raise AssertionError("the second scan must be served from the cache")

    monkeypatch.setattr(Analyzer, "analyze", not_again)
    (second,) = scan()
    assert first.fix is not None and second.fix == first.fix


def test_scan_fix_unsafe_rewrites_the_decoding_file(make_repo, run_cli) -> None:
    root = make_repo({"auth/tokens.py": TOKENS, "api/views.py": VIEWS})
    safe_only = run_cli("scan", "--select", RULE, "--fix", str(root))
    assert (root / "api/views.py").read_text() == VIEWS  # the fix is unsafe
    assert safe_only.code == 1
    run = run_cli(
        "scan", "--select", RULE, "--fix", "--unsafe-fixes", "--format", "json", str(root)
    )
    fixed = (root / "api/views.py").read_text()
    ast.parse(fixed)
    assert 'key, algorithms=["HS512"])' in fixed
    assert (root / "auth/tokens.py").read_text() == TOKENS
    assert json.loads(run.out)["findings"] == []
    assert run.code == 0


def test_a_crash_completing_fixes_leaves_the_findings_and_names_the_rule(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rule = REGISTRY[RULE]

    def broken(cls: type, findings: list, project: object) -> list:
        raise ValueError("boom")

    monkeypatch.setattr(rule, "complete_fixes", classmethod(broken))
    result = scan_texts({"auth/tokens.py": TOKENS, "api/views.py": VIEWS}, [RULE])
    (finding,) = _jwt(result.findings)
    assert finding.fix is None
    assert [e.message for e in result.errors if RULE in e.message and "boom" in e.message]
