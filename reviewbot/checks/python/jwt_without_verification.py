"""jwt-without-verification: a JWT decoded with its signature check off, or without pinned algorithms."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import libcst as cst

from reviewbot.model.facts import JWT_ISSUED_FACT, JWT_PIN_FACT, OPEN_FIX_FACT, JwtPin
from reviewbot.model.findings import Edit, Fix
from reviewbot.model.rule import PythonRule, RawFinding
from reviewbot.python.bindings import Bindings
from reviewbot.python.fixes import end_of
from reviewbot.python.jwt_calls import DECODE, ENCODE, JWT_PREFILTER
from reviewbot.python.names import (
    argument,
    dict_value,
    has_double_star,
    is_false,
    keyword,
    string_value,
)


class JwtWithoutVerification(Bindings, PythonRule):
    id = "jwt-without-verification"
    prefilter = JWT_PREFILTER

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.algorithms: set[str] | None = None

    def visit_Call(self, node: cst.Call) -> None:
        names = self.qualified_names(node.func)
        if names & ENCODE:
            # What this file signs with, for decodes in files that sign nothing (complete_fixes).
            self.file.add_fact(JWT_ISSUED_FACT, _algorithm(node))
            return
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
                    fix=self._pin(node),
                )
            return
        for origin in self.origins(algorithms):
            elements = origin.elements if isinstance(origin, (cst.List, cst.Tuple, cst.Set)) else []
            for index, element in enumerate(elements):
                if (string_value(element.value) or "").lower() == "none":
                    self.report(
                        element.value,
                        'Allowing the `"none"` algorithm accepts unsigned tokens; list only the '
                        "signing algorithms you issue.",
                        fix=self._drop(list(elements), index),
                    )
                    return

    def _drop(self, elements: list[cst.BaseElement], index: int) -> Fix | None:
        """`["HS256", "none"]` -> `["HS256"]`. Safe: only unsigned tokens are refused now."""
        if len(elements) < 2:
            return None  # nothing left to verify with: the author must name the algorithm
        if any(getattr(e.value, "lpar", ()) for e in elements):
            return None
        if index > 0:
            _, start = self.file.span(elements[index - 1].value)
            _, end = self.file.span(elements[index].value)
        else:
            start, _ = self.file.span(elements[0].value)
            end, _ = self.file.span(elements[1].value)
        edit = Edit(self.file.source.path, start, end, "")
        return Fix('Drop the `"none"` algorithm', (edit,), safe=True)

    def _pin(self, node: cst.Call) -> Fix | None:
        """`algorithms=[...]` with the one algorithm this file's `jwt.encode` calls sign with
        (PyJWT's default, HS256, where they name none). Unsafe: tokens another service signs
        another way are refused from now on. No fix when the file signs several ways or with an
        algorithm that is not a literal; a file that signs nothing takes what the repository
        signs with, once every file is read (complete_fixes)."""
        if not node.args or any(arg.star for arg in node.args):
            return None
        issued = self._issued()
        if not issued:
            start, _ = self.file.span(node)
            line, column = self.file.source.position(start)
            offset = end_of(self.file, node.args[-1].value)
            self.file.add_fact(JWT_PIN_FACT, JwtPin(line, column, offset))
            self.file.add_fact(OPEN_FIX_FACT, self.id)
            return None
        if len(issued) != 1 or "" in issued:
            return None
        (algorithm,) = issued
        text = f"algorithms=[{json.dumps(algorithm)}]"
        edit = self.insert(end_of(self.file, node.args[-1].value), f", {text}")
        return Fix(f"Pin `{text}` (what this file signs with)", (edit,), safe=False)

    def _issued(self) -> set[str]:
        """Algorithms of the `encode` calls of this file; "" for one that is not a literal."""
        if self.algorithms is None:
            self.algorithms = {
                _algorithm(call)
                for call in _calls(self.file.module)
                if self.qualified_names(call.func) & ENCODE
            }
        return self.algorithms

    @classmethod
    def complete_fixes(cls, findings: list[RawFinding], project: Any) -> list[RawFinding]:
        """Decodes in files that sign nothing: pinned to the algorithm every `encode` call of
        the repository signs with, when they all name the same one as a literal."""
        issued = {algorithm for _, algorithm in project.facts.get(JWT_ISSUED_FACT, ())}
        if len(issued) != 1 or "" in issued:
            return findings
        (algorithm,) = issued
        text = f"algorithms=[{json.dumps(algorithm)}]"
        pins = {
            (path, pin.line, pin.column): pin.offset
            for path, pin in project.facts.get(JWT_PIN_FACT, ())
            if isinstance(pin, JwtPin)
        }
        completed: list[RawFinding] = []
        for finding in findings:
            offset = pins.get((finding.path, finding.line, finding.column))
            if finding.fix is None and offset is not None:
                edit = Edit(finding.path, offset, offset, f", {text}")
                fix = Fix(f"Pin `{text}` (what this repository signs with)", (edit,), safe=False)
                finding = replace(finding, fix=fix)
            completed.append(finding)
        return completed


def _algorithm(call: cst.Call) -> str:
    """The algorithm an `encode` call signs with: PyJWT's and jose's default, HS256, when it
    names none; "" when it is not a literal (or may come from `**kwargs`)."""
    value = argument(call, 2, "algorithm")
    if value is None:
        return "" if has_double_star(call) else "HS256"
    return string_value(value) or ""


class _CallCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.calls: list[cst.Call] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append(node)


def _calls(module: cst.Module) -> list[cst.Call]:
    collector = _CallCollector()
    module.visit(collector)
    return collector.calls
