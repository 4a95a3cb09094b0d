"""weak-password-hash: a password run through a fast digest (md5, sha1, sha256...) instead of a KDF."""

from __future__ import annotations

import libcst as cst

from reviewbot.model.rule import PythonRule
from reviewbot.python.bindings import Bindings
from reviewbot.python.foreign import ForeignSuppressions
from reviewbot.python.names import argument, keyword, method_name, receiver, string_value
from reviewbot.python.syntax import Syntax, calls_to
from reviewbot.python.vocabulary import is_password_name

DIGESTS = frozenset(
    f"hashlib.{name}"
    for name in (
        "md5",
        "sha1",
        "sha224",
        "sha256",
        "sha384",
        "sha512",
        "sha3_224",
        "sha3_256",
        "sha3_384",
        "sha3_512",
        "blake2b",
        "blake2s",
    )
)
HASHLIB_NEW = "hashlib.new"
# Django hashers that store a password with one fast digest round.
WEAK_DJANGO_HASHERS = frozenset({"md5", "unsalted_md5", "sha1", "unsalted_sha1", "crypt"})
MAKE_PASSWORD = frozenset(
    {"django.contrib.auth.hashers.make_password", "django.contrib.auth.hashers.get_hasher"}
)


def password_operand(node: cst.CSTNode) -> str | None:
    """The password-like name read in `node` (`password`, `user.raw_password`), not inside calls
    other than string conversions (`pw.encode()`, `str(pw)`, `f"{salt}{pw}"`)."""
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name):
            if is_password_name(current.value):
                return current.value
        elif isinstance(current, cst.Attribute):
            if is_password_name(current.attr.value):
                return current.attr.value
            stack.append(current.value)
        elif isinstance(current, cst.Subscript):
            key = None
            if len(current.slice) == 1 and isinstance(current.slice[0].slice, cst.Index):
                key = string_value(current.slice[0].slice.value)
            if key is not None and is_password_name(key):
                return key
            stack.append(current.value)
        elif isinstance(current, cst.Call):
            # `password.encode()`, `(salt + password).encode("utf-8")`, `str(password)`: the
            # password still flows in. Other calls (`get_token()`) produce something else.
            func = current.func
            if isinstance(func, cst.Attribute) and func.attr.value in ("encode", "strip", "lower"):
                stack.append(func.value)
            elif isinstance(func, cst.Name) and func.value in ("str", "bytes", "bytearray"):
                stack.extend(a.value for a in current.args)
        elif isinstance(current, (cst.Lambda, cst.FunctionDef)):
            continue
        else:
            stack.extend(current.children)
    return None


class WeakPasswordHash(ForeignSuppressions, Bindings, PythonRule):
    id = "weak-password-hash"
    FOREIGN_CODES = frozenset({"S324", "B303", "S303", "B324"})
    prefilter = ("hashlib", "make_password", "get_hasher")
    # Tests reproduce legacy schemes on purpose (to check that they are migrated), with
    # `make_password(..., "md5")` as much as with `hashlib.md5`.
    skip_tests = True

    @classmethod
    def wants_tree(cls, syntax: Syntax) -> bool:
        # Every report starts at a digest, `hashlib.new` or Django hasher call.
        return next(calls_to(syntax, DIGESTS | {HASHLIB_NEW} | MAKE_PASSWORD), None) is not None

    def visit_Call(self, node: cst.Call) -> None:
        names = self.qualified_names(node.func)
        digest = names & DIGESTS
        if digest:
            data = argument(node, 0, "string") or argument(node, 0, "data")
            self._check(node, data, min(digest).split(".")[-1])
            return
        if HASHLIB_NEW in names:
            data = argument(node, 1, "data") or argument(node, 1, "string")
            algorithm = string_value(argument(node, 0, "name")) or "the digest"
            self._check(node, data, algorithm)
            return
        if names & MAKE_PASSWORD:
            # make_password(password, salt=None, hasher="default") / get_hasher(algorithm)
            if "django.contrib.auth.hashers.get_hasher" in names:
                hasher = string_value(argument(node, 0, "algorithm"))
            else:
                hasher = string_value(argument(node, 2, "hasher"))
            if hasher in WEAK_DJANGO_HASHERS:
                self.report(
                    node,
                    f"The `{hasher}` hasher stores passwords with one fast digest round; use "
                    'Django\'s default (PBKDF2) or Argon2 (`"argon2"`).',
                )
            return
        # `h = hashlib.sha256(); h.update(password.encode())`
        target = receiver(node)
        if method_name(node) == "update" and target is not None:
            built = self.constructed_by(target, self.qualified_names)
            if built & DIGESTS or HASHLIB_NEW in built:
                self._check(node, argument(node, 0, "data"), "a fast digest")

    def _check(self, node: cst.Call, data: cst.BaseExpression | None, algorithm: str) -> None:
        if data is None or keyword(node, "usedforsecurity") is not None:
            return
        name = password_operand(data)
        if name is None or self.foreign_suppressed():
            return
        self.report(
            node,
            f"`{name}` is hashed with {algorithm}, which a GPU tries billions of times a second: "
            "a leaked table gives up most passwords. Use a password hashing function "
            "(argon2-cffi, bcrypt, `hashlib.scrypt`, or your framework's `make_password`).",
        )
