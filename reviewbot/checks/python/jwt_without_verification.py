"""jwt-without-verification: a JWT decoded with its signature check off, or without pinned algorithms."""

from __future__ import annotations

import libcst as cst

from reviewbot.model.rule import PythonRule
from reviewbot.python.bindings import Bindings
from reviewbot.python.jwt_calls import DECODE, JWT_PREFILTER
from reviewbot.python.names import (
    dict_value,
    has_double_star,
    is_false,
    keyword,
    string_value,
)


class JwtWithoutVerification(Bindings, PythonRule):
    id = "jwt-without-verification"
    prefilter = JWT_PREFILTER

    def visit_Call(self, node: cst.Call) -> None:
        names = self.qualified_names(node.func)
        if not names & DECODE:
            return
        name = min(names & DECODE)
        options = keyword(node, "options")
        if options is not None:
            for origin in self.origins(options):
                if isinstance(origin, cst.Dict):
                    flag = dict_value(origin, "verify_signature")
                    if is_false(flag):
                        self.report(
                            flag if origin is options else options,  # type: ignore[arg-type]
                            f"`{name}` with `verify_signature: False` accepts any token anyone "
                            "signs (or leaves unsigned); verify it with the issuer's key, and use "
                            "`jwt.get_unverified_header` if you only need the header to pick "
                            "that key.",
                        )
                        return
        verify = keyword(node, "verify")
        if is_false(verify):
            self.report(
                verify,  # type: ignore[arg-type]
                f"`{name}(..., verify=False)` skips the signature check, so forged tokens are "
                "accepted; verify with the issuer's key and pinned `algorithms=[...]`.",
            )
            return
        algorithms = keyword(node, "algorithms")
        if algorithms is None:
            if not has_double_star(node):
                self.report(
                    node,
                    f"`{name}` without `algorithms=` lets the token's own header choose how it is "
                    "checked (algorithm confusion, `none`); pin the algorithms you issue, e.g. "
                    '`algorithms=["RS256"]`.',
                )
            return
        for origin in self.origins(algorithms):
            elements = origin.elements if isinstance(origin, (cst.List, cst.Tuple, cst.Set)) else []
            for element in elements:
                if (string_value(element.value) or "").lower() == "none":
                    self.report(
                        element.value,
                        'Allowing the `"none"` algorithm accepts unsigned tokens; list only the '
                        "signing algorithms you issue.",
                    )
                    return
