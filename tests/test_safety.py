"""Safe by construction: nothing from the scanned repository is executed or imported, YAML is
only ever plain data, paths from a config or a diff stay inside the repository, and secrets a
rule finds are redacted in every output format, PR review comments included."""

from __future__ import annotations

import ast
import json
import pickle
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import libcst as cst
import pytest
import yaml

from reviewbot.checklist import documents
from reviewbot.checklist.extract import parse_agent_document
from reviewbot.model.catalog import active_catalog, load_catalog
from reviewbot.model.rule import REGISTRY, PythonRule
from reviewbot.output import REPORTERS, ReportContext
from reviewbot.output.escape import is_command_line
from reviewbot.output.github.review import (
    Reason,
    RenderContext,
    ReviewPlan,
    Summary,
    render_comment,
    render_review_body,
    render_summary,
)
from reviewbot.scan.cache import CACHE_DIR, FORMAT, Cache
from reviewbot.scan.engine import REDACTED, Scanner
from reviewbot.scan.filtering import FilterMode
from reviewbot.workspace import safe_yaml
from reviewbot.workspace.config import Config, load_config
from reviewbot.workspace.sources import SourceFile

ROOT = Path(__file__).resolve().parent.parent

# -- nothing from the repository runs ------------------------------------------------------------

PAYLOAD = "import pathlib\npathlib.Path({marker!r}).write_text('executed {name}')\n"
# Files Python would run on import or at startup, and modules shadowing reviewbot's own imports:
# a scan that imported any of them would write the marker.
PLANTED = (
    "conftest.py",
    "setup.py",
    "__main__.py",
    "sitecustomize.py",
    "usercustomize.py",
    "yaml.py",
    "sqlglot.py",
    "libcst.py",
    "json.py",
    "reviewbot/__init__.py",
    "reviewbot/cli.py",
    "app/__init__.py",
    "migrations/env.py",
    "alembic/versions/0001_init.py",
)


def _plant(repo: Path, marker: Path) -> None:
    (repo / ".git").mkdir(parents=True)
    for name in PLANTED:
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            PAYLOAD.format(marker=str(marker), name=name)
            + "def upgrade(cur, x):\n    cur.execute(f'SELECT * FROM t WHERE a = {x}')\n"
        )
    (repo / "hook.pth").write_text(f"import pathlib; pathlib.Path({str(marker)!r}).touch()\n")
    (repo / ".reviewbot.yml").write_text("enable: [all]\n")


def test_scanned_code_is_never_imported_or_executed(tmp_path: Path) -> None:
    repo, marker = tmp_path / "repo", tmp_path / "marker"
    _plant(repo, marker)
    # As a user runs it: from inside the repository, every stable rule on, worker processes on.
    runner = (
        "import sys; sys.path.insert(0, sys.argv.pop(1)); from reviewbot.cli import main; "
        "sys.exit(main(sys.argv[1:]))"
    )
    proc = subprocess.run(
        [sys.executable, "-I", "-c", runner, str(ROOT), "scan", ".", "--format", "json"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert {f["path"] for f in report["findings"] if f["rule"] == "sql-injection"} >= {
        "yaml.py",
        "reviewbot/cli.py",
        "migrations/env.py",
    }
    assert not marker.exists(), marker.read_text()


def test_a_planted_cache_entry_is_never_unpickled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache lives in the repository: an entry a pull request planted under the right key
    (anyone can compute it) must not run code when the scan looks it up."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home-cache"))
    repo, marker = tmp_path / "repo", tmp_path / "marker"
    (repo / ".git").mkdir(parents=True)
    (repo / "q.sql").write_text("SELECT * FROM t;\n")
    config = load_config(repo)
    scanner = Scanner(config, ["select-star"], cache=True)
    assert scanner.cache is not None
    key = scanner.cache.key("q.sql", "SELECT * FROM t;\n")

    class Exploit:
        def __reduce__(self) -> tuple[Any, ...]:
            return (Path(marker).write_text, ("unpickled",))

    payload = pickle.dumps(Exploit())
    entry = repo / CACHE_DIR / f"v{FORMAT}" / key[:2] / f"{key}.pickle"
    entry.parent.mkdir(parents=True)
    for blob in (payload, b"\0" * 32 + payload, payload[:32] + payload):
        entry.write_bytes(blob)
        result = Scanner(config, ["select-star"], cache=True).scan_paths([repo])
        assert not marker.exists()
        assert [f.rule for f in result.findings] == ["select-star"]
    # A link planted where an entry goes is not followed (it would read /dev/zero forever).
    entry.unlink()
    entry.symlink_to("/dev/zero")
    assert Scanner(config, ["select-star"], cache=True).scan_paths([repo]).findings


def test_a_planted_cache_folder_link_is_not_written_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home-cache"))
    repo, elsewhere = tmp_path / "repo", tmp_path / "elsewhere"
    (repo / ".git").mkdir(parents=True)
    elsewhere.mkdir()
    (repo / "q.sql").write_text("SELECT * FROM t;\n")
    (repo / CACHE_DIR).symlink_to(elsewhere, target_is_directory=True)
    Scanner(load_config(repo), ["select-star"], cache=True).scan_paths([repo])
    assert list(elsewhere.iterdir()) == []


def test_cache_entries_round_trip_under_this_users_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home-cache"))
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "q.sql").write_text("SELECT * FROM t;\n")
    config = load_config(repo)
    Scanner(config, ["select-star"], cache=True).scan_paths([repo])
    warm = Scanner(config, ["select-star"], cache=True)
    warm.scan_paths([repo])
    assert warm.cache is not None and warm.cache.hits == 1
    key_file = tmp_path / "home-cache" / "reviewbot" / "cache-key"
    assert key_file.stat().st_mode & 0o077 == 0
    # Another key (another user, a planted key file) reads nothing back.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "other"))
    cold = Scanner(config, ["select-star"], cache=True)
    cold.scan_paths([repo])
    assert cold.cache is not None and cold.cache.hits == 0


def test_cache_key_file_others_could_write_is_not_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    key_file = tmp_path / "reviewbot" / "cache-key"
    key_file.parent.mkdir()
    key_file.write_bytes(b"k" * 32)
    key_file.chmod(0o666)
    assert Cache(tmp_path, {})._key != b"k" * 32


# -- YAML ------------------------------------------------------------------------------------------

UNSAFE_LOADS = {"load", "load_all", "unsafe_load", "unsafe_load_all", "full_load", "full_load_all"}
UNSAFE_LOADERS = {"Loader", "UnsafeLoader", "FullLoader", "CLoader", "CUnsafeLoader", "CFullLoader"}


def _reviewbot_modules() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted((ROOT / "reviewbot").rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"), str(path))


def _loader_is_safe(node: ast.expr, module: str) -> bool:
    """The `Loader=` argument names a loader built on the safe constructor only: yaml.SafeLoader,
    a subclass, or libyaml's yaml.CSafeLoader (FullConstructor and the unsafe ones derive from
    SafeConstructor too, so they are excluded by name)."""
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
    candidate = getattr(yaml, name, None) or getattr(sys.modules.get(module), name, None)
    return (
        isinstance(candidate, type)
        and issubclass(candidate, yaml.constructor.SafeConstructor)
        and not issubclass(candidate, yaml.constructor.FullConstructor)
    )


def test_yaml_is_only_loaded_with_safe_loaders() -> None:
    offenders: list[str] = []
    for path, tree in _reviewbot_modules():
        text = path.read_text(encoding="utf-8")
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        if not module.endswith("__main__"):
            __import__(module)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "yaml"
                and node.attr in UNSAFE_LOADERS
            ):
                offenders.append(f"{path.name}:{node.lineno}: yaml.{node.attr}")
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            func = node.func
            if not (isinstance(func.value, ast.Name) and func.value.id == "yaml"):
                continue
            if func.attr in UNSAFE_LOADS:
                loader = next((k.value for k in node.keywords if k.arg == "Loader"), None)
                if loader is None and len(node.args) > 1:
                    loader = node.args[1]
                if loader is None or not _loader_is_safe(loader, module):
                    offenders.append(f"{path.name}:{node.lineno}: yaml.{func.attr}")
        # The grep-level net under the AST check: no `yaml.load(` without a loader argument.
        for match in re.finditer(r"(?<![\w.])yaml\.load\((?![^)]*Loader=)", text):
            offenders.append(f"{path.name}: {match.group(0)}")
    assert not offenders, offenders


PYTHON_TAGS = (
    "!!python/object/apply:os.system ['touch {marker}']",
    "!!python/object/new:subprocess.Popen [['touch', '{marker}']]",
    "!!python/name:os.system",
    "!!python/module:os",
    "!!python/object:argparse.Namespace {{a: 1}}",
)


@pytest.mark.parametrize("tag", PYTHON_TAGS)
def test_python_tags_in_a_config_are_refused(tag: str, tmp_path: Path, run_cli: Any) -> None:
    marker = tmp_path / "marker"
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / ".reviewbot.yml").write_text(f"enable: {tag.format(marker=marker)}\n")
    result = run_cli("scan", str(repo), "--no-cache")
    assert result.code == 2 and "invalid YAML" in result.err, result.err
    assert not marker.exists()


@pytest.mark.parametrize("tag", PYTHON_TAGS)
def test_python_tags_in_front_matter_are_plain_text(tag: str, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    text = f"---\nname: db\nx: {tag.format(marker=marker)}\n---\n- Never use SELECT *\n"
    document = parse_agent_document(text, "agents/db.md")
    assert document.name == "db" and len(document.items) == 1
    json.dumps(document.metadata)
    assert not marker.exists()


def test_safe_yaml_bounds() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{n}: &{n} [{', '.join([f'*{p}'] * 10)}]\n" for p, n in zip("abcde", "bcdef", strict=True)
    )
    with pytest.raises(safe_yaml.YamlLimitError, match="YAML bomb"):
        safe_yaml.load(bomb)
    with pytest.raises(safe_yaml.YamlLimitError, match="recursive"):
        safe_yaml.load("a: &a [*a]\n")
    with pytest.raises(safe_yaml.YamlLimitError, match="nested"):
        safe_yaml.load("[" * 5000 + "]" * 5000)
    with pytest.raises(safe_yaml.YamlLimitError, match="cannot be read"):
        safe_yaml.load("a: 2001-13-01\n")
    shared = "base: &b {x: 1}\none: *b\ntwo: {<<: *b, y: 2}\n"
    assert safe_yaml.load(shared) == {"base": {"x": 1}, "one": {"x": 1}, "two": {"x": 1, "y": 2}}


# -- paths stay inside the repository -----------------------------------------------------------


@pytest.fixture
def fenced(tmp_path: Path) -> Path:
    """A repository with an agent document and SQL outside it, and links pointing there."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "leak.md").write_text("---\nname: leak\n---\n- Never use SELECT *\n")
    (outside / "leak.sql").write_text("SELECT * FROM leaked;\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "agents").mkdir()
    (repo / "agents" / "db.md").write_text("---\nname: db\n---\n- Never use SELECT *\n")
    (repo / "agents" / "linked.md").symlink_to(outside / "leak.md")
    (repo / "agents" / "out").symlink_to(outside, target_is_directory=True)
    (repo / "q.sql").write_text("SELECT * FROM orders;\n")
    (repo / "linked.sql").symlink_to(outside / "leak.sql")
    return repo


@pytest.mark.parametrize(
    "pattern", ["../outside/leak.md", "../outside/*.md", "agents/../../outside/*.md", "/etc/*"]
)
def test_agents_outside_the_root_are_refused(fenced: Path, run_cli: Any, pattern: str) -> None:
    (fenced / ".reviewbot.yml").write_text(f"agents: [{pattern!r}]\n")
    result = run_cli("scan", str(fenced), "--no-cache")
    assert result.code == 2 and "agents" in result.err, result.err


@pytest.mark.parametrize("pattern", ["agents/*.md", "agents/**/*.md", "**/*.md", "agents/out/*.md"])
def test_agents_through_links_are_not_read(fenced: Path, run_cli: Any, pattern: str) -> None:
    (fenced / ".reviewbot.yml").write_text(f"agents: [{pattern!r}]\nenable: [select-star]\n")
    result = run_cli("scan", str(fenced), "--no-cache", "--format", "json")
    assert result.code in (0, 1), result.err
    report = json.loads(result.out)
    assert "leak" not in json.dumps(report["findings"]) + json.dumps(report["summary"]["agents"])
    assert [f["path"] for f in report["findings"]] == ["q.sql"]


@pytest.mark.parametrize("pattern", ["../**", "/**", "..", "../outside"])
def test_exclude_patterns_never_widen_the_scan(fenced: Path, run_cli: Any, pattern: str) -> None:
    (fenced / ".reviewbot.yml").write_text(f"enable: [select-star]\nexclude: [{pattern!r}]\n")
    result = run_cli("scan", str(fenced), "--no-cache", "--format", "json")
    report = json.loads(result.out)
    assert {f["path"] for f in report["findings"]} <= {"q.sql"}
    assert "leak" not in result.out.replace("linked.sql", "")


# -- secrets --------------------------------------------------------------------------------------

SECRET = "sk_test_" + "4eC39HqLyjWDarjtT1zdp7dc" * 2
TEST_RULE = "test-only-secret"


class _SecretRule(PythonRule):
    """Reports string constants that look like our test secret, quoting them everywhere."""

    prefilter: ClassVar[tuple[str, ...]] = ("sk_test_",)

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        value = node.evaluated_value
        if isinstance(value, str) and value.startswith("sk_test_"):
            self.report(
                node,
                f"secret {value} in source",
                suggestion=f'os.environ["KEY"]  # was {value}',
                redact=(value,),
            )


@pytest.fixture
def secret_rule(monkeypatch: pytest.MonkeyPatch) -> str:
    """A rule registered for one test only, with a catalog entry borrowed from a real one."""
    monkeypatch.setattr(_SecretRule, "id", TEST_RULE, raising=False)
    monkeypatch.setitem(REGISTRY, TEST_RULE, _SecretRule)
    some = next(m for m in active_catalog().values() if m.language == "python")
    monkeypatch.setitem(load_catalog(), TEST_RULE, replace(some, id=TEST_RULE, checklist=()))
    return TEST_RULE


def _secret_sources() -> list[SourceFile]:
    long_line = "x = 1; " * 200 + f'KEY = "{SECRET}"; ' + "y = 2; " * 200
    return [
        SourceFile("app/settings.py", f'import os\nAPI_KEY = "{SECRET}"\n', "python"),
        SourceFile("app/minified.py", long_line + "\n", "python"),
        SourceFile(
            "app/stripe.py", 'STRIPE_API_KEY = "sk_live_51HqLyjWDarjtT1zdp7dcAbCdEfGh"\n', "python"
        ),
    ]


def _all_outputs(rules: list[str]) -> tuple[list[str], list[Any]]:
    result = Scanner(Config(root=Path("/nonexistent")), rules).scan_sources(_secret_sources())
    outputs = [render(result, ReportContext()) for render in REPORTERS.values()]
    catalog = {**active_catalog()}
    ctx = RenderContext(catalog=catalog, link=lambda path, line, end: f"https://x/{path}#{line}")
    plan = ReviewPlan(not_inline=[(f, Reason.OUTSIDE_DIFF) for f in result.findings])
    for finding in result.findings:
        outputs.append(render_comment(finding, finding.line, finding.end_line, ctx))
    outputs.append(render_review_body(plan, ctx, "run-1"))
    summary = Summary(
        findings=result.findings,
        mode=FilterMode.ADDED,
        change_label="#1",
        fail_on=None,
        listed=[(f, None) for f in result.findings],
    )
    outputs.append(render_summary(summary, ctx, sticky=True))
    return outputs, result.findings


def _leaks(outputs: list[str], secret: str) -> list[str]:
    """Any run of 8 characters of the secret past the 2-character hint redaction keeps."""
    pieces = {secret[i : i + 8] for i in range(2, len(secret) - 7)}
    return [piece for piece in pieces for out in outputs if piece in out]


def test_secrets_are_redacted_in_every_output(secret_rule: str) -> None:
    outputs, findings = _all_outputs([secret_rule])
    assert len(findings) == 2
    assert all(REDACTED in f.message for f in findings)
    assert any(f.snippet_clipped for f in findings)  # the window of a long line, redacted first
    assert not _leaks(outputs, SECRET)
    # Markdown outputs escape the mask's asterisks (`\*\*\*\*` renders as `****`).
    markdown_mask = "".join(f"\\{c}" for c in REDACTED)
    assert all(REDACTED in out or markdown_mask in out for out in outputs)


def test_the_real_secret_rule_is_redacted_everywhere_too() -> None:
    if "hardcoded-secret" not in REGISTRY or "hardcoded-secret" not in active_catalog():
        pytest.skip("hardcoded-secret is not in this build's registry")
    outputs, findings = _all_outputs(["hardcoded-secret"])
    assert "app/stripe.py" in {f.path for f in findings}
    assert not _leaks(outputs, "sk_live_51HqLyjWDarjtT1zdp7dcAbCdEfGh")
    assert not _leaks(outputs, SECRET)


def test_git_is_never_asked_to_run_the_repositorys_hooks(tmp_path: Path, run_cli: Any) -> None:
    """A repository's own .git/config can name an fsmonitor hook that git runs while listing
    or diffing files; a directory someone hands you may hold such a config."""
    marker = tmp_path / "marker"
    hook = tmp_path / "hook.sh"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "q.sql").write_text("SELECT * FROM t;\n")

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
            cwd=repo,
            check=True,
            capture_output=True,
        )

    git("init", "-q")
    git("add", "q.sql")
    git("commit", "-qm", "init")
    git("config", "core.fsmonitor", str(hook))
    (repo / "new.sql").write_text("SELECT * FROM u;\n")
    assert run_cli("scan", str(repo), "--no-cache", "--format", "json").code == 0
    assert run_cli("scan", str(repo), "--no-cache", "--diff", "HEAD").code == 0
    assert not marker.exists()


def test_agent_globs_never_list_folders_outside_the_repository(fenced: Path, run_cli: Any) -> None:
    outside = fenced.parent / "outside"
    for name in ("passwd", "shadow", "id_rsa.md"):
        (outside / name).write_text("x\n")
    (fenced / "up").symlink_to(fenced.parent.parent, target_is_directory=True)
    patterns = ["agents/out/*", "agents/out/*.md", "up/**/*.md", "agents/**/*", "**/*.md"]
    (fenced / ".reviewbot.yml").write_text(f"agents: {patterns!r}\nenable: [select-star]\n")
    result = run_cli("scan", str(fenced), "--no-cache", "--format", "json")
    assert result.code in (0, 1), result.err
    for name in ("passwd", "shadow", "id_rsa", "leak", "outside/"):
        assert name not in result.out + result.err, name
    report = json.loads(result.out)
    assert report["summary"]["agents"] == ["agents/db.md"] or "agents/db.md" in json.dumps(
        report["summary"]["agents"]
    )


def test_a_recursive_agent_glob_through_a_link_to_the_root_stays_bounded(
    tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    (repo / "agents").mkdir(parents=True)
    (repo / "agents" / "db.md").write_text("---\nname: db\n---\n- Never use SELECT *\n")
    (repo / "up").symlink_to("/", target_is_directory=True)
    for i in range(30):
        (repo / "deep" / f"d{i}").mkdir(parents=True)
    monkeypatch.setattr(documents, "MAX_GLOB_DIRS", 20)
    (repo / ".reviewbot.yml").write_text("agents: ['up/**/*.md', 'deep/**/*.md', 'agents/*.md']\n")
    result = run_cli("scan", str(repo), "--no-cache")
    assert result.code in (0, 1), result.err
    assert "stopped after 20 folders" in result.out
    assert "passwd" not in result.out and "etc/" not in result.out


HOSTILE_NAME = "q\n::stop-commands::pwned\n\x1b]0;title\x07\x1b[31m::error::forged.sql"


@pytest.mark.parametrize("fmt", ["text", "github", "json", "sarif"])
def test_hostile_names_never_start_a_workflow_command(
    tmp_path: Path, run_cli: Any, fmt: str
) -> None:
    repo = tmp_path / "repo"
    (repo / "agents").mkdir(parents=True)
    (repo / HOSTILE_NAME).write_text("SELECT * FROM t;\n")
    (repo / "::x.sql").write_text("SELECT * FROM u;\n")
    (repo / "agents" / "db.md").write_text(
        '---\nname: "db\\n::warning::forged\\u001b[2J"\n---\n- Never use SELECT *\n'
    )
    (repo / ".reviewbot.yml").write_text("agents: ['agents/*.md']\n")
    result = run_cli("scan", str(repo), "--no-cache", "--format", fmt, "--fail-on", "info")
    assert result.code == 1, result.err
    for line in (result.out + result.err).splitlines():
        if is_command_line(line):
            assert fmt == "github" and re.match(r"::(error|warning|notice) file=", line), line
    assert "\x1b" not in result.out + result.err and "\x07" not in result.out
    if fmt == "github":
        assert len(result.out.splitlines()) == 2  # one annotation per finding, one line each
    checklist = run_cli("checklist", cwd=repo)
    assert not any(is_command_line(x) for x in checklist.out.splitlines())
    assert "\x1b" not in checklist.out
