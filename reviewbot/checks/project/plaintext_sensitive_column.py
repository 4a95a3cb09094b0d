"""plaintext-sensitive-column: text columns whose name says they hold a password, a card number,
a national id or a secret such as a token or API key."""

from __future__ import annotations

import re
from enum import StrEnum

from sqlglot import exp

from reviewbot.model.registry import ProjectRule
from reviewbot.sql.reporting import report_site
from reviewbot.sql.schema import Column, catalog_of

T = exp.DataType.Type
TEXT_TYPES = frozenset(
    {T.TEXT, T.VARCHAR, T.NVARCHAR, T.CHAR, T.NCHAR, T.MEDIUMTEXT, T.LONGTEXT, T.TINYTEXT}
)
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


class Kind(StrEnum):
    PASSWORD = "a password"
    CARD = "a payment card number"
    NATIONAL_ID = "a national id number"
    SECRET = "a secret (token, API key or private key)"


# Word sequences that name the value itself, in the order they appear in the column name.
SENSITIVE: tuple[tuple[tuple[str, ...], Kind], ...] = (
    (("password",), Kind.PASSWORD),
    (("passwd",), Kind.PASSWORD),
    (("pwd",), Kind.PASSWORD),
    (("passphrase",), Kind.PASSWORD),
    (("card", "number"), Kind.CARD),
    (("card", "no"), Kind.CARD),
    (("card", "num"), Kind.CARD),
    (("cc", "number"), Kind.CARD),
    (("ccnum",), Kind.CARD),
    (("pan",), Kind.CARD),
    (("cvv",), Kind.CARD),
    (("cvc",), Kind.CARD),
    (("ssn",), Kind.NATIONAL_ID),
    (("social", "security"), Kind.NATIONAL_ID),
    (("national", "id"), Kind.NATIONAL_ID),
    (("passport", "number"), Kind.NATIONAL_ID),
    (("passport", "no"), Kind.NATIONAL_ID),
    (("secret",), Kind.SECRET),
    (("api", "key"), Kind.SECRET),
    (("apikey",), Kind.SECRET),
    (("private", "key"), Kind.SECRET),
    (("token",), Kind.SECRET),
)
# Words saying the column holds something derived from the value, or about it, not the value:
# `password_hash`, `token_digest`, `card_last4`, `api_key_prefix`, `token_type`, `password_hint`,
# `token_expires_at`, `secret_question`.
NOT_THE_VALUE = frozenset(
    {
        "hash",
        "hashed",
        "digest",
        "encrypted",
        "enc",
        "crypted",
        "crypt",
        "cipher",
        "ciphertext",
        "hmac",
        "salt",
        "fingerprint",
        "last",
        "last4",
        "prefix",
        "suffix",
        "hint",
        "mask",
        "masked",
        "type",
        "kind",
        "name",
        "label",
        "description",
        "id",
        "ids",
        "ref",
        "reference",
        "expires",
        "expiry",
        "expiration",
        "at",
        "date",
        "time",
        "url",
        "uri",
        "endpoint",
        "policy",
        "algorithm",
        "algo",
        "scheme",
        "format",
        "length",
        "count",
        "status",
        "question",
        "required",
        "enabled",
        "changed",
        "updated",
        "version",
        "vault",
        "path",
        "file",
        "scope",
        "scopes",
        "ttl",
        "lifetime",
        "strength",
        "field",
        "column",
        "brand",
        "issuer",
        "provider",
    }
)
# Identifiers of a kind whose own value is not secret (`pan` also means camera pan).
AMBIGUOUS_ALONE = frozenset({"pan"})
# Fixed widths of common password-hash encodings (bcrypt 60, hex SHA-1/256/512, base64
# SHA-256): a password column this shape holds a hash under its old name.
HASH_WIDTHS = frozenset({32, 40, 60, 64, 88, 128})
# A definition line that says what the value is: `password text -- bcrypt hash`.
HASHED_NOTE = re.compile(r"hash|bcrypt|argon|scrypt|pbkdf|digest|encrypt", re.IGNORECASE)
# Password hashing in the project's code: its `password` column then stores the hash (ckan's
# `user.password` is a passlib hash in a UnicodeText column).
HASHING_CODE = re.compile(
    r"passlib|bcrypt|argon2|scrypt|pbkdf2|generate_password_hash|make_password|"
    r"password_hash\(|hashpw|CryptContext|PasswordHasher|set_password\("
)


def words_of(name: str) -> tuple[str, ...]:
    return tuple(w.lower() for w in _WORD.findall(name))


def sensitive_kind(name: str) -> Kind | None:
    words = words_of(name)
    if not words or set(words) & NOT_THE_VALUE:
        return None
    if len(words) == 1 and words[0] in AMBIGUOUS_ALONE:
        return None
    for sequence, kind in SENSITIVE:
        size = len(sequence)
        for start in range(len(words) - size + 1):
            if words[start : start + size] == sequence:
                return kind
    return None


class PlaintextSensitiveColumn(ProjectRule):
    """Judges the schema as it stands: each column once, where its type was last set."""

    id = "plaintext-sensitive-column"

    def check(self) -> None:
        hashing: bool | None = None
        for table in catalog_of(self.project).tables.values():
            for column in table.columns.values():
                dtype = column.dtype
                if dtype is None or dtype.this not in TEXT_TYPES or column.document is None:
                    continue
                written = column.written or column.name
                kind = sensitive_kind(written)
                if kind is None or self._says_hashed(column):
                    continue
                if kind is Kind.PASSWORD:
                    if _hash_shaped(dtype):
                        continue
                    if hashing is None:
                        hashing = any(
                            HASHING_CODE.search(source.text)
                            for source in self.project.sources.values()
                            if source.language == "python"
                        )
                    if hashing:
                        continue
                report_site(
                    self,
                    column.type_site or column.site,
                    f"`{written}` stores {kind.value} as plain text: anyone who reads the "
                    f"table, a backup or a replica reads it too; {_advice(kind)}",
                )

    def _says_hashed(self, column: Column) -> bool:
        site = column.type_site or column.site
        source = self.project.sources.get(site.path)
        if source is None:
            return False
        lines = source.text.split("\n")
        text = "\n".join(lines[site.line - 1 : site.end_line])
        return HASHED_NOTE.search(text) is not None


def _hash_shaped(dtype: exp.DataType) -> bool:
    if dtype.this not in (T.CHAR, T.NCHAR):
        return False
    sizes = [e for e in dtype.expressions if isinstance(e, exp.DataTypeParam)]
    if not sizes:
        return False
    size = sizes[0].this
    return isinstance(size, exp.Literal) and size.is_int and int(size.this) in HASH_WIDTHS


def _advice(kind: Kind) -> str:
    if kind is Kind.PASSWORD:
        return "store an argon2 or bcrypt hash (in a column named `password_hash`)."
    if kind is Kind.SECRET:
        return (
            "store a hash of it (`token_hash`) when you only check it, or encrypt it "
            "(`..._encrypted`) when you must use it."
        )
    return (
        "do not store it unless you must; then encrypt it (or tokenize cards with the payment "
        "provider) and keep only what you show, such as `card_last4`."
    )
