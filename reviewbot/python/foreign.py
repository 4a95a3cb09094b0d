"""Suppressions written for other linters that check the same thing (Bandit, Ruff's flake8-bandit).

A team that already reviewed a finding and marked it `# nosec B105` or `# noqa: S608` made the
same decision reviewbot would ask for; reporting it again would only teach them to ignore us.
Only codes for the same check count, and only on the statement's own line.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import libcst as cst

from reviewbot.model.facts import FOREIGN_FACT as FOREIGN_FACT

_NOSEC = re.compile(r"#\s*nosec\b(?P<codes>[^#]*)", re.IGNORECASE)
_NOQA = re.compile(r"#\s*noqa\s*:\s*(?P<codes>[A-Z0-9, ]+)", re.IGNORECASE)
_CODE = re.compile(r"[A-Z]+[0-9]+", re.IGNORECASE)


def suppressing_codes(comment: str) -> tuple[bool, set[str]]:
    """(bare `# nosec`, codes named by `nosec` / `noqa`) in a comment."""
    codes: set[str] = set()
    bare = False
    for match in _NOSEC.finditer(comment):
        found = {c.upper() for c in _CODE.findall(match.group("codes"))}
        bare = bare or not found
        codes |= found
    for match in _NOQA.finditer(comment):
        codes |= {c.upper() for c in _CODE.findall(match.group("codes"))}
    return bare, codes


class ForeignSuppressions(cst.BatchableCSTVisitor):
    """Mixin: `self.foreign_suppressed()` while visiting inside a statement whose line carries a
    Bandit / Ruff suppression for one of the rule's `FOREIGN_CODES`."""

    FOREIGN_CODES: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._line_comment: list[str] = []

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        comment = node.trailing_whitespace.comment
        self._line_comment.append(comment.value if comment is not None else "")

    def leave_SimpleStatementLine(self, original_node: cst.SimpleStatementLine) -> None:
        self._line_comment.pop()

    def foreign_suppressed(self) -> bool:
        if not self._line_comment or not self._line_comment[-1]:
            return False
        bare, codes = suppressing_codes(self._line_comment[-1])
        if not (bare or codes & self.FOREIGN_CODES):
            return False
        # Counted in the summary's suppressed total (the finding itself is never built).
        file = getattr(self, "file", None)
        if file is not None:
            file.add_fact(FOREIGN_FACT, self._line_comment[-1])
        return True
