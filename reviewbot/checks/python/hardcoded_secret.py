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
from reviewbot.python.vocabulary import (
    KEY_OWNERS,
    SecretKind,
    is_test_path,
    is_test_settings_path,
    qualified_secret_kind,
    words,
)

# Token formats whose shape alone says "credential": prefixes and shapes documented by their
# issuers, cross-checked with detect-secrets' and gitleaks' rules. Kept here rather than taken
# from detect-secrets by measurement (scripts/REALWORLD.md, "Format source"): more formats, no
# false positives on the corpus, no 2-3 s plugin discovery per process. Group `secret`, where
# present, is the part to redact; otherwise the whole match.
TOKEN_FORMATS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (label, re.compile(pattern))
    for label, pattern in (
        ("AWS access key id", r"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"),
        ("GitHub token", r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b"),
        ("GitHub token", r"\bgithub_pat_[A-Za-z0-9_]{60,255}\b"),
        (
            "GitLab token",
            r"\b(?:glpat|gldt|glft|glsoat|glrt|glcbt|glimt|glptt|glagent|gloas|glffct)-"
            r"[A-Za-z0-9_\-]{20,1024}(?![\w-])",
        ),
        ("GitLab runner registration token", r"\bGR1348941[A-Za-z0-9_\-]{20,50}(?![\w-])"),
        ("Slack token", r"\bxox[baprse]-[0-9A-Za-z]{8,}-[0-9A-Za-z-]{8,}"),
        ("Slack app token", r"\bxapp-\d-[A-Z0-9]{9,}-\d{6,}-[a-z0-9]{32,}"),
        (
            "Slack webhook URL",
            r"hooks\.slack\.com/(?:services|workflows)/T[A-Z0-9]{6,}/[AB][A-Z0-9]{6,}/[A-Za-z0-9]{20,}",
        ),
        (
            "Discord webhook URL",
            r"discord(?:app)?\.com/api/webhooks/\d{17,20}/[A-Za-z0-9_\-]{60,70}",
        ),
        (
            "Discord bot token",
            r"(?<![\w.-])[MNO][A-Za-z0-9_\-]{23,25}\.[A-Za-z0-9_\-]{6}\.[A-Za-z0-9_\-]{27,38}(?![\w.-])",
        ),
        ("Telegram bot token", r"(?<![\w-])\d{5,16}:A[0-9A-Za-z_\-]{34}(?![\w-])"),
        ("Mailchimp API key", r"\b[0-9a-f]{32}-us\d{1,2}\b"),
        ("Azure storage account key", r"AccountKey=(?P<secret>[A-Za-z0-9+/]{86}==)"),
        (
            "Azure shared access key",
            r"SharedAccessKey=(?P<secret>[A-Za-z0-9+/]{42,43}=)",
        ),
        ("Stripe live key", r"\b(?:sk|rk)_live_[0-9a-zA-Z]{20,}\b"),
        ("Google API key", r"\bAIza[0-9A-Za-z_\-]{35}\b"),
        ("SendGrid API key", r"\bSG\.[0-9A-Za-z_\-]{22}\.[0-9A-Za-z_\-]{43}\b"),
        (
            "OpenAI API key",
            r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}T3BlbkFJ[A-Za-z0-9_\-]{20,}",
        ),
        ("Anthropic API key", r"\bsk-ant-(?:api|admin)\d\d-[A-Za-z0-9_\-]{80,}"),
        ("npm token", r"\bnpm_[A-Za-z0-9]{36}\b"),
        (
            "npm registry token",
            r":_authToken\s*=\s*(?P<secret>(?!\$\{)[A-Za-z0-9_\-.+/=]{20,})",
        ),
        ("PyPI token", r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,}"),
        ("Test PyPI token", r"\bpypi-AgENdGVzdC5weXBpLm9yZw[A-Za-z0-9_\-]{50,}"),
        ("Twilio API key", r"\bSK[0-9a-fA-F]{32}\b"),
        ("Hugging Face token", r"\bhf_[A-Za-z]{34}\b"),
        ("Shopify token", r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b"),
        ("Square token", r"\bsq0(?:atp|csp)-[0-9A-Za-z_\-]{22,43}\b"),
        ("Databricks token", r"\bdapi[a-f0-9]{32}(?:-\d)?\b"),
        ("DigitalOcean token", r"\bdo[opr]_v1_[a-f0-9]{64}\b"),
        ("Postman API key", r"\bPMAK-[a-f0-9]{24}-[a-f0-9]{34}\b"),
        ("Grafana token", r"\bglsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}\b"),
        ("Sentry token", r"\bsntry[su]_[A-Za-z0-9+/=_\-]{60,}"),
        ("Atlassian API token", r"\bATATT3[A-Za-z0-9_\-=]{150,}"),
        ("Doppler token", r"\bdp\.pt\.[a-zA-Z0-9]{43}\b"),
        ("Google OAuth client secret", r"\bGOCSPX-[A-Za-z0-9_\-]{28}\b"),
        (
            "Azure AD client secret",
            r"(?<![\w~.-])[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.\-]{31,34}(?![\w~.-])",
        ),
        ("Heroku API key", r"\bHRKU-[A-Za-z0-9_\-]{60}\b"),
        ("Mailgun API key", r"\bkey-[0-9a-f]{32}\b"),
        ("Mapbox secret token", r"\bsk\.eyJ[A-Za-z0-9_\-]{40,}\.[A-Za-z0-9_\-]{20,}"),
        ("New Relic key", r"\bNR(?:AK|II|JS)-[A-Za-z0-9]{27}\b"),
        ("Linear API key", r"\blin_api_[A-Za-z0-9]{40}\b"),
        ("PlanetScale token", r"\bpscale_(?:tkn|pw|oauth)_[A-Za-z0-9_\-.=]{32,64}"),
        ("Pulumi token", r"\bpul-[a-f0-9]{40}\b"),
        ("RubyGems token", r"\brubygems_[a-f0-9]{48}\b"),
        ("HashiCorp Vault token", r"\bhv[sb]\.[A-Za-z0-9_\-]{90,}"),
        ("Terraform Cloud token", r"\b[a-z0-9]{14}\.atlasv1\.[a-z0-9\-_=]{60,70}"),
        ("age secret key", r"\bAGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}\b"),
        ("Alibaba Cloud access key id", r"\bLTAI[A-Za-z0-9]{20}\b"),
        ("Brevo API key", r"\bxkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}\b"),
        ("Fly.io token", r"\bfo1_[A-Za-z0-9_\-]{43}\b"),
        ("Grafana Cloud token", r"\bglc_[A-Za-z0-9+/]{32,400}={0,2}"),
        ("Dropbox token", r"\bsl\.[A-Za-z0-9\-=_]{135,}"),
        ("Dynatrace token", r"\bdt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64}\b"),
        ("EasyPost API key", r"\bEZ[AT]K[A-Za-z0-9]{54}\b"),
        ("Shippo token", r"\bshippo_live_[a-f0-9]{40}\b"),
        ("Duffel token", r"\bduffel_live_[A-Za-z0-9_\-=]{43}\b"),
        ("Typeform token", r"\btfp_[A-Za-z0-9\-_.=]{59}\b"),
        ("Prefect API key", r"\bpnu_[A-Za-z0-9]{36}\b"),
        ("Notion token", r"\bntn_\d{11}[A-Za-z0-9]{35}\b"),
        ("Airtable token", r"\bpat[A-Za-z0-9]{14}\.[a-f0-9]{64}\b"),
        ("Figma token", r"\bfigd_[A-Za-z0-9_\-]{40}\b"),
        ("Replicate token", r"\br8_[A-Za-z0-9]{37}\b"),
        ("Groq API key", r"\bgsk_[A-Za-z0-9]{52}\b"),
        ("Perplexity API key", r"\bpplx-[A-Za-z0-9]{48}\b"),
        ("xAI API key", r"\bxai-[A-Za-z0-9]{80}\b"),
        ("LangSmith API key", r"\blsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}\b"),
        ("Supabase token", r"\bsbp_[a-f0-9]{40}\b"),
        ("Tailscale key", r"\btskey-(?:api|auth|client)-[A-Za-z0-9]{8,}-[A-Za-z0-9]{20,}"),
        ("Twitter bearer token", r"\bA{22}[A-Za-z0-9%]{30,}"),
        ("Facebook access token", r"\bEAA[CG]EdEose0cBA[0-9A-Za-z]{20,}"),
        ("Braintree access token", r"access_token\$production\$[0-9a-z]{16}\$[0-9a-f]{32}"),
        ("Cloudflare origin CA key", r"\bv1\.0-[a-f0-9]{24}-[a-f0-9]{146}\b"),
        ("Contentful token", r"\bCFPAT-[A-Za-z0-9_\-]{43}\b"),
        ("Clojars token", r"\bCLOJARS_[a-z0-9]{60}\b"),
        ("Frame.io token", r"\bfio-u-[A-Za-z0-9\-_=]{64}\b"),
        ("Infracost API key", r"\bico-[A-Za-z0-9]{32}\b"),
        ("Readme API key", r"\brdme_[a-z0-9]{70}\b"),
        ("Scalingo token", r"\btk-us-[A-Za-z0-9_\-]{48}\b"),
        ("1Password service account token", r"\bops_eyJ[A-Za-z0-9+/]{250,}={0,3}"),
        (
            "JSON Web Token",
            r"\beyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{20,}",
        ),
        (
            "private key",
            r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----"
            r"(?:\s|\\n)*(?:[A-Za-z][A-Za-z-]*: [^\n\\]*(?:\n|\\n))*(?:\s|\\n)*"
            r"(?:[A-Za-z0-9+/=\r\n]|\\[rn]){64,}",
        ),
    )
)
# The distinctive start of each format, for the raw-text prefilter (`wants`).
TOKEN_PREFIXES = (
    r"A3T|AKIA|ASIA|ABIA|ACCA|gh[pousr]_|github_pat_|gl[a-z]{2,6}-|GR1348941|xox[baprse]-|xapp-"
    r"|hooks\.slack\.com|/api/webhooks/|_live_|AIza|SG\.|sk-|npm_|_authToken|pypi-|hf_|shp[acps]"
    r"|SK[0-9a-fA-F]{32}|sq0|dapi|do[opr]_v1_|PMAK-|glsa_|sntry[su]_|ATATT3|dp\.pt\.|eyJ|-----BEGIN|AccountKey="
    r"|SharedAccessKey=|-us\d|\d{5}:A|GOCSPX-|\dQ~|HRKU-|key-[0-9a-f]{32}|sk\.eyJ|NR(?:AK|II|JS)-"
    r"|lin_api_|pscale_|pul-[a-f0-9]{40}|rubygems_|hv[sb]\.|\.atlasv1\.|AGE-SECRET-KEY-|LTAI[A-Za-z0-9]{20}|xkeysib-|fo1_"
    r"|glc_|sl\.[A-Za-z0-9\-=_]{135}|dt0c01\.|EZ[AT]K|shippo_|duffel_|tfp_|pnu_|ntn_|pat[A-Za-z0-9]{14}\.|figd_|r8_"
    r"|gsk_|pplx-|xai-|lsv2_|sbp_|tskey-|A{22}|EAA[CG]|access_token\$|v1\.0-|CFPAT-|CLOJARS_"
    r"|fio-u-|ico-[A-Za-z0-9]{32}|rdme_|tk-us-|ops_eyJ|[MNO][A-Za-z0-9_\-]{23,25}\."
)
TOKEN_PREFIX = re.compile(TOKEN_PREFIXES)
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
MIN_LENGTH = {SecretKind.PASSWORD: 4}
# Headers whose value is a credential: `{"Authorization": "Bearer 8f3kQ..."}`.
CREDENTIAL_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "x-auth-token",
        "x-access-token",
        "private-token",
        "x-apikey",
        "api-key",
    }
)
# The word `secret` given as a signing key or a password (`app.config["SECRET_KEY"] = "secret"`)
# is the weakest secret there is, not a label: labels name the thing (`password`, `token`).
WEAKEST_SECRETS = frozenset({"secret", "s3cret", "secret123", "secretkey", "secret-key"})
FIXTURE_CLASS_WORDS = frozenset(
    {"test", "tests", "testing", "dev", "development", "local", "fake", "dummy", "mock", "stub"}
)
DEFAULT_MIN_LENGTH = 6


def shannon_entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


# Characters a placeholder is written with when repeated (`xxxxxxxx`, `********`, `00000000`).
PLACEHOLDER_FILL = frozenset("xX*.0#-_ ")


def guessable(value: str) -> bool:
    """A value in use that anyone would guess, as opposed to one waiting to be replaced: the word
    `secret` (`SECRET_KEY = "secret"`), one repeated character other than a placeholder's fill
    (`"aaaaaaa"`, not `"xxxxxxx"`)."""
    lowered = value.lower()
    if lowered in WEAKEST_SECRETS:
        return True
    if len(value) < 6:
        return False
    # Keyboard runs (`12345678`) stay placeholders: they are the default PINs of HSM and
    # appliance self-tests (privacyidea's `aeshsm.py` demo block), not keys an app runs with.
    return len(set(value)) == 1 and value[0] not in PLACEHOLDER_FILL


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


_WORD = re.compile(r"^[(\"']?[A-Za-z][a-z]*(?:'[a-z]+)?[.,:;!?)\"']*$")


def is_prose(value: str) -> bool:
    """Words separated by spaces (`Enter your password`, `{name} is not a valid token`), as
    opposed to a random secret that happens to contain a space (`F12Zr47j yX R~X@H!jm`)."""
    tokens = value.split()
    if len(tokens) < 2:
        return False
    wordlike = sum(1 for t in tokens if _WORD.match(t) or ("{" in t and "}" in t))
    return wordlike * 2 >= len(tokens)


_TOKEN_RUN = re.compile(r"[A-Za-z0-9+/=_\-]{20,}")


def looks_random(value: str) -> bool:
    """A long run of token characters with high entropy for its alphabet, mixing letters and
    digits: `9iE9DRkPHQ...=`, not `pi:challenge:v1:txn:%s` or a UUID."""
    if _UUID.match(value):
        return False
    if any(c.isspace() for c in value):
        # A space inside a random value is still random; lines (PEM blocks, text) are not.
        if is_prose(value) or any(c.isspace() and c != " " for c in value):
            return False
        value = value.replace(" ", "")
    run = max(_TOKEN_RUN.findall(value), key=len, default="")
    if not run or len(run) < 0.8 * len(value):
        return False
    if not (any(c.isdigit() for c in run) and any(c.isalpha() for c in run)):
        return False
    hexadecimal = all(c in "0123456789abcdefABCDEF" for c in run)
    return shannon_entropy(run) >= (3.0 if hexadecimal else 3.7)


def token_format(text: str) -> tuple[str, str] | None:
    """(label, matched secret) of a known credential format in `text`."""
    if TOKEN_PREFIX.search(text) is None:
        return None  # one search instead of one per format: most literals have no prefix
    for label, pattern in TOKEN_FORMATS:
        for match in pattern.finditer(text):
            secret = match.group("secret") if "secret" in pattern.groupindex else match.group(0)
            if not is_placeholder(secret) and "EXAMPLE" not in secret:
                return label, secret
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
    if name.lower() in CREDENTIAL_HEADERS:
        scheme, _, credential = secret.partition(" ")
        if not credential:
            scheme, credential = "", scheme
        if scheme.lower() not in ("", "bearer", "token", "basic", "apikey", "key", "digest"):
            return None
        if looks_random(credential) and not is_placeholder(credential):
            return f"Hardcoded credential in the `{name}` header", credential
        return None
    kind = qualified_secret_kind(name)
    if kind is not None:
        if kind in (SecretKind.KEY, SecretKind.PASSWORD) and guessable(secret):
            return f"Hardcoded {kind} in `{name}` (a guessable value)", None
        if secret.startswith("django-insecure-") and len(secret) > 30:
            return f"Hardcoded Django secret key in `{name}`", None
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


# A password set to (or compared with) the authority that authenticates the user instead
# (`password="LDAP"` for a directory account): a marker no login can match, not a credential.
AUTH_SOURCES = frozenset(
    {
        "ldap",
        "oidc",
        "openid",
        "saml",
        "sso",
        "oauth",
        "oauth2",
        "kerberos",
        "radius",
        "pam",
        "external",
        "remote",
    }
)


def _credential(value: str, name: str, kind: SecretKind) -> bool:
    if is_placeholder(value) or is_label(value) or value.lower() == name.lower():
        return False
    if value.lower() in AUTH_SOURCES:
        return False
    if kind is not SecretKind.PASSWORD and value.isalpha() and value.islower():
        return False  # `ACTIVATION_TOKEN = "activation"`: a key is not one lowercase word
    if is_prose(value) or value != value.strip():
        return False  # messages and labels: "Enter your password"
    if value.startswith(("/", "./", "~", "http://", "https://")) or "://" in value:
        return False  # paths and URLs (a URL's inline password is checked on its own)
    return not ("{" in value and "}" in value)  # a template: "{user}:{password}"


# Values a password is compared with to detect that it is unset, not to accept it.
COMPARISON_SENTINELS = frozenset(
    {"none", "null", "nil", "empty", "unset", "unknown", "default", "undefined", "true", "false"}
)


def compared_secret(name: str, value: str) -> tuple[str, str | None] | None:
    """What is wrong with `if name == "<value>"` (Bandit's B105 shape): the literal is the
    credential the code accepts. Like `named_secret`, but a password checked against a literal
    is a backdoor however short or common it is (`password == "admin"`)."""
    verdict = named_secret(name, value)
    if verdict is not None:
        # A token compared with one word is a sentinel (`csrf_token == "NOTPROVIDED"`).
        sentinel = verdict[1] is None and value.isalpha()
        if not sentinel or qualified_secret_kind(name) is SecretKind.PASSWORD:
            return verdict
        return None
    if qualified_secret_kind(name) is not SecretKind.PASSWORD:
        return None
    lowered = value.lower()
    if (
        len(value) < 4
        or lowered in COMPARISON_SENTINELS
        or lowered in AUTH_SOURCES
        or lowered == name.lower()
    ):
        return None
    # Not `is_label`: `password == "admin_pass"` accepts that password, whatever it looks like.
    if lowered in LABELS or is_prose(value) or any(w in lowered for w in PLACEHOLDER_WORDS):
        return None
    return f"Hardcoded password compared with `{name}`", None


# Calls whose first argument or `default=` is a field's default value: dataclass, attrs and
# pydantic fields, pydantic's secret wrappers.
FIELD_CALLS = frozenset({"Field", "field", "SecretStr", "SecretBytes", "ib", "attrib", "Secret"})
# `os.environ.setdefault("API_TOKEN", "...")`, `os.putenv("API_TOKEN", "...")`.
NAME_VALUE_CALLS = frozenset({"setdefault", "putenv"})
# Bases of classes whose members are labels, not values: `class Kind(Enum): SECRET = "secret"`.
LABEL_CLASS_BASES = re.compile(r"(?:Enum|Choices|Flag)$")


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


def _ast_field_default(node: ast.expr | None) -> ast.expr | None:
    """`Field("...")`, `field(default="...")` -> the default; any other value as it is."""
    if not isinstance(node, ast.Call):
        return node
    func = node.func
    callee = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if callee not in FIELD_CALLS:
        return node
    for keyword in node.keywords:
        if keyword.arg == "default":
            return keyword.value
    return node.args[0] if node.args else None


def _ast_compared_name(node: ast.expr) -> str | None:
    """The name on the other side of a comparison: `password`, `user.password`,
    `form["password"]`, `request.form.get("password")`."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr == "get" and node.args:
            return _ast_string(node.args[0])
        return None
    return _ast_name(node)


def _ast_comparisons(syntax: Syntax) -> Iterator[tuple[str | None, ast.AST | None]]:
    """(name, literal) of `name == "literal"` / `"literal" != name`, the visitor's pairs."""
    for compare in syntax.nodes(ast.Compare):
        operands = [compare.left, *compare.comparators]
        for index, op in enumerate(compare.ops):
            if not isinstance(op, (ast.Eq, ast.NotEq)):
                continue
            left, right = operands[index], operands[index + 1]
            yield _ast_compared_name(left), right
            yield _ast_compared_name(right), left


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
        yield _ast_name(annotated.target), _ast_field_default(annotated.value)
    for call in syntax.nodes(ast.Call):
        func = call.func
        callee = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if callee in NAME_VALUE_CALLS and len(call.args) >= 2:
            yield _ast_string(call.args[0]), call.args[1]
    for kwarg in syntax.nodes(ast.keyword):
        yield kwarg.arg, kwarg.value
        if (
            kwarg.arg == "auth"
            and isinstance(kwarg.value, ast.Tuple)
            and len(kwarg.value.elts) == 2
        ):
            yield "password", kwarg.value.elts[1]
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
    r"credential|creds|authorization|private-token|x-auth-token|x-access-token|\bauth\s*=\s*\()"
    r"|[a-z]Pass\b"
    r"|(?i:(?:" + "|".join(sorted(KEY_OWNERS)) + r")[_\-.]?key)"
    r"|" + TOKEN_PREFIXES + r"|://[^\s/@'\"]*:[^\s/@'\"]+@"
)
# CANDIDATE in parts, each behind a plain substring test of the lower-cased text: Python's
# regex engine tries every alternative at every position of a file that matches none, which
# made this prefilter a sixth of a cold scan; `in` rules most files out in microseconds.
_NAMED_WORDS = ("pw", "pass", "secret", "token", "cred", "auth")
_NAMED_ANY_CASE = (
    r"passw|passphrase|passcode|pwd|(?<![a-z])pw(?![a-z])|_pass\b|pass_|secret|token|"
    r"credential|creds|authorization|private-token|x-auth-token|x-access-token|\bauth\s*=\s*\("
)
_NAMED = re.compile(r"(?i:" + _NAMED_ANY_CASE + r")|[a-z]Pass\b")
_CAMEL_PASS = re.compile(r"[a-z]Pass\b")
_OWNED_KEY = re.compile(r"(?i:(?:" + "|".join(sorted(KEY_OWNERS)) + r")[_\-.]?key)")
_OWNED_KEY_ENDINGS = tuple(sorted(o + sep for o in KEY_OWNERS for sep in ("", "_", "-", ".")))
_LITERAL_PATTERN = TOKEN_PREFIXES + r"|://[^\s/@'\"]*:[^\s/@'\"]+@"
_LITERAL = re.compile(_LITERAL_PATTERN)


def _alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of a regular expression (`a|b(?:c|d)` -> `a`, `b(?:c|d)`)."""
    parts: list[str] = []
    depth, start, index, in_class = 0, 0, 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char in "()":
            depth += 1 if char == "(" else -1
        elif char == "|" and depth == 0:
            parts.append(pattern[start:index])
            start = index + 1
        index += 1
    parts.append(pattern[start:])
    return parts


def _required_literal(alternative: str) -> str:
    """The longest fixed text every match of `alternative` holds (`\\d{5}:A` -> `:A`): runs of
    plain characters outside classes and groups; a quantified character ends its run."""
    best: list[str] = []
    run: list[str] = []
    index = 0
    while index < len(alternative):
        char = alternative[index]
        literal: str | None = None
        end = index + 1
        if char == "\\" and index + 1 < len(alternative):
            end = index + 2
            if not alternative[index + 1].isalnum():
                literal = alternative[index + 1]
        elif char.isalnum() or char in "_-/:=~!@#%&',;<>`\"":
            literal = char
        elif char in "[(":
            end = _closing(alternative, index) + 1  # a class or group: not fixed text
        elif char == "{":
            end = alternative.find("}", index) + 1 or len(alternative)  # a repeat count
        if literal is not None and alternative[end : end + 1] not in ("*", "+", "?", "{"):
            run.append(literal)
        else:
            if len(run) > len(best):
                best = run
            run = []
        index = end
    return "".join(run if len(run) > len(best) else best)


def _closing(pattern: str, start: int) -> int:
    """Index of the `]` or `)` closing the class or group opened at `start`."""
    depth, index, in_class = 0, start, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            if char == "]" and index > start + 1:
                in_class = False
                if depth == 0:
                    return index
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return len(pattern)


def _gate(
    alternatives: list[str], lower: bool
) -> tuple[list[tuple[str, re.Pattern[str]]], re.Pattern[str] | None]:
    """Alternatives holding two or more fixed characters, each with that text (lower-cased
    when `lower`), and one expression for the rest (None if none)."""
    gated: list[tuple[str, re.Pattern[str]]] = []
    rest: list[str] = []
    for alternative in alternatives:
        lead = _required_literal(alternative)
        if len(lead) >= 2:
            gated.append((lead.lower() if lower else lead, re.compile(alternative)))
        else:
            rest.append(alternative)
    return gated, re.compile("|".join(rest)) if rest else None


# `_LITERAL` and `_NAMED` in parts: an alternative whose matches hold two or more fixed
# characters is tried only when the text holds them (an `in` test); the rest share one
# expression. Python's engine otherwise tries every alternative at every position of a file.
_GATED_LITERAL, _UNGATED_LITERAL = _gate(_alternatives(_LITERAL_PATTERN), lower=False)
_GATED_NAMED, _UNGATED_NAMED = _gate(_alternatives(_NAMED_ANY_CASE), lower=True)


def _named(text: str, low: str) -> bool:
    """`_NAMED.search(text) is not None` for ASCII text: the any-case part runs on the
    lower-cased text, alternative by alternative."""
    if "Pass" in text and _CAMEL_PASS.search(text):
        return True
    if any(lead in low and pattern.search(low) for lead, pattern in _GATED_NAMED):
        return True
    return _UNGATED_NAMED is not None and _UNGATED_NAMED.search(low) is not None


def _owned_key(text: str, low: str) -> bool:
    """`_OWNED_KEY.search(text) is not None` for ASCII text: each `key` is checked for an owner
    word before it instead of trying every owner everywhere."""
    at = low.find("key")
    while at >= 0:
        if low.endswith(_OWNED_KEY_ENDINGS, 0, at):
            return True
        at = low.find("key", at + 1)
    return False


def _literal(text: str) -> bool:
    """`_LITERAL.search(text) is not None`, fast."""
    if any(lead in text and pattern.search(text) for lead, pattern in _GATED_LITERAL):
        return True
    return _UNGATED_LITERAL is not None and _UNGATED_LITERAL.search(text) is not None


def candidate(text: str) -> bool:
    """`CANDIDATE.search(text) is not None`, fast: for ASCII text, where `(?i)` is `lower()`.
    (Case folding matches the long s to `s`, the Kelvin sign to `k`; `lower()` does not.)"""
    if not text.isascii():
        return CANDIDATE.search(text) is not None
    low = text.lower()
    if any(word in low for word in _NAMED_WORDS) and _named(text, low):
        return True
    if "key" in low and _owned_key(text, low):
        return True
    return _literal(text)


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
        if candidate(text):
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
            if len(text) < 16 or TOKEN_PREFIX.search(text) is None:
                continue
            if any(p.search(text) for p in LOOSE_FORMATS):
                return True
        for name, value in _ast_destinations(syntax):
            secret = _ast_string(value)
            if name is not None and secret is not None and named_secret(name, secret.strip()):
                return True
        for name, value in _ast_comparisons(syntax):
            secret = _ast_string(value)
            if name is not None and secret is not None and compared_secret(name, secret.strip()):
                return True
        return False

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        path = self.file.source.path
        # Test code and settings modules only tests or CI load (python/context.py).
        self.test_file = self.context.test or is_test_path(path) or is_test_settings_path(path)
        # Enum and choices classes, whose members are labels (`SECRET = "secret"`).
        self.label_classes = 0
        self.done: set[int] = set()
        # Classes whose name says they configure tests or development (`TestingConfig`).
        self.fixture_classes = 0

    @property
    def in_tests(self) -> bool:
        return self.test_file or self.fixture_classes > 0

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if set(words(node.name.value)) & FIXTURE_CLASS_WORDS:
            self.fixture_classes += 1
        if self._labels_class(node):
            self.label_classes += 1

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        if set(words(original_node.name.value)) & FIXTURE_CLASS_WORDS:
            self.fixture_classes -= 1
        if self._labels_class(original_node):
            self.label_classes -= 1

    @staticmethod
    def _labels_class(node: cst.ClassDef) -> bool:
        for base in node.bases:
            value = base.value
            name = value.attr.value if isinstance(value, cst.Attribute) else None
            if isinstance(value, cst.Name):
                name = value.value
            if name is not None and LABEL_CLASS_BASES.search(name):
                return True
        return False

    # -- secret-named destinations -------------------------------------------------------------

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._named(self._target_name(target.target), node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._named(self._target_name(node.target), self._field_default(node.value))

    @staticmethod
    def _field_default(value: cst.BaseExpression | None) -> cst.BaseExpression | None:
        """`Field("...")`, `field(default="...")`, `SecretStr("...")` -> the default."""
        if not isinstance(value, cst.Call):
            return value
        func = value.func
        callee = func.attr.value if isinstance(func, cst.Attribute) else None
        if isinstance(func, cst.Name):
            callee = func.value
        if callee not in FIELD_CALLS:
            return value
        for arg in value.args:
            if arg.keyword is not None and arg.keyword.value == "default":
                return arg.value
        positional = [arg for arg in value.args if arg.keyword is None and not arg.star]
        return positional[0].value if positional else None

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        callee = func.attr.value if isinstance(func, cst.Attribute) else None
        if isinstance(func, cst.Name):
            callee = func.value
        positional = [arg for arg in node.args if arg.keyword is None and not arg.star]
        if callee in NAME_VALUE_CALLS and len(positional) >= 2:
            self._named(string_value(positional[0].value), positional[1].value)

    def visit_Comparison(self, node: cst.Comparison) -> None:
        if self.in_tests:
            return
        left = node.left
        for target in node.comparisons:
            if isinstance(target.operator, (cst.Equal, cst.NotEqual)):
                for name_side, value_side in ((left, target.comparator), (target.comparator, left)):
                    name = self._compared_name(name_side)
                    found = literal(value_side)
                    if name is None or found is None or id(found.node) in self.done:
                        continue
                    verdict = compared_secret(name, found.value.strip())
                    if verdict is not None:
                        what, token = verdict
                        self._report(found, what, (token,) if token else (found.value, *found.raw))
            left = target.comparator

    def _compared_name(self, node: cst.BaseExpression) -> str | None:
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            if node.func.attr.value == "get" and node.args:
                return string_value(node.args[0].value)
            return None
        return self._target_name(node)

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self._named(node.keyword.value, node.value)
            value = node.value
            is_pair = isinstance(value, cst.Tuple) and len(value.elements) == 2
            if node.keyword.value == "auth" and isinstance(value, cst.Tuple) and is_pair:
                # requests' `auth=("user", "password")`
                self._named("password", value.elements[1].value)

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
        if name is None or self.in_tests or self.label_classes:
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
