"""jwt-without-expiry: a JWT issued from a payload that has no `exp` claim."""

from __future__ import annotations

import libcst as cst

from reviewbot.model.rule import PythonRule
from reviewbot.python.bindings import Bindings
from reviewbot.python.jwt_calls import ENCODE, JWT_PREFILTER
from reviewbot.python.names import argument, dict_keys, keyword, subscript_key
from reviewbot.python.vocabulary import is_test_path


class JwtWithoutExpiry(Bindings, PythonRule):
    id = "jwt-without-expiry"
    prefilter = JWT_PREFILTER

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Per function: names given an `exp` after they were built, and names that escaped into
        # another call (which may add claims we cannot see).
        self.completed: list[set[str]] = [set()]
        # Tests craft tokens on purpose, expired or eternal, to exercise the verifier.
        self.test_file = is_test_path(self.file.source.path)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        super().visit_FunctionDef(node)
        self.completed.append(set())

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        super().leave_FunctionDef(original_node)
        self.completed.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        super().visit_Assign(node)
        for target in node.targets:
            # `payload["exp"] = ...`
            if (
                isinstance(target.target, cst.Subscript)
                and isinstance(target.target.value, cst.Name)
                and subscript_key(target.target) == "exp"
            ):
                self.completed[-1].add(target.target.value.value)

    def visit_Call(self, node: cst.Call) -> None:
        names = self.qualified_names(node.func)
        if names & ENCODE:
            self._check(node, min(names & ENCODE))
            return
        # `payload.update(exp=...)`, `payload.update({"exp": ...})`, `payload.setdefault("exp",...)`
        # and `add_claims(payload)`: from here on we cannot claim `exp` is missing.
        func = node.func
        if (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and func.attr.value in ("update", "setdefault")
        ):
            self.completed[-1].add(func.value.value)
        for arg in node.args:
            if isinstance(arg.value, cst.Name):
                self.completed[-1].add(arg.value.value)

    def _check(self, node: cst.Call, name: str) -> None:
        payload = argument(node, 0, "payload") or argument(node, 0, "claims")
        if payload is None or self.test_file:
            return
        if isinstance(payload, cst.Name) and payload.value in self.completed[-1]:
            return
        origins = list(self.origins(payload))
        if not origins:
            return
        for origin in origins:
            if isinstance(origin, cst.Dict):
                keys, opaque = dict_keys(origin)
                if opaque or "exp" in keys:
                    return
            elif (
                isinstance(origin, cst.Call)
                and isinstance(origin.func, cst.Name)
                and origin.func.value == "dict"
            ):
                if (
                    any(a.keyword is None for a in origin.args)
                    or keyword(origin, "exp") is not None
                ):
                    return
            else:
                return  # built somewhere we cannot see
        self.report(
            payload,
            f"This token (`{name}`) has no `exp` claim, so it stays valid forever once issued or "
            'leaked; add `"exp": datetime.now(tz=UTC) + timedelta(minutes=15)` (PyJWT checks it '
            "on decode).",
        )
