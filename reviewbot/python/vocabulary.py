"""What identifiers mean: password-, secret- and token-like names, shared by the security rules.

A name denotes a secret when the secret noun is its head, the last word: `db_password`,
`stripe_api_key`, `accessToken`. When the noun only qualifies another word, the name is about the
secret, not the secret itself: `password_field`, `token_type`, `SECRET_KEY_FALLBACKS`,
`password_reset_timeout`. That one rule removes most false positives of keyword-based scanners.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import PurePosixPath

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SPLIT = re.compile(r"[^A-Za-z0-9]+")
# Secret nouns written as one word.
_COMPOUNDS = {
    "apikey": ("api", "key"),
    "secretkey": ("secret", "key"),
    "privatekey": ("private", "key"),
    "accesskey": ("access", "key"),
    "accesstoken": ("access", "token"),
    "authtoken": ("auth", "token"),
    "refreshtoken": ("refresh", "token"),
    "clientsecret": ("client", "secret"),
    "dbpassword": ("db", "password"),
    "dbpass": ("db", "pass"),
}


class SecretKind(StrEnum):
    PASSWORD = "password"
    SECRET = "secret"
    TOKEN = "token"
    KEY = "key"
    CREDENTIALS = "credentials"


PASSWORD_WORDS = frozenset({"password", "passwd", "passphrase", "passcode", "pwd", "pw"})
# `pass` is a password only after a word saying whose: `db_pass`, `smtp_pass`, not `first_pass`.
_PASS_OWNERS = frozenset(
    {
        "db",
        "smtp",
        "user",
        "admin",
        "mail",
        "email",
        "ftp",
        "sftp",
        "ssh",
        "redis",
        "root",
        "ldap",
        "proxy",
        "login",
        "mysql",
        "postgres",
        "pg",
        "amqp",
        "rabbit",
        "mq",
        "http",
        "basic",
        "auth",
        "database",
    }
)
# `*_key` is a secret only for these owners: `api_key`, `secret_key`; not `cache_key`, `sort_key`.
_KEY_OWNERS = frozenset(
    {
        "api",
        "secret",
        "private",
        "access",
        "signing",
        "sign",
        "encryption",
        "encrypt",
        "crypt",
        "master",
        "auth",
        "license",
        "licence",
        "app",
        "client",
        "consumer",
        "webhook",
        "hmac",
        "jwt",
        "fernet",
        "aes",
        "ssh",
        "service",
        "account",
        "shared",
        "subscription",
        "developer",
        "storage",
        "recaptcha",
    }
)
# `*_token` that are not credentials: pagination cursors, parser tokens, sentinels.
_TOKEN_NON_OWNERS = frozenset(
    {
        "page",
        "next",
        "prev",
        "previous",
        "continuation",
        "pagination",
        "cursor",
        "sync",
        "cancel",
        "cancellation",
        "start",
        "end",
        "eof",
        "sentinel",
        "lexer",
        "parser",
        "special",
        "pad",
        "bos",
        "eos",
        "unk",
        "mask",
        "sep",
        "cls",
        "max",
        "num",
        "total",
        "last",
        "first",
        "current",
        "stop",
    }
)
# Words after the noun that still name the value itself: `password_plain`, `token_bytes`.
_VALUE_SUFFIXES = frozenset(
    {"plain", "raw", "str", "bytes", "value", "clear", "cleartext", "plaintext", "b", "encoded"}
)
# Card and identity data (PCI / PII) that must not reach logs.
_PERSONAL = {
    ("card", "number"),
    ("credit", "card"),
    ("card", "no"),
    ("cc", "number"),
    ("card", "cvv"),
    ("cvv",),
    ("cvc",),
    ("cvv2",),
    ("ssn",),
    ("social", "security", "number"),
    ("pan",),
}


def words(name: str) -> tuple[str, ...]:
    """`dbPassword2` -> ("db", "password"); `STRIPE_API_KEY` -> ("stripe", "api", "key")."""
    out: list[str] = []
    for chunk in _SPLIT.split(name):
        for piece in _CAMEL.split(chunk):
            word = piece.lower().rstrip("0123456789")
            if not word:
                continue
            out.extend(_COMPOUNDS.get(word, (word,)))
    return tuple(out)


def _head(parts: tuple[str, ...]) -> tuple[str, ...]:
    """Drop trailing value suffixes: `password_plain` -> ("password",)."""
    while len(parts) > 1 and parts[-1] in _VALUE_SUFFIXES:
        parts = parts[:-1]
    return parts


def secret_kind(name: str) -> SecretKind | None:
    """The kind of credential `name` holds, if its head noun is one."""
    parts = _head(words(name))
    if not parts:
        return None
    last = parts[-1]
    before = parts[-2] if len(parts) > 1 else ""
    if last in PASSWORD_WORDS or (last == "pass" and before in _PASS_OWNERS):
        return SecretKind.PASSWORD
    if last == "secret":
        return SecretKind.SECRET
    if last == "token" and before not in _TOKEN_NON_OWNERS:
        return SecretKind.TOKEN
    if last == "key" and before in _KEY_OWNERS:
        return SecretKind.KEY
    if last in ("credentials", "credential", "creds"):
        return SecretKind.CREDENTIALS
    return None


def is_password_name(name: str) -> bool:
    return secret_kind(name) is SecretKind.PASSWORD


def is_personal_data_name(name: str) -> bool:
    """Card numbers, CVVs, social security numbers."""
    parts = _head(words(name))
    return any(parts[-len(p) :] == p for p in _PERSONAL if len(parts) >= len(p))


# Sensitive HTTP header / form keys seen as string subscripts: `request.headers["Authorization"]`.
SENSITIVE_KEYS = frozenset(
    {"authorization", "cookie", "set-cookie", "x-api-key", "proxy-authorization"}
)


def is_sensitive_key(key: str) -> bool:
    """A dict/header key holding a credential: `"password"`, `"api_key"`, `"Authorization"`."""
    lowered = key.lower()
    if lowered in SENSITIVE_KEYS:
        return True
    if any(ch.isspace() for ch in key) or len(key) > 40:
        return False
    return secret_kind(key) is not None or is_personal_data_name(key)


_CLI_DIRS = frozenset({"commands", "cli", "scripts", "bin", "tools"})


def is_cli_path(path: str) -> bool:
    """Command-line code (`management/commands/`, `cli.py`, `scripts/`): its stdout is the
    operator's terminal, where printing a freshly created credential is how it is handed over."""
    pure = PurePosixPath(path)
    if pure.name in ("cli.py", "__main__.py", "manage.py"):
        return True
    return any(part.lower() in _CLI_DIRS for part in pure.parts[:-1])


_TEST_DIRS = frozenset({"test", "tests", "testing", "__tests__", "test_utils", "testutils"})


def is_test_path(path: str) -> bool:
    """Test code, where credentials and random values are fixtures by design."""
    pure = PurePosixPath(path)
    name = pure.name
    if name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py"):
        return True
    if name in ("tests.py", "test.py"):
        return True
    return any(part.lower() in _TEST_DIRS for part in pure.parts[:-1])


# Words that may follow a secret noun without changing what the name holds: the environment,
# version, algorithm or role of the secret (`SECRET_KEY_HMAC`, `JWT_SECRET_PROD`, `API_KEY_V2`,
# `DB_PASSWORD_ADMIN`). Words that say the name is *about* the secret (`PASSWORD_FIELD`,
# `TOKEN_TYPE`, `SECRET_KEY_FALLBACKS`) are deliberately absent.
_SECRET_QUALIFIERS = frozenset(
    {
        "hmac",
        "sha",
        "hs",
        "rs",
        "jwt",
        "prod",
        "production",
        "live",
        "staging",
        "stage",
        "stg",
        "dev",
        "development",
        "local",
        "v",
        "ver",
        "old",
        "new",
        "current",
        "curr",
        "primary",
        "secondary",
        "backup",
        "main",
        "global",
        "master",
        "admin",
        "root",
        "sandbox",
        "internal",
        "external",
        "b",
        "base",
        "hex",
    }
)
# A salt or pepper of a password is a secret of its own: `PASSWORD_SALT`, `TOKEN_PEPPER`.
_SECRET_DERIVATIVES = frozenset({"salt", "pepper"})


def qualified_secret_kind(name: str) -> SecretKind | None:
    """`secret_kind`, also for a secret noun followed by qualifiers: `SECRET_KEY_HMAC` (key),
    `JWT_SECRET_PROD` (secret), `API_KEY_V2` (key), and for the salt or pepper of a secret
    (`PASSWORD_SALT`, a secret). Names about a secret (`PASSWORD_FIELD`) stay None."""
    kind = secret_kind(name)
    if kind is not None:
        return kind
    parts = _head(words(name))
    if len(parts) > 1 and parts[-1] in _SECRET_DERIVATIVES:
        return SecretKind.SECRET if secret_kind("_".join(parts[:-1])) is not None else None
    if len(parts) > 2 and parts[-1] == "key" and "secret" in parts[:-1]:
        return SecretKind.KEY  # SECRET_COOKIE_KEY, secret_signing_key
    stripped = parts
    while len(stripped) > 1 and stripped[-1] in _SECRET_QUALIFIERS:
        stripped = stripped[:-1]
    if stripped == parts:
        return None
    return secret_kind("_".join(stripped))


# Settings modules that only tests or CI load: `settings/test.py`, `settings_ci.py`,
# `config/testing.py`, `ci_settings.py`. Their credentials are fixtures, like those of tests.
_SETTINGS_WORDS = frozenset({"settings", "setting", "config", "configs", "conf", "configuration"})
_TEST_ENV_WORDS = frozenset({"test", "tests", "testing", "ci", "pytest", "unittest", "unittests"})


def is_test_settings_path(path: str) -> bool:
    """A settings or configuration module named for tests or CI, by its own name or its package:
    `settings/test.py`, `settings/ci.py`, `settings_ci.py`, `test_settings.py`,
    `conf/testing.py`, `ci/settings.py`."""
    pure = PurePosixPath(path)
    if pure.suffix != ".py":
        return False
    stem = words(pure.stem)
    parent = words(pure.parent.name) if pure.parent.name else ()
    if stem and _TEST_ENV_WORDS & set(stem) and _SETTINGS_WORDS & {stem[0], stem[-1]}:
        return True  # settings_ci.py, test_settings.py, settings_test_pg.py; not ci_settings_loader
    if _SETTINGS_WORDS & set(parent) and set(stem) and set(stem) <= _TEST_ENV_WORDS | {"settings"}:
        return True  # settings/test.py, config/ci.py
    return bool(_TEST_ENV_WORDS & set(parent)) and bool(_SETTINGS_WORDS & set(stem))


# The words that make `<word>_key` a secret (`api_key`, `signing_key`), for text prefilters.
KEY_OWNERS = _KEY_OWNERS
