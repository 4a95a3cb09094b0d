"""Regular expressions from a repository, bounded: Python's `re` has no timeout, so a pattern
that can backtrack catastrophically (a repeat inside a repeat, `(a+)+`, `(.*)*`; a
back-reference) is refused when the rule is read, and the text it is applied to is clipped."""

from __future__ import annotations

import re
from re import _parser as sre_parse  # type: ignore[attr-defined]  # 3.11+: sre_parse's home
from typing import Any

MAX_REGEX_CHARS = 500
# A metavariable's text longer than this is cut before a regex sees it.
MAX_SUBJECT_CHARS = 2_000


class RegexRefused(ValueError):
    """A regex that is invalid or could take exponential time."""


_REPEATS = {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}


def _walk(items: Any, inside_repeat: bool) -> None:
    for op, arg in items:
        name = str(op)
        if name in _REPEATS:
            _low, high, sub = arg
            unbounded = high is sre_parse.MAXREPEAT or high > 100
            if inside_repeat and unbounded:
                raise RegexRefused(
                    "nests an unbounded repeat inside another (like `(a+)+`), which can take "
                    "exponential time; rewrite it without the nesting"
                )
            _walk(sub, inside_repeat or unbounded)
        elif name == "SUBPATTERN":
            _walk(arg[-1], inside_repeat)
        elif name == "BRANCH":
            for branch in arg[1]:
                _walk(branch, inside_repeat)
        elif name in {"GROUPREF", "GROUPREF_EXISTS"}:
            raise RegexRefused("uses a back-reference, which can take exponential time")
        elif name in {"ASSERT", "ASSERT_NOT"}:
            _walk(arg[1], inside_repeat)


def check_regex(pattern: str) -> re.Pattern[str]:
    """The compiled pattern, or RegexRefused saying why not."""
    if len(pattern) > MAX_REGEX_CHARS:
        raise RegexRefused(f"is longer than {MAX_REGEX_CHARS} characters")
    try:
        compiled = re.compile(pattern)
        parsed = sre_parse.parse(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        raise RegexRefused(f"is not a valid regular expression ({exc})") from None
    _walk(parsed, False)
    return compiled


def search(compiled: re.Pattern[str], text: str) -> bool:
    return compiled.search(text[:MAX_SUBJECT_CHARS]) is not None
