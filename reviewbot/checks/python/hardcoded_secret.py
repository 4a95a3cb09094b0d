"""hardcoded-secret: credentials written into source: token formats, DSN passwords, secret-named literals.

The secret itself never leaves this module: every report passes it to `redact=` and messages name
only the variable and the kind of credential.
"""

from __future__ import annotations

import ast
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from reviewbot.model.rule import PythonRule
from reviewbot.python.foreign import ForeignSuppressions
from reviewbot.python.names import string_parts, string_value, subscript_key
from reviewbot.python.syntax import Syntax
from reviewbot.python.vocabulary import SecretKind, is_test_path, secret_kind, words

# Token formats whose shape alone says "credential" (prefixes documented by their issuers).
TOKEN_FORMATS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (label, re.compile(pattern))
    for label, pattern in (
        ("AWS access key id", r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"),
        ("GitHub token", r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b"),
        ("GitHub token", r"\bgithub_pat_[A-Za-z0-9_]{60,255}\b"),
        ("GitLab token", r"\bglpat-[A-Za-z0-9_\-]{20,}\b"),
        ("Slack token", r"\bxox[baprs]-[0-9A-Za-z]{8,}-[0-9A-Za-z-]{8,}"),
        (
            "Slack webhook URL",
            r"hooks\.slack\.com/services/T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[A-Za-z0-9]{20,}",
        ),
        ("Stripe live key", r"\b(?:sk|rk)_live_[0-9a-zA-Z]{20,}\b"),
        ("Google API key", r"\bAIza[0-9A-Za-z_\-]{35}\b"),
        ("SendGrid API key", r"\bSG\.[0-9A-Za-z_\-]{22}\.[0-9A-Za-z_\-]{43}\b"),
        ("OpenAI API key", r"\bsk-(?:proj-)?[A-Za-z0-9_\-]{20,}T3BlbkFJ[A-Za-z0-9_\-]{20,}"),
        ("Anthropic API key", r"\bsk-ant-(?:api|admin)\d\d-[A-Za-z0-9_\-]{80,}"),
        ("npm token", r"\bnpm_[A-Za-z0-9]{36}\b"),
        ("PyPI token", r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,}"),
        (
            "JSON Web Token",
            r"\beyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{20,}",
        ),
        (
            "private key",
            r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----"
            r"\s*[A-Za-z0-9+/=\r\n]{64,}",
        ),
    )
)
# `scheme://user:password@host`; the password must be literal text (an f-string field ends it).
DSN = re.compile(
    r"\b[a-z][a-z0-9+.\-]*://(?P<user>[^:/@\s{}]*):(?P<password>[^@/\s{}]+)@(?P<host>[^/:\s?#{}]*)"
)
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "::1", "[::1]", ""})

PLACEHOLDER_WORDS = (
    "changeme",
    "change_me",
    "change-me",
    "changethis",
    "placeholder",
    "example",
    "dummy",
    "fake",
    "sample",
    "your_",
    "your-",
    "yourpass",
    "yoursecret",
    "yourtoken",
    "replace",
    "todo",
    "fixme",
    "redacted",
    "notsecret",
    "not-secret",
    "not_a_secret",
    "not-a-real",
    "notreal",
    "xxxx",
    "****",
    "....",
    "<",
    "${",
    "{{",
    "%(",
)
PLACEHOLDER_VALUES = frozenset(
    {
        "password",
        "passwd",
        "secret",
        "token",
        "none",
        "null",
        "test",
        "testing",
        "pass",
        "admin",
        "default",
        "guest",
        "root",
        "changeit",
        "empty",
        "unset",
        "unknown",
    }
)
# Values that name something (a scheme, an algorithm, a header, a setting) rather than hold it.
LABELS = frozenset(
    {
        "bearer",
        "basic",
        "token",
        "jwt",
        "oauth",
        "oauth2",
        "hs256",
        "hs384",
        "hs512",
        "rs256",
        "rs384",
        "rs512",
        "es256",
        "es384",
        "es512",
        "ps256",
        "eddsa",
        "md5",
        "sha1",
        "sha256",
        "sha512",
        "bcrypt",
        "argon2",
        "scrypt",
        "pbkdf2_sha256",
        "authorization",
        "x-api-key",
        "api_key",
        "apikey",
        "access_token",
        "refresh_token",
        "id_token",
        "client_credentials",
        "password",
        "authorization_code",
    }
)
_IDENTIFIER_LABEL = re.compile(r"^[A-Za-z][A-Za-z]*(?:[_.\-:][A-Za-z]+)+$")
_HEADER_LABEL = re.compile(r"^[A-Z][a-z]+(?:-[A-Z][a-z]*)+$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# Head words too common to trust alone (`key`, `salt`): only a random-looking value counts.
WEAK_SECRET_HEADS = frozenset({"key", "auth", "signature", "salt", "hmac", "seed"})
# `cache_key`, `sort_key`, `public_key`: keys that are not secrets, whatever their value.
NON_SECRET_OWNERS = frozenset(
    {
        "cache",
        "sort",
        "primary",
        "foreign",
        "partition",
        "idempotency",
        "lookup",
        "dict",
        "map",
        "group",
        "order",
        "index",
        "object",
        "bucket",
        "row",
        "column",
        "field",
        "public",
        "unique",
        "natural",
        "search",
        "query",
        "route",
        "url",
        "path",
        "file",
        "config",
        "setting",
        "settings",
        "translation",
        "message",
        "event",
        "metric",
        "state",
        "session",
        "cookie",
        "lock",
        "redis",
        "s3",
        "storage_path",
        "dedup",
        "dedupe",
        "hash",
        "content",
        "random",
    }
)
MIN_LENGTH = {SecretKind.PASSWORD: 6}
FIXTURE_CLASS_WORDS = frozenset(
    {"test", "tests", "testing", "dev", "development", "local", "fake", "dummy", "mock", "stub"}
)
DEFAULT_MIN_LENGTH = 8


def shannon_entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def is_placeholder(value: str) -> bool:
    lowered = value.strip().lower()
    if not lowered or lowered in PLACEHOLDER_VALUES:
        return True
    if any(word in lowered for word in PLACEHOLDER_WORDS):
        return True
    # One repeated character (`xxxxxxxx`, `00000000`) or a run like `123456`/`abcdef`.
    return len(set(lowered)) <= 2 or lowered in "0123456789" or lowered in "abcdefghijklmnop"


_IMPORT_PATH = re.compile(r"^[A-Za-z_]\w{0,30}(?:\.[A-Za-z_]\w{0,30})+(?::[A-Za-z_]\w{0,40})?$")


def is_label(value: str) -> bool:
    """A word that names something rather than being a secret: `Authorization`, `db.password`,
    an import path (`ckan.tests.factories:APIToken`)."""
    if value.lower() in LABELS or _IMPORT_PATH.match(value):
        return True
    if _HEADER_LABEL.match(value):
        return True
    # `user_password`, `DB_PASSWORD`, `auth.token`, `_password_reset_token` (a session key),
    # `__default__`: identifiers without digits are names of things.
    name = value.strip("_")
    return bool(_IDENTIFIER_LABEL.match(name)) and (name.islower() or name.isupper())


_TOKEN_RUN = re.compile(r"[A-Za-z0-9+/=_\-]{20,}")


def looks_random(value: str) -> bool:
    """A long run of token characters with high entropy for its alphabet, mixing letters and
    digits: `9iE9DRkPHQ...=`, not `pi:challenge:v1:txn:%s` or a UUID."""
    if any(c.isspace() for c in value) or _UUID.match(value):
        return False
    run = max(_TOKEN_RUN.findall(value), key=len, default="")
    if not run or len(run) < 0.8 * len(value):
        return False
    if not (any(c.isdigit() for c in run) and any(c.isalpha() for c in run)):
        return False
    hexadecimal = all(c in "0123456789abcdefABCDEF" for c in run)
    return shannon_entropy(run) >= (3.0 if hexadecimal else 3.7)


def token_format(text: str) -> tuple[str, str] | None:
    """(label, matched secret) of a known credential format in `text`."""
    for label, pattern in TOKEN_FORMATS:
        match = pattern.search(text)
        if match and not is_placeholder(match.group(0)) and "EXAMPLE" not in match.group(0):
            return label, match.group(0)
    return None


def dsn_password(text: str, host_follows: bool = False) -> str | None:
    """The inline password of a connection URL, unless it is a placeholder or for a local host.

    `host_follows`: `text` is the literal part of an f-string, so an empty host at its end is
    filled in at run time (`f"mysql://root:pw@{host}/db"`), not missing.
    """
    for match in DSN.finditer(text):
        password, user, host = match.group("password"), match.group("user"), match.group("host")
        dynamic_host = host_follows and not host and match.end() == len(text)
        if (host.lower() in LOCAL_HOSTS and not dynamic_host) or password == user:
            continue
        if is_placeholder(password) or password.startswith(("$", "%")) or len(password) < 4:
            continue
        return password
    return None


def named_secret(name: str, secret: str) -> tuple[str, str | None] | None:
    """What is wrong with `name = "<secret>"`, and the token to redact if it has a known format;
    None when it is no credential. A pure function of the two strings, so that the ast
    prefilter (`wants_tree`) asks exactly what the visitors ask."""
    formatted = token_format(secret)
    if formatted is not None:
        label, token = formatted
        return f"{label} in `{name}`", token
    kind = secret_kind(name)
    if kind is not None:
        if len(secret) < MIN_LENGTH.get(kind, DEFAULT_MIN_LENGTH) or not _credential(
            secret, name, kind
        ):
            return None
    else:
        parts = words(name)
        if not parts or parts[-1] not in WEAK_SECRET_HEADS or not looks_random(secret):
            return None
        if len(parts) > 1 and parts[-2] in NON_SECRET_OWNERS:
            return None
    what = str(kind) if kind is not None else "high-entropy secret"
    return f"Hardcoded {what} in `{name}`", None


def _credential(value: str, name: str, kind: SecretKind) -> bool:
    if is_placeholder(value) or is_label(value) or value.lower() == name.lower():
        return False
    if kind is not SecretKind.PASSWORD and value.isalpha() and value.islower():
        return False  # `ACTIVATION_TOKEN = "activation"`: a key is not one lowercase word
    if any(c.isspace() for c in value):
        return False  # messages and labels: "Enter your password"
    if value.startswith(("/", "./", "~", "http://", "https://")) or "://" in value:
        return False  # paths and URLs (a URL's inline password is checked on its own)
    return not ("{" in value and "}" in value)  # a template: "{user}:{password}"


# TOKEN_FORMATS without their word boundaries, and the shape of a URL with a password: CPython's
# ast joins implicitly concatenated pieces, which can hide a boundary a single piece has, and
# any match inside a piece is still a match inside the joined text.
LOOSE_FORMATS = tuple(re.compile(p.pattern.replace(r"\b", "")) for _, p in TOKEN_FORMATS)
LOOSE_DSN = re.compile(DSN.pattern.replace(r"\b", ""))


def _ast_name(target: ast.expr) -> str | None:
    """`_target_name` on the ast."""
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    if isinstance(target, ast.Subscript):
        return _ast_string(target.slice)
    return None


def _ast_string(node: ast.AST | None) -> str | None:
    """`string_value` on the ast: a constant string, or an f-string without fields."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Constant) and isinstance(node.value, bytes):
        return node.value.decode("latin-1")
    if isinstance(node, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in node.values):
        return "".join(str(v.value) for v in node.values)  # type: ignore[attr-defined]
    return None


def _ast_destinations(syntax: Syntax) -> Iterator[tuple[str | None, ast.AST | None]]:
    """(name, value) of every place `_named` looks at: assignments, keyword arguments,
    parameter defaults, dict entries with a short constant key."""
    for assign in syntax.nodes(ast.Assign):
        for target in assign.targets:
            yield _ast_name(target), assign.value
    for annotated in syntax.nodes(ast.AnnAssign):
        yield _ast_name(annotated.target), annotated.value
    for kwarg in syntax.nodes(ast.keyword):
        yield kwarg.arg, kwarg.value
    for args in syntax.nodes(ast.arguments):
        positional = [*args.posonlyargs, *args.args]
        for arg, default in zip(
            positional[len(positional) - len(args.defaults) :], args.defaults, strict=True
        ):
            yield arg.arg, default
        for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
            yield arg.arg, kw_default
    for mapping in syntax.nodes(ast.Dict):
        for key, value in zip(mapping.keys, mapping.values, strict=True):
            name = _ast_string(key)
            if name is not None and len(name) <= 40 and not any(c.isspace() for c in name):
                yield name, value


@dataclass(frozen=True, slots=True)
class Literal:
    node: cst.BaseExpression
    value: str
    raw: tuple[str, ...]  # source text of each literal part, for redaction


def literal(node: cst.BaseExpression | None) -> Literal | None:
    if node is None:
        return None
    value = string_value(node)
    if value is None:
        return None
    parts = string_parts(node)
    return Literal(node, value, tuple(p.raw_value for p in parts))


CANDIDATE = re.compile(
    r"(?i:passw|passphrase|passcode|pwd|(?<![a-z])pw(?![a-z])|_pass\b|pass_|secret|token|"
    r"credential|creds)|[a-z]Pass\b"
    r"|AKIA|ASIA|ABIA|ACCA|gh[pousr]_|github_pat_|glpat-|xox[baprs]-|hooks\.slack\.com|_live_"
    r"|AIza|SG\.|sk-|npm_|pypi-|eyJ|-----BEGIN|://[^\s/@'\"]*:[^\s/@'\"]+@"
)
WEAK_CANDIDATE = re.compile(r"(?i:key|auth|signature|salt|hmac|seed)")
# What `looks_random` needs: a quoted value that is mostly a 20+ run of token characters with a digit.
LONG_LITERAL = re.compile(r"['\"][^'\"\s]{0,12}?(?=[A-Za-z0-9+/=_\-]*\d)[A-Za-z0-9+/=_\-]{20,}")


class HardcodedSecret(ForeignSuppressions, PythonRule):
    id = "hardcoded-secret"
    FOREIGN_CODES = frozenset({"B105", "B106", "B107", "S107", "S106", "S105"})

    @classmethod
    def wants(cls, text: str) -> bool:
        # A superset of what the visitors below can report, checked on the raw text so that most
        # files are never parsed for this rule: a secret-named destination, a known token
        # prefix, a URL with a password, or a weakly named destination with a long literal.
        if CANDIDATE.search(text):
            return True
        return WEAK_CANDIDATE.search(text) is not None and LONG_LITERAL.search(text) is not None

    @classmethod
    def wants_tree(cls, syntax: Syntax) -> bool:
        # Any literal with a token prefix or a URL (what `visit_SimpleString` and
        # `visit_FormattedStringText` read), or a destination `_named` would report.
        for node in syntax.nodes(ast.Constant):
            text = node.value
            if isinstance(text, bytes):
                text = text.decode("latin-1")
            if not isinstance(text, str):
                continue
            if "://" in text and LOOSE_DSN.search(text):
                return True
            if len(text) >= 16 and any(p.search(text) for p in LOOSE_FORMATS):
                return True
        for name, value in _ast_destinations(syntax):
            secret = _ast_string(value)
            if name is not None and secret is not None and named_secret(name, secret.strip()):
                return True
        return False

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.test_file = is_test_path(self.file.source.path)
        self.done: set[int] = set()
        # Classes whose name says they configure tests or development (`TestingConfig`).
        self.fixture_classes = 0

    @property
    def in_tests(self) -> bool:
        return self.test_file or self.fixture_classes > 0

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if set(words(node.name.value)) & FIXTURE_CLASS_WORDS:
            self.fixture_classes += 1

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        if set(words(original_node.name.value)) & FIXTURE_CLASS_WORDS:
            self.fixture_classes -= 1

    # -- secret-named destinations -------------------------------------------------------------

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._named(self._target_name(target.target), node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._named(self._target_name(node.target), node.value)

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self._named(node.keyword.value, node.value)

    def visit_Param(self, node: cst.Param) -> None:
        self._named(node.name.value, node.default)

    def visit_DictElement(self, node: cst.DictElement) -> None:
        key = string_value(node.key)
        if key is not None and len(key) <= 40 and not any(c.isspace() for c in key):
            self._named(key, node.value)

    def visit_Expr(self, node: cst.Expr) -> None:
        # A bare string statement is a docstring or a comment-like note, never a credential in
        # use; example tokens in documentation are their usual content.
        for part in string_parts(node.value):
            self.done.add(id(part))

    @staticmethod
    def _target_name(target: cst.BaseExpression) -> str | None:
        if isinstance(target, cst.Name):
            return target.value
        if isinstance(target, cst.Attribute):
            return target.attr.value
        if isinstance(target, cst.Subscript):
            return subscript_key(target)
        return None

    def _named(self, name: str | None, value: cst.BaseExpression | None) -> None:
        if name is None or self.in_tests:
            return
        found = literal(value)
        if found is None or id(found.node) in self.done:
            return
        verdict = named_secret(name, found.value.strip())
        if verdict is not None:
            what, token = verdict
            self._report(found, what, (token,) if token else (found.value, *found.raw))

    # -- any string literal --------------------------------------------------------------------

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if id(node) in self.done:
            return
        value = string_value(node)
        if value is None or len(value) < 16:
            return
        found = token_format(value)
        if found is not None:
            label, secret = found
            self._report(Literal(node, value, (node.raw_value,)), f"{label} in source", (secret,))
            return
        if not self.in_tests and "://" in value:
            password = dsn_password(value)
            if password is not None:
                self._report(
                    Literal(node, value, (node.raw_value,)),
                    "Password inside a connection URL",
                    (password,),
                )

    def visit_FormattedStringText(self, node: cst.FormattedStringText) -> None:
        if self.in_tests or "://" not in node.value:
            return
        password = dsn_password(node.value, host_follows=True)
        if password is not None and not self.foreign_suppressed():
            self.report(
                node,
                "Password inside a connection URL; build the URL from configuration "
                '(`os.environ["DATABASE_URL"]`) and rotate this password: it is in the '
                "repository history.",
                redact=(password,),
            )

    def _report(self, found: Literal, what: str, redact: tuple[str, ...]) -> None:
        self.done.add(id(found.node))
        self.done.update(id(part) for part in string_parts(found.node))
        if self.foreign_suppressed():
            return
        self.report(
            found.node,
            f"{what}; load it from the environment or a secret manager "
            "(`os.environ[...]`), and rotate it: it stays in the repository history.",
            redact=tuple(r for r in redact if r),
        )
