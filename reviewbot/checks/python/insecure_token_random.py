"""insecure-token-random: the `random` module used to make tokens, passwords, keys or one-time codes."""

from __future__ import annotations

import libcst as cst

from reviewbot.model.findings import Fix
from reviewbot.model.rule import PythonRule
from reviewbot.python.fixes import NoImport, bind, code
from reviewbot.python.foreign import ForeignSuppressions
from reviewbot.python.names import last_name
from reviewbot.python.syntax import Syntax, calls_to
from reviewbot.python.vocabulary import secret_kind, words

RANDOM_FUNCTIONS = frozenset(
    f"random.{name}"
    for name in (
        "random",
        "randint",
        "randrange",
        "choice",
        "choices",
        "sample",
        "getrandbits",
        "randbytes",
        "uniform",
    )
)
# `random.Random(seed)` instances are as predictable as the module functions.
RANDOM_INSTANCE_METHODS = frozenset(
    n.replace("random.", "random.Random.") for n in RANDOM_FUNCTIONS
)
# `random` functions whose `secrets` twin draws the same values (one positional argument).
SAME_CALLS = {
    "choice": "choice",
    "getrandbits": "randbits",
    "randbytes": "token_bytes",
    "randrange": "randbelow",
}


def _simple(node: cst.BaseExpression) -> bool:
    """An operand that can be written twice: a name, an attribute or an integer."""
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        return isinstance(node.expression, cst.Integer)
    return isinstance(node, cst.Name | cst.Attribute | cst.Integer)


def _number(node: cst.BaseExpression) -> int | None:
    if isinstance(node, cst.Integer):
        return int(node.evaluated_value)
    if (
        isinstance(node, cst.UnaryOperation)
        and isinstance(node.operator, cst.Minus)
        and isinstance(node.expression, cst.Integer)
    ):
        return -int(node.expression.evaluated_value)
    return None


# Security values not covered by the secret vocabulary: one-time codes, nonces, salts.
OTP_WORDS = frozenset({"otp", "totp", "hotp", "nonce", "salt", "passcode"})
CODE_OWNERS = frozenset(
    {
        "verification",
        "verify",
        "reset",
        "otp",
        "auth",
        "activation",
        "confirm",
        "confirmation",
        "invite",
        "invitation",
        "login",
        "sms",
        "security",
        "recovery",
        "access",
        "mfa",
        "twofa",
        "pairing",
        "one",
        "magic",
    }
)


def security_purpose(name: str) -> str | None:
    """What security value `name` (a variable or a function) is about, if any."""
    kind = secret_kind(name)
    if kind is not None:
        return str(kind)
    parts = words(name)
    if not parts:
        return None
    if set(parts) & OTP_WORDS:
        if "nonce" in parts:
            return "nonce"
        return "salt" if "salt" in parts else "one-time code"
    for index, word in enumerate(parts):
        if word == "code" and index > 0 and parts[index - 1] in CODE_OWNERS:
            return "one-time code"
        if word in ("token", "password", "secret") and index < len(parts) - 1:
            # `generate_token_for`, `make_password_hash`: still about the secret.
            return word
        if word == "session" and index < len(parts) - 1 and parts[index + 1] in ("id", "key"):
            return "session id"
    return None


class InsecureTokenRandom(ForeignSuppressions, PythonRule):
    id = "insecure-token-random"
    FOREIGN_CODES = frozenset({"B311", "S311"})
    prefilter = ("random.", "from random", "import random", ", random")
    # Tests seed `random` for reproducible fixtures.
    skip_tests = True

    @classmethod
    def wants_tree(cls, syntax: Syntax) -> bool:
        return next(calls_to(syntax, RANDOM_FUNCTIONS | RANDOM_INSTANCE_METHODS), None) is not None

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Names whose value is being computed right now: assignment targets, the function
        # whose body we are in, keyword arguments.
        self.functions: list[str] = []
        self.targets: list[list[str]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.append(node.name.value)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.functions.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        self.targets.append([n for t in node.targets if (n := last_name(t.target))])

    def leave_Assign(self, original_node: cst.Assign) -> None:
        self.targets.pop()

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.targets.append([n] if (n := last_name(node.target)) else [])

    def leave_AnnAssign(self, original_node: cst.AnnAssign) -> None:
        self.targets.pop()

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.targets.append([n] if (n := last_name(node.target)) else [])

    def leave_AugAssign(self, original_node: cst.AugAssign) -> None:
        self.targets.pop()

    def visit_Arg(self, node: cst.Arg) -> None:
        self.targets.append([node.keyword.value] if node.keyword else [])

    def leave_Arg(self, original_node: cst.Arg) -> None:
        self.targets.pop()

    def visit_Call(self, node: cst.Call) -> None:
        if self.foreign_suppressed():
            return
        names = self.qualified_names(node.func)
        if not names & (RANDOM_FUNCTIONS | RANDOM_INSTANCE_METHODS):
            return
        # The innermost named destination decides: `delay = random.uniform(0, 1)` inside
        # `refresh_token()` is jitter, not the token.
        for group in reversed(self.targets):
            if not group:
                continue
            for name in group:
                purpose = security_purpose(name)
                if purpose is not None:
                    self._report(node, purpose, f"`{name}`")
                    return
            return
        if self.functions:
            purpose = security_purpose(self.functions[-1])
            if purpose is not None:
                self._report(node, purpose, f"`{self.functions[-1]}()`")

    def _report(self, node: cst.Call, purpose: str, where: str) -> None:
        self.report(
            node,
            f"`random` makes the {purpose} in {where}: its output is predictable from a few "
            "observed values (Mersenne Twister). Use `secrets` (`secrets.token_urlsafe(32)`, "
            "`secrets.choice(alphabet)`, `secrets.randbelow(10**6)`).",
            fix=self._fix(node),
        )

    def _fix(self, node: cst.Call) -> Fix | None:
        """The same call on `secrets`, where it means the same: `choice(seq)`,
        `getrandbits(k)` -> `randbits(k)`, `randbytes(n)` -> `token_bytes(n)`, `randrange(n)`
        -> `randbelow(n)`, `randint(a, b)` -> `a + randbelow(b - a + 1)`. Safe: the values are
        drawn the same way, only from the OS's generator; nothing can seed it, which is the
        point. Other functions (`choices`, `sample`, `uniform`) have no `secrets` twin: no fix."""
        function = next(iter(self.qualified_names(node.func) & RANDOM_FUNCTIONS), None)
        if function is None or any(arg.keyword or arg.star for arg in node.args):
            return None
        name = function.split(".")[-1]
        values = [arg.value for arg in node.args]
        # "\0" stands for the name `secrets` is bound to, known once the import is settled.
        if name in SAME_CALLS and len(values) == 1:
            template = f"\0.{SAME_CALLS[name]}({code(values[0])})"
        elif name == "randint" and len(values) == 2 and all(map(_simple, values)):
            low, high = (_number(v) for v in values)
            if low is not None and high is not None:
                size = high - low + 1
                template = (
                    f"\0.randbelow({size})" if low == 0 else f"({low} + \0.randbelow({size}))"
                )
            elif low is not None:
                # randint(1, n) -> 1 + randbelow(n): the size folded as far as it goes.
                b = code(values[1])
                size_text = b if low == 1 else f"{b} {'+' if low < 1 else '-'} {abs(1 - low)}"
                start = f"{low} + " if low else ""
                template = (
                    f"({start}\0.randbelow({size_text}))" if start else f"\0.randbelow({size_text})"
                )
            else:
                a, b = (code(v) for v in values)
                template = f"({a} + \0.randbelow({b} - {a} + 1))"
        else:
            return None
        try:
            module, added = bind(self.file, "secrets")
        except NoImport:
            return None
        edits = (self.edit(node, template.replace("\0", module)), *([added] if added else []))
        return Fix(title=f"Use `secrets` instead of `random.{name}`", edits=edits, safe=True)
