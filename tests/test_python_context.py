"""python/context.py: the one place rules learn where a file sits, and what rules do with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewbot.model.catalog import active_catalog
from reviewbot.python.context import Where, file_context
from reviewbot.scan.engine import Scanner
from reviewbot.workspace.config import Config

DJANGO_DATA_MIGRATION = """\
from django.db import migrations


def forwards(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    operations = [migrations.RunPython(forwards)]
"""
DJANGO_SCHEMA_MIGRATION = """\
from django.db import migrations


class Migration(migrations.Migration):
    operations = [migrations.AddField("book", "slug", None)]
"""
ALEMBIC_DATA = """\
from alembic import op

revision = "ab12"
down_revision = None


def upgrade():
    op.execute("UPDATE book SET slug = lower(title)")
"""
CLICK_COMMAND = """\
import click


@click.command()
def export():
    pass
"""
FLASK_COMMAND = """\
from flask import Flask

app = Flask(__name__)


@app.cli.command("seed")
def seed():
    pass
"""


@pytest.mark.parametrize(
    ("path", "text", "expected"),
    [
        (
            "shop/migrations/0007_fill.py",
            DJANGO_DATA_MIGRATION,
            {Where.MIGRATION, Where.DATA_MIGRATION},
        ),
        ("shop/migrations/0008_slug.py", DJANGO_SCHEMA_MIGRATION, {Where.MIGRATION}),
        ("alembic/versions/ab12_fill.py", ALEMBIC_DATA, {Where.MIGRATION, Where.DATA_MIGRATION}),
        ("shop/management/commands/export.py", "", {Where.COMMAND}),
        ("shop/exporting.py", CLICK_COMMAND, {Where.COMMAND}),
        ("shop/app.py", FLASK_COMMAND, {Where.COMMAND}),
        ("shop/tests/test_views.py", "", {Where.TEST}),
        ("shop/settings/production.py", "", {Where.SETTINGS}),
        # Made-up rows for a development database: a fake-data library, or a name saying so.
        ("shop/utils/random_data.py", "from faker import Factory\n", {Where.SAMPLE_DATA}),
        ("shop/demo.py", "import factory\n", {Where.SAMPLE_DATA}),
        ("shop/management/commands/createfakeusers.py", "", {Where.COMMAND, Where.SAMPLE_DATA}),
        ("shop/management/commands/sample_data.py", "", {Where.COMMAND, Where.SAMPLE_DATA}),
        ("shop/seed_db.py", "", {Where.SAMPLE_DATA}),
        ("forum/faker/threads.py", "", {Where.SAMPLE_DATA}),
        ("examples/performance/short_selects.py", "", {Where.EXAMPLE}),
        # A dummy database backend, a cache re-seeder and a factory helper module are not.
        ("django/db/backends/dummy/base.py", "", set()),
        ("shop/reseed_cache.py", "from factory_helpers import build\n", set()),
        ("fakeredis_backend/commands.py", "", set()),
        # A `migrations` package's helpers and a views module are neither.
        ("shop/migrations/__init__.py", "", set()),
        ("shop/views.py", "def index(request):\n    pass\n", set()),
    ],
)
def test_file_context(path: str, text: str, expected: set[Where]) -> None:
    assert set(file_context(path, text).places) == expected


def _scan(root: Path) -> list[tuple[str, str, str]]:
    result = Scanner(Config(root=root), active_catalog()).scan_paths([root])
    return [(f.path, f.rule, f.message) for f in result.findings]


def test_rules_skip_or_explain_by_context(tmp_path: Path) -> None:
    loop = (
        "import requests\n"
        "from shop.models import Book\n\n\n"
        "def run(cursor, isbns):\n"
        "    for book in Book.objects.all():\n"
        "        print(book.author.name)\n"
        "    for isbn in isbns:\n"
        "        cursor.execute(\"SELECT * FROM stock WHERE isbn = '%s'\" % isbn)\n"
        "    requests.get('https://example.com/feed')\n"
    )
    migration = loop + "\n\nclass Migration(migrations.Migration):\n    operations = []\n"
    (tmp_path / "shop" / "migrations").mkdir(parents=True)
    (tmp_path / "shop" / "migrations" / "0009_fill.py").write_text(migration)
    (tmp_path / "shop" / "management" / "commands").mkdir(parents=True)
    (tmp_path / "shop" / "management" / "commands" / "fill.py").write_text(loop)
    (tmp_path / "shop" / "views.py").write_text(loop)
    found = _scan(tmp_path)
    by_file: dict[str, dict[str, str]] = {}
    for path, rule, message in found:
        by_file.setdefault(path, {})[rule] = message
    views = by_file["shop/views.py"]
    command = by_file["shop/management/commands/fill.py"]
    migration_findings = by_file["shop/migrations/0009_fill.py"]
    # A one-off migration: no n-plus-one, no sql-injection; the hanging request still matters.
    assert "n-plus-one" not in migration_findings
    assert "sql-injection" not in migration_findings
    assert "blocking the deploy" in migration_findings["request-without-timeout"]
    # A command: reported, and the message says why it matters there.
    assert "In a command" in command["n-plus-one"]
    assert "A command's arguments" in command["sql-injection"]
    assert "scheduled run" in command["request-without-timeout"]
    assert "In a command" not in views["n-plus-one"]
    assert "tying up a worker" in views["request-without-timeout"]


SETTINGS_WITH_SECRET = 'SECRET_KEY = "q8Zt3vN1xR7pL0sK4mW9bY2cH6dF5gJ"\nDEBUG = True\n'


def _secret_paths(root: Path) -> list[str]:
    result = Scanner(Config(root=root), ["hardcoded-secret", "debug-mode-enabled"]).scan_paths(
        [root]
    )
    return sorted({f.path for f in result.findings})


@pytest.mark.parametrize(
    ("config_file", "text"),
    [
        ("pytest.ini", "[pytest]\nDJANGO_SETTINGS_MODULE = sandbox.settings\n"),
        ("setup.cfg", "[tool:pytest]\naddopts = --ds=sandbox.settings -q\n"),
        (
            "pyproject.toml",
            '[tool.pytest.ini_options]\nDJANGO_SETTINGS_MODULE = "sandbox.settings"\n',
        ),
        ("tox.ini", "[testenv]\nsetenv =\n    DJANGO_SETTINGS_MODULE = sandbox.settings\n"),
        (
            "tests/conftest.py",
            'import os\n\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")\n',
        ),
    ],
)
def test_settings_named_only_by_test_configuration_count_as_tests(
    make_repo,  # type: ignore[no-untyped-def]
    config_file: str,
    text: str,
) -> None:
    """`sandbox/settings.py` says nothing about tests by its name: the test configuration
    naming it as DJANGO_SETTINGS_MODULE does. The settings `manage.py` starts with stay
    production settings."""
    manage = 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")\n'
    root = make_repo(
        {
            config_file: text,
            "manage.py": manage,
            "sandbox/settings.py": SETTINGS_WITH_SECRET,
            "shop/settings.py": SETTINGS_WITH_SECRET,
        }
    )
    assert _secret_paths(root) == ["shop/settings.py"]


def test_settings_the_application_also_starts_with_stay_production_settings(
    make_repo,  # type: ignore[no-untyped-def]
) -> None:
    """pytest.ini naming the main settings module does not make it test code: `wsgi.py`
    (outside the scanned folder) names it too."""
    root = make_repo(
        {
            "pytest.ini": "[pytest]\nDJANGO_SETTINGS_MODULE = shop.settings\n",
            "deploy/shop/wsgi.py": (
                'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")\n'
            ),
            "src/shop/settings.py": SETTINGS_WITH_SECRET,
        }
    )
    result = Scanner(Config(root=root), ["hardcoded-secret"]).scan_paths([root / "src"])
    assert [f.path for f in result.findings] == ["src/shop/settings.py"]
