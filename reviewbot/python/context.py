"""Where a Python file sits: the one place rules ask whether they are in a migration, a data
migration, a management command or CLI, test code or settings.

Rules never test paths themselves (STYLE.md, "Rules know where they are"): a rule declares the
places where its findings are not worth a comment (`PythonRule.skip_in`), and asks
`self.context` when a finding is worth one but the message should say why it matters there.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import Enum
from functools import lru_cache
from pathlib import Path, PurePosixPath

from reviewbot.python.vocabulary import is_cli_path, is_test_path, is_test_settings_path


class Where(Enum):
    """A kind of place; a file may be several (a data migration is also a migration)."""

    TEST = "test"
    # Any schema or data migration: Django `migrations/NNNN_*.py`, an Alembic revision.
    MIGRATION = "migration"
    # A migration that changes rows: Django `RunPython`, an Alembic revision running statements
    # or ORM code over its data. Runs once, at deploy, over whatever the table holds then.
    DATA_MIGRATION = "data-migration"
    # A Django management command, a click/typer/Flask CLI command, a `scripts/` tool: run by an
    # operator or a scheduler, not on a request.
    COMMAND = "command"
    SETTINGS = "settings"
    # Code whose job is to fill a development database with made-up rows: it imports a
    # fake-data library (Faker, factory_boy, mimesis, model_bakery...), or it is named for fake,
    # sample, dummy or seed data (`createfakeusers.py`, `sample_data.py`, `seed_db.py`). Run
    # by a developer on a laptop, never on a user's request.
    SAMPLE_DATA = "sample-data"
    # Example programs (`examples/`): code that shows how a library is used, often
    # doing the slow thing on purpose to measure it; nothing serves users from there.
    EXAMPLE = "example"


_DJANGO_MIGRATION_NAME = re.compile(r"^\d{4}_\w*\.py$")
_DJANGO_MIGRATION_CLASS = re.compile(r"\bclass\s+Migration\s*\(\s*migrations\.Migration\s*\)")
_ALEMBIC_REVISION = re.compile(r"^revision\s*(?::\s*str\s*)?=", re.MULTILINE)
_ALEMBIC_UPGRADE = re.compile(r"^def\s+upgrade\s*\(", re.MULTILINE)
_RUN_PYTHON = re.compile(r"\bRunPython\s*\(")
# An Alembic data step: statements or ORM work on rows, not only `op.create_*` / `op.add_*`.
_ALEMBIC_DATA = re.compile(
    r"\bop\.(?:execute|get_bind|bulk_insert)\s*\(|\bSession\s*\(|\.query\s*\(|\bupdate\s*\("
)
_CLI_DECORATOR = re.compile(
    r"^\s*@\s*(?:[\w.]+\.)?(?:command|group)\s*\(|^\s*@\s*(?:click|typer)\.", re.MULTILINE
)
# Flask's `@app.cli.command(...)` / `@bp.cli.command(...)`, Flask-Script's `@manager.command`.
_FLASK_CLI = re.compile(r"^\s*@\s*[\w.]*\b(?:cli|manager)\.(?:command|group)\b", re.MULTILINE)
_CLI_IMPORT = re.compile(r"^\s*(?:import|from)\s+(?:click|typer)\b", re.MULTILINE)
_SETTINGS_PARTS = frozenset({"settings", "config", "conf"})
_FAKE_DATA_IMPORT = re.compile(
    r"^\s*(?:import|from)\s+(?:faker|factory|mimesis|model_bakery|model_mommy|autofixture|"
    r"sampledatahelper|polyfactory)\b",
    re.MULTILINE,
)
# A module named for made-up rows: `createfakeusers.py`, `sample_data.py`, `seed_db.py`
# (words inside a module name, so `createfakeposts` counts), or a package named exactly so.
_FAKE_DATA_NAME = re.compile(r"fake|sample_?data|dummy_?data|(?:^|_)seed(?:s|er|ers|ing)?(?:_|$)")
_FAKE_DATA_PARTS = frozenset(
    {"fake", "faker", "fakes", "fake_data", "sample_data", "sampledata", "dummy_data", "seeds"}
)
_EXAMPLE_PARTS = frozenset({"example", "examples"})


@dataclass(frozen=True, slots=True)
class FileContext:
    places: frozenset[Where]

    def __contains__(self, where: Where) -> bool:
        return where in self.places

    @property
    def migration(self) -> bool:
        return Where.MIGRATION in self.places

    @property
    def data_migration(self) -> bool:
        return Where.DATA_MIGRATION in self.places

    @property
    def command(self) -> bool:
        return Where.COMMAND in self.places

    @property
    def test(self) -> bool:
        return Where.TEST in self.places

    @property
    def settings(self) -> bool:
        return Where.SETTINGS in self.places

    def adding(self, *places: Where) -> FileContext:
        return replace(self, places=self.places | frozenset(places))


@lru_cache(maxsize=256)
def file_context(path: str, text: str) -> FileContext:
    """Classify a file by its path and, where the path is not enough, its text."""
    pure = PurePosixPath(path)
    parts = [p.lower() for p in pure.parts[:-1]]
    places: set[Where] = set()
    if is_test_path(path) or is_test_settings_path(path):
        places.add(Where.TEST)
    django = "migrations" in parts and (
        _DJANGO_MIGRATION_NAME.match(pure.name) is not None
        or _DJANGO_MIGRATION_CLASS.search(text) is not None
    )
    alembic = (
        _ALEMBIC_REVISION.search(text) is not None and _ALEMBIC_UPGRADE.search(text) is not None
    )
    if django or alembic:
        places.add(Where.MIGRATION)
        if (django and _RUN_PYTHON.search(text)) or (alembic and _ALEMBIC_DATA.search(text)):
            places.add(Where.DATA_MIGRATION)
    if (
        is_cli_path(path)
        or ("management" in parts and "commands" in parts)
        or (_CLI_IMPORT.search(text) is not None and _CLI_DECORATOR.search(text) is not None)
        or _FLASK_CLI.search(text) is not None
    ):
        places.add(Where.COMMAND)
    stem = pure.stem.lower()
    if (
        _FAKE_DATA_IMPORT.search(text) is not None
        or _FAKE_DATA_NAME.search(stem) is not None
        or any(p in _FAKE_DATA_PARTS for p in parts)
    ):
        places.add(Where.SAMPLE_DATA)
    if any(p in _EXAMPLE_PARTS for p in parts):
        places.add(Where.EXAMPLE)
    if "settings" in stem or any(p in _SETTINGS_PARTS for p in parts[-1:]):
        places.add(Where.SETTINGS)
    return FileContext(frozenset(places))


# -- settings modules only tests and CI load ---------------------------------------------------

# `DJANGO_SETTINGS_MODULE = x.settings_ci` (pytest.ini, setup.cfg, tox.ini, pyproject), the
# `DJANGO_SETTINGS_MODULE: x` of a CI workflow, pytest-django's `--ds=x` / `--ds x`.
_SETTINGS_NAMED = re.compile(
    r"""\bDJANGO_SETTINGS_MODULE\b["']?\s*[=:]\s*["']?(?P<a>[A-Za-z_][\w.]*)"""
    r"""|--ds[= ]\s*["']?(?P<b>[A-Za-z_][\w.]*)"""
)
# In Python: `os.environ.setdefault("DJANGO_SETTINGS_MODULE", "x")`,
# `os.environ["DJANGO_SETTINGS_MODULE"] = "x"`, `os.environ.update(DJANGO_SETTINGS_MODULE="x")`.
_SETTINGS_IN_PYTHON = re.compile(
    r"""DJANGO_SETTINGS_MODULE["']?\s*(?:,|\]\s*=|=)\s*["'](?P<a>[A-Za-z_][\w.]*)["']"""
)
# Test configuration read from the scan root (and the folders holding a conftest.py).
_TEST_CONFIG_FILES = ("pytest.ini", "setup.cfg", "tox.ini", "pyproject.toml", ".pytest.ini")
_CI_FOLDERS = (".github/workflows",)
_CI_FILES = (".gitlab-ci.yml", ".travis.yml", "bitbucket-pipelines.yml", ".circleci/config.yml")
# Files that start the application: the settings they name are loaded in production.
_ENTRY_POINTS = frozenset({"manage.py", "wsgi.py", "asgi.py", "celery.py", "gunicorn.conf.py"})
_CONFIG_BYTES = 1_000_000
_NOT_WALKED = frozenset({"node_modules", "venv", "build", "dist", "__pycache__", "site-packages"})


def _read(path: Path) -> str:
    try:
        if not path.is_file() or path.stat().st_size > _CONFIG_BYTES:
            return ""
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _names(pattern: re.Pattern[str], text: str) -> set[str]:
    if "DJANGO_SETTINGS_MODULE" not in text and "--ds" not in text:
        return set()
    return {m.group("a") or m.group("b") for m in pattern.finditer(text)} - {""}


def _entry_points(root: Path, depth: int = 3) -> Iterable[Path]:
    """`manage.py`, `wsgi.py`... in the first levels below the root, scanned or not (a scan of
    a subfolder must still know the settings the application starts with)."""
    for folder, dirs, files in os.walk(root):
        level = len(Path(folder).relative_to(root).parts)
        dirs[:] = (
            []
            if level >= depth
            else [d for d in dirs if not d.startswith(".") and d not in _NOT_WALKED]
        )
        for name in files:
            if name in _ENTRY_POINTS:
                yield Path(folder) / name


def settings_only_tests_load(root: Path, sources: Iterable[tuple[str, str]]) -> frozenset[str]:
    """Paths of the settings modules that only tests or CI load: named as
    `DJANGO_SETTINGS_MODULE` by test configuration (pytest/tox/setup.cfg/pyproject, a
    conftest.py, a CI workflow) and never by code that starts the application (`manage.py`,
    `wsgi.py` or any other module outside tests). `sources`: (path, text) of scanned files,
    paths relative to `root`."""
    files = list(sources)
    folders = {""} | {
        PurePosixPath(p).parent.as_posix()
        for p, _ in files
        if PurePosixPath(p).name == "conftest.py"
    }
    named: set[str] = set()
    for folder in folders:
        base = root / folder if folder not in ("", ".") else root
        for name in _TEST_CONFIG_FILES:
            named |= _names(_SETTINGS_NAMED, _read(base / name))
    for name in _CI_FILES:
        named |= _names(_SETTINGS_NAMED, _read(root / name))
    for folder_name in _CI_FOLDERS:
        workflows = root / folder_name
        if workflows.is_dir():
            for workflow in sorted(workflows.glob("*.y*ml"))[:100]:
                named |= _names(_SETTINGS_NAMED, _read(workflow))
    production: set[str] = set()
    for path, text in files:
        if not path.endswith(".py"):
            continue
        found = _names(_SETTINGS_IN_PYTHON, text)
        if is_test_path(path):
            named |= found
        else:
            production |= found
    if not named:
        return frozenset()
    for entry in _entry_points(root):
        production |= _names(_SETTINGS_IN_PYTHON, _read(entry))
    wanted = named - production
    if not wanted:
        return frozenset()
    found_paths: set[str] = set()
    for path, _ in files:
        if not path.endswith(".py"):
            continue
        dotted = path[: -len(".py")].removesuffix("/__init__").replace("/", ".")
        for module in wanted:
            if dotted == module or dotted.endswith("." + module):
                found_paths.add(path)
    return frozenset(found_paths)
