"""Behaviour of the Python rule pack that catalog examples and fixtures do not pin down."""

from __future__ import annotations

import pytest

from reviewbot.python.foreign import suppressing_codes
from reviewbot.python.vocabulary import SecretKind, is_password_name, secret_kind
from tests.conftest import scan_texts

SECRETS = {
    "stripe": "sk_live_51Hq8LyjWDarjtT1zdp7dcQwErTyUiOp",
    "password": "Xr7-q2Lp9vNw",
    "dsn": "Qm4-v8Ks2LpZ",
}
CODE = f'''
import psycopg

STRIPE_API_KEY = "{SECRETS["stripe"]}"
DATABASE_URL = "postgresql://billing:{SECRETS["dsn"]}@db.internal:5432/billing"


def connect(host):
    return psycopg.connect(host=host, user="billing", password="{SECRETS["password"]}")
'''


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_hardcoded_secret_never_prints_the_secret(make_repo, run_cli, fmt) -> None:
    root = make_repo({"app/settings.py": CODE})
    run = run_cli("scan", str(root), "--select", "hardcoded-secret", "--format", fmt)
    assert run.code == 1
    assert run.out.count("hardcoded-secret") >= 3
    for secret in SECRETS.values():
        assert secret not in run.out
        assert secret not in run.err


def test_hardcoded_secret_messages_name_the_target_not_the_value() -> None:
    result = scan_texts({"settings.py": CODE}, ["hardcoded-secret"])
    messages = sorted(f.message.split(";")[0] for f in result.findings)
    assert messages == [
        "Hardcoded password in `password`",
        "Password inside a connection URL",
        "Stripe live key in `STRIPE_API_KEY`",
    ]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("db_password", SecretKind.PASSWORD),
        ("newPassword2", SecretKind.PASSWORD),
        ("SMTP_PASS", SecretKind.PASSWORD),
        ("STRIPE_API_KEY", SecretKind.KEY),
        ("apikey", SecretKind.KEY),
        ("client_secret", SecretKind.SECRET),
        ("accessToken", SecretKind.TOKEN),
        ("password_field", None),
        ("token_type", None),
        ("next_page_token", None),
        ("cache_key", None),
        ("first_pass", None),
        ("max_tokens", None),
        ("SECRET_KEY_FALLBACKS", None),
    ],
)
def test_secret_names_are_judged_by_their_head_word(name: str, kind: SecretKind | None) -> None:
    assert secret_kind(name) == kind
    assert is_password_name(name) == (kind is SecretKind.PASSWORD)


def test_names_resolve_through_import_aliases() -> None:
    code = (
        "from hashlib import md5 as h\n"
        "import requests as r\n"
        "from jwt import decode\n\n"
        "def f(pw, url, tok):\n"
        "    h(pw.encode())\n"
        "    r.get(url)\n"
        "    decode(tok, 'k')\n"
    )
    rules = ["weak-password-hash", "request-without-timeout", "jwt-without-verification"]
    result = scan_texts({"app.py": code}, rules)
    assert sorted((f.rule, f.line) for f in result.findings) == [
        ("jwt-without-verification", 8),
        ("request-without-timeout", 7),
        ("weak-password-hash", 6),
    ]
    assert any("hashed with md5" in f.message for f in result.findings)
    assert any("`requests.get`" in f.message for f in result.findings)


def test_local_functions_named_like_library_calls_are_not_resolved_to_them() -> None:
    code = "def get(url):\n    return url\n\ndef decode(t, k):\n    return t\n\nget('x')\ndecode('t', 'k')\n"
    result = scan_texts({"app.py": code}, ["request-without-timeout", "jwt-without-verification"])
    assert result.findings == []


@pytest.mark.parametrize(
    ("comment", "bare", "codes"),
    [
        ("# nosec", True, set()),
        ("# nosec B105 # used for testing", False, {"B105"}),
        ("# nosec: B608, B611", False, {"B608", "B611"}),
        ("# noqa: S113, E501", False, {"S113", "E501"}),
        ("# a plain comment", False, set()),
    ],
)
def test_foreign_suppressions_are_parsed(comment: str, bare: bool, codes: set[str]) -> None:
    assert suppressing_codes(comment) == (bare, codes)


def test_foreign_suppression_only_covers_the_same_check() -> None:
    code = (
        "import requests\n\n"
        "def f(url):\n"
        "    requests.get(url)  # noqa: S113\n"
        "    requests.get(url)  # noqa: E501\n"
    )
    result = scan_texts({"app.py": code}, ["request-without-timeout"])
    assert [f.line for f in result.findings] == [5]


def test_sql_identifiers_from_code_are_not_reported_but_from_callers_are() -> None:
    code = (
        "def drop_all(conn, inspector):\n"
        "    for table in inspector.get_table_names():\n"
        "        conn.execute(f'DROP TABLE {table}')\n\n"
        "def count(conn, table_name):\n"
        "    return conn.execute(f'SELECT count(id) FROM {table_name}')\n"
    )
    result = scan_texts({"app.py": code}, ["sql-injection"])
    assert [f.line for f in result.findings] == [6]


def test_django_hashers_are_read_from_the_right_argument() -> None:
    code = (
        "from django.contrib.auth.hashers import get_hasher, make_password\n\n"
        "def f(pw):\n"
        "    make_password('md5')\n"
        "    make_password(pw, None, 'unsalted_md5')\n"
        "    get_hasher('sha1')\n"
    )
    result = scan_texts({"app.py": code}, ["weak-password-hash"])
    assert [f.line for f in result.findings] == [5, 6]


def test_code_libcst_refuses_after_parsing_is_a_parse_error_not_a_crash() -> None:
    # CPython's parser accepts a bare `except:` before another handler (its compiler does not);
    # libcst raises a validation error while building the tree.
    text = "try:\n    go()\nexcept:\n    pass\nexcept ValueError:\n    pass\n"
    result = scan_texts({"app/jobs.py": text}, ["swallowed-exception"])
    assert [(e.kind.value, e.path) for e in result.errors] == [("parse-error", "app/jobs.py")]
    assert "bare except" in result.errors[0].message


def test_weak_django_hashers_in_test_code_are_not_reported() -> None:
    # Hasher tests build legacy hashes on purpose, to check that they are upgraded on login.
    code = (
        'from django.contrib.auth.hashers import make_password\n\nmake_password(pw, "s", "md5")\n'
    )
    assert (
        scan_texts({"accounts/tests/test_hashers.py": code}, ["weak-password-hash"]).findings == []
    )
    found = scan_texts({"accounts/passwords.py": code}, ["weak-password-hash"]).findings
    assert [f.rule for f in found] == ["weak-password-hash"]


DJANGO_VIEW_AND_TASK = (
    "from celery import shared_task\n"
    "from django.views.decorators.http import require_POST\n\n"
    "@require_POST\n"
    "def close(request):\n"
    "    request.user.profile.delete()\n"
    "    request.user.save()\n\n"
    "@shared_task\n"
    "def purge(ids):\n"
    "    Session.objects.filter(user_id__in=ids).delete()\n"
    "    PurgeLog.objects.create(user_ids=ids)\n"
)


def test_transaction_boundaries_atomic_requests_leaves_only_background_tasks() -> None:
    # ATOMIC_REQUESTS wraps every view (and what it calls) in a transaction; tasks stay outside.
    plain = scan_texts({"app/views.py": DJANGO_VIEW_AND_TASK}, ["transaction-boundaries"])
    assert [f.line for f in plain.findings] == [7, 12]
    atomic = scan_texts(
        {"app/views.py": DJANGO_VIEW_AND_TASK},
        ["transaction-boundaries"],
        options={"transaction-boundaries": {"atomic-requests": True}},
    )
    assert [f.line for f in atomic.findings] == [12]


def test_transaction_boundaries_reports_each_splitting_commit_once() -> None:
    code = (
        "def sync(session, items, audit):\n"
        "    session.add(audit)\n"
        "    session.commit()\n"
        "    for item in items:\n"
        "        session.merge(item)\n"
        "    session.add(audit)\n"
        "    session.commit()\n"
        "    session.delete(audit)\n"
    )
    result = scan_texts({"app/sync.py": code}, ["transaction-boundaries"])
    assert [f.line for f in result.findings] == [3, 7]
    assert "session.merge(...)" in result.findings[0].message


def test_transaction_boundaries_skips_commands_and_migrations() -> None:
    code = (
        "def handle(session, a, b):\n"
        "    session.add(a)\n"
        "    session.commit()\n"
        "    session.add(b)\n"
        "    session.commit()\n"
    )
    files = {
        "app/management/commands/backfill.py": code,
        "app/services.py": code,
    }
    result = scan_texts(files, ["transaction-boundaries"])
    assert [(f.path, f.line) for f in result.findings] == [("app/services.py", 3)]


def test_exception_cause_dropped_reports_from_none_and_plain_raise_differently() -> None:
    code = (
        "def a(client):\n"
        "    try:\n"
        "        client.go()\n"
        "    except Exception:\n"
        "        raise RuntimeError('failed') from None\n\n"
        "def b(client):\n"
        "    try:\n"
        "        client.go()\n"
        "    except BaseException:\n"
        "        raise RuntimeError('failed')\n"
    )
    result = scan_texts({"app/x.py": code}, ["exception-cause-dropped"])
    assert [f.line for f in result.findings] == [5, 11]
    assert "throws away the original exception" in result.findings[0].message
    assert "from err" in result.findings[1].message


def test_sql_injection_advice_for_a_setting_names_set_config() -> None:
    """`SET LOCAL statement_timeout TO {timeout}` cannot take a bind parameter: the advice says
    what works instead; a query keeps the usual advice."""
    code = (
        "from sqlalchemy import text\n\n\n"
        "def run(conn, timeout, name):\n"
        '    conn.execute(text(f"SET LOCAL statement_timeout TO {timeout}"))\n'
        "    conn.execute(text(f\"SELECT id FROM users WHERE name = '{name}'\"))\n"
    )
    result = scan_texts({"app/queries.py": code}, ["sql-injection"])
    setting, query = sorted(result.findings, key=lambda f: f.line)
    assert (
        "set_config(" in setting.message and "query parameters (placeholders" not in setting.message
    )
    assert "query parameters (placeholders" in query.message and "set_config" not in query.message
