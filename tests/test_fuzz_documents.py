"""Fuzz: agent documents and config files, the two kinds of markdown/YAML a repository hands us.

Invariants: extraction never raises on any text or bytes (problems are notes), items point at
real lines; a config is a Config or a ConfigError, never an exception of another kind, and a
scan run with any config that validates exits 0, 1 or 2 with a clear message, reading nothing
outside the repository whatever its `agents` and `exclude` patterns say.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
import yaml
from hypothesis import event, given
from hypothesis import strategies as st

from reviewbot.checklist import report as checklist_report
from reviewbot.checklist.documents import Located
from reviewbot.checklist.extract import AgentDocumentError, decode, parse_agent_document
from reviewbot.checklist.mapping import coverage, default_mapper
from reviewbot.cli import main
from reviewbot.model.catalog import active_catalog
from reviewbot.workspace.config import KEYS, Config, ConfigError, load_config, validate
from tests.conftest import SEEDS
from tests.fuzzing import PRIVATE_USE, ROOT, all_rules, encoded, fuzz_settings, mutated

pytestmark = pytest.mark.fuzz

SHARED_SEEDS = SEEDS


def markdown_seeds() -> tuple[str, ...]:
    """The agent documents in the repository, plus the real-world seeds when they are around
    (a developer checkout; CI has only the repository's own)."""
    paths = sorted((ROOT / "agents").glob("*.md"))
    if SHARED_SEEDS.is_dir():
        paths += sorted(SHARED_SEEDS.glob("*.txt"))
    return tuple(p.read_text(encoding="utf-8", errors="replace") for p in paths)


MARKDOWN = (
    "---",
    "name: x",
    "description: |",
    "tools: [Read, Grep]",
    "tools: Read, Grep",
    "model: &m sonnet",
    "a: *m",
    "date: 2001-13-01",
    "n: 99999999999999999999999999999999999999999999",
    "x: !!python/object/apply:os.system ['touch /tmp/reviewbot-pwned']",
    "- &a [x, x, x, x, x, x, x, x, x]",
    "- &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]",
    "- &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]",
    "- &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]",
    "r: &r [*r]",
    "...",
    "# Heading",
    "## Security",
    "Heading\n=======",
    "- Always use parameterized queries",
    "* [ ] Index every foreign key",
    "1. Never log passwords",
    "   - nested item",
    "\t- tabbed item",
    "| rule | why |",
    "|---|---|",
    "| no SELECT * | perf |",
    "```sql",
    "```",
    "~~~",
    "<!-- hidden",
    "-->",
    "<example>",
    "</example>",
    "> - quoted item",
    "**Bold label:** text",
    "When writing SQL:",
    "Is every query parameterized?",
    "• pasted bullet",
    "***",
    "",
    "[" * 50,
    "`" * 7,
)


def markdown() -> st.SearchStrategy[str]:
    # Private-use characters around digits, escapes and code spans: placeholders of the
    # extractor once collided with them (U+E100 0 U+E101 raised IndexError).
    private = st.lists(
        st.one_of(
            PRIVATE_USE,
            st.sampled_from(list("0123456789`*_\\ ")),
            st.builds(lambda a, n, b: f"{a}{n}{b}", PRIVATE_USE, st.integers(0, 99), PRIVATE_USE),
        ),
        max_size=12,
    ).map("".join)
    fragments = st.lists(
        st.sampled_from(MARKDOWN) | st.text(max_size=40) | private.map(lambda t: "- " + t),
        max_size=40,
    )
    return st.one_of(
        mutated(markdown_seeds()),
        fragments.map("\n".join),
        fragments.map(lambda lines: "---\n" + "\n".join(lines[:12]) + "\n---\n" + "\n".join(lines)),
        st.text(max_size=400),
    )


def check_document(text: str) -> None:
    document = parse_agent_document(text, "agents/fuzz.md")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for item in document.items:
        assert 1 <= item.line <= len(lines), item
        assert item.text.strip(), item
    for note in document.notes:
        assert note.line is None or 1 <= note.line <= len(lines) + 1, note
    json.dumps(document.metadata)  # front matter metadata is plain data
    mapped = default_mapper().map_document(document)
    cover = coverage(mapped)
    assert cover.enforced <= cover.items == len(document.items)
    assert set(cover.rules) <= set(active_catalog())


@fuzz_settings(2)
@given(text=markdown())
def test_agent_document_text(text: str) -> None:
    check_document(text)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-docs")


@fuzz_settings()
@given(data=st.data())
def test_agent_document_files(data: st.DataObject, folder: Path) -> None:
    """Bytes on disk through `reviewbot checklist`'s report, text and JSON."""
    raw = data.draw(encoded(data.draw(markdown())))
    path = folder / "agent.md"
    path.write_bytes(raw)
    try:
        text, notes = decode(raw)
    except AgentDocumentError:
        assert b"\x00" in raw[:8192]
    else:
        assert isinstance(text, str) and all(n.message for n in notes)
    report = checklist_report.build([Located(path, "agents/agent.md")], default_mapper())
    for render in (checklist_report.render_text, checklist_report.render_json):
        out = render(report, active_catalog())
        out.encode("utf-8")
    json.loads(checklist_report.render_json(report, active_catalog()))


# -- config ------------------------------------------------------------------------------------

SELECTORS = ("all", "recommended", "tag:security", "tag:nope", "no-such-rule", "", "*")


def scalars() -> st.SearchStrategy[object]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=True),
        st.text(max_size=20),
        st.sampled_from(
            [
                *all_rules(),
                *SELECTORS,
                "error",
                "warning",
                "never",
                "postgres",
                "mysql",
                "sqlite",
                "postgress",
                "[z-a]",
                "**",
                "../outside/**",
                "/etc/passwd",
                "~/x",
                "agents/*.md",
                "../outside/*.md",
                "[",
                "**/../../*",
                "reviewbot:agents/*.md",
                "reviewbot:../x",
            ]
        ),
    )


def config_values() -> st.SearchStrategy[object]:
    keys = st.sampled_from([*KEYS, *all_rules(), "unknown-key", "**/*.py", "*"]) | st.text(
        max_size=10
    )
    return st.recursive(
        scalars(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
        max_leaves=20,
    )


def configs() -> st.SearchStrategy[object]:
    return st.one_of(
        config_values(),
        st.dictionaries(st.sampled_from(KEYS), config_values(), max_size=len(KEYS)),
    )


@fuzz_settings(4)
@given(raw=configs())
def test_config_validate(raw: object) -> None:
    try:
        config: Config | str = validate(raw, Path("/repo"), Path("/repo/.reviewbot.yml"))
    except ConfigError as exc:
        config = str(exc)
    assert isinstance(config, Config) or config.startswith(".reviewbot.yml: "), config


YAML = (
    "agents:",
    "  - agents/*.md",
    "  - ../outside/*.md",
    "enable: [all]",
    "enable: &e [all]",
    "disable: *e",
    "exclude: ['[z-a]', '**/../*']",
    "fail-on: 2001-13-01",
    "severity: {select-star: 99999999999999999999999999999999999999999999999999}",
    "options: !!python/object/apply:os.system ['touch /tmp/reviewbot-pwned']",
    "sql-dialect: !!python/name:os.system",
    "a: &a [x, x, x, x, x, x, x, x, x, x]",
    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]",
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]",
    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]",
    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]",
    "fail-on: *e",
    "r: &r [*r]",
    "? [a, b]",
    ": 1",
    "<<: *a",
    "per-file-ignores: {'tests/**': [all]}",
    "---",
    "...",
    "%YAML 1.1",
    "!!binary AAAA",
    "[" * 300,
    "- " * 200 + "x",
    "\t",
)


def globs() -> st.SearchStrategy[str]:
    return st.sampled_from(
        [
            "agents/*.md",
            "**/*.md",
            "*.sql",
            "q.sql",
            "app.py",
            "**",
            "[z-a]",
            "[!a]*.py",
            "[",
            "../outside/*.md",
            "../outside/**",
            "**/../../*",
            "/etc/*",
            "~/x",
            "C:/x",
            "./agents/db.md",
            "agents/../../outside/leak.md",
            "reviewbot:agents/*.md",
            "reviewbot:../../x",
            "",
        ]
    ) | st.text(max_size=12)


def plausible_configs() -> st.SearchStrategy[dict[str, object]]:
    """Configs close to valid, so that most of them reach a scan."""
    rules = st.sampled_from([*all_rules(), *SELECTORS])
    levels = st.sampled_from(["error", "warning", "info", "never", "fatal", 3])
    options = st.fixed_dictionaries(
        {},
        optional={
            meta.id: st.dictionaries(
                st.sampled_from([*meta.options, "nope"]),
                st.sampled_from([o.default for o in meta.options.values()] or [1]) | scalars(),
                max_size=2,
            )
            for meta in active_catalog().values()
            if meta.options
        },
    )
    return st.fixed_dictionaries(
        {},
        optional={
            "agents": st.lists(globs(), max_size=3),
            "enable": st.lists(rules, max_size=3),
            "disable": st.lists(rules, max_size=2),
            "exclude": st.lists(globs(), max_size=3),
            "severity": st.dictionaries(st.sampled_from(all_rules()), levels, max_size=2),
            "per-file-ignores": st.dictionaries(globs(), st.lists(rules, max_size=2), max_size=2),
            "sql-dialect": st.sampled_from(["postgres", "mysql", "sqlite", "tsql", "nope"]),
            "fail-on": levels,
            "options": options,
        },
    )


def yaml_texts() -> st.SearchStrategy[str]:
    raw = st.one_of(plausible_configs(), plausible_configs(), configs())
    dumped = raw.map(lambda value: yaml.safe_dump(value, allow_unicode=True))
    fragments = st.lists(st.sampled_from(YAML) | st.text(max_size=30), max_size=20)
    return st.one_of(
        dumped,
        mutated((), base=dumped),
        fragments.map("\n".join),
        mutated((), base=fragments.map("\n".join)),
        st.text(max_size=200),
    )


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small repository, and beside it a folder no scan of it may ever read."""
    base = tmp_path_factory.mktemp("fuzz-config")
    outside = base / "outside"
    outside.mkdir()
    (outside / "leak.sql").write_text("SELECT * FROM leaked;\n")
    (outside / "leak.md").write_text("---\nname: leaked\n---\n- Never use SELECT *\n")
    root = base / "repo"
    (root / "agents").mkdir(parents=True)
    (root / ".git").mkdir()  # the repository top: config lookup stops here
    (root / "agents" / "db.md").write_text("---\nname: db\n---\n- Never use SELECT *\n")
    (root / "q.sql").write_text("SELECT * FROM orders;\n")
    (root / "app.py").write_text(
        "def f(cur, x):\n    cur.execute(f'SELECT * FROM t WHERE a={x}')\n"
    )
    return root


@fuzz_settings()
@given(text=yaml_texts(), name=st.sampled_from([".reviewbot.yml", "pyproject.toml"]))
def test_config_file_scan(text: str, name: str, repo: Path) -> None:
    """Any config file: `reviewbot scan` exits 0, 1 or 2 with a clear message, never reads
    outside the repository, and never executes what the file says."""
    for old in (".reviewbot.yml", "pyproject.toml"):
        (repo / old).unlink(missing_ok=True)
    if name == "pyproject.toml":
        text = "[tool.reviewbot]\n" + text.replace(": ", " = ")
    (repo / name).write_text(text, encoding="utf-8")
    try:
        load_config(repo)
        event("config valid")
    except ConfigError:
        event("config refused")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["scan", str(repo), "--format", "json", "--no-cache", "--jobs", "1", "--quiet"])
    assert code in (0, 1, 2), err.getvalue()
    assert "internal error" not in err.getvalue(), err.getvalue()
    assert not Path("/tmp/reviewbot-pwned").exists()
    if code == 2:
        assert err.getvalue().startswith("reviewbot: error: "), err.getvalue()
        return
    report = json.loads(out.getvalue())
    assert "leak" not in out.getvalue()
    for finding in report["findings"]:
        assert not finding["path"].startswith(("/", "..")), finding
        for ref in finding["checklist"]:
            assert not ref["path"].startswith(("/", "..")), ref
