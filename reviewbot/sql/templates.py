"""Template expressions in SQL files (`{{ index .Options "Namespace" }}` of Go's text/template as
gobuffalo pop and similar migration runners expand them, Jinja's `{{ schema }}`), rewritten so
sqlglot reads the statements around them instead of skipping each one.

A qualifier (`{{ ... }}.users`) is dropped, so the table is `users` in findings and in the schema
catalog; any other expression becomes the identifier `template_value`. Edits go through segment
bookkeeping (`sql.text.apply_edits`): positions still point at the file's own text.
"""

from __future__ import annotations

import re

from reviewbot.sql.text import apply_edits

VALUE = "template_value"
# One expression on one line; `}}` cannot occur inside it in either template language's usual use.
_EXPRESSION = re.compile(r"\{\{[^{}\n]{0,200}\}\}")
_QUALIFIER_FOLLOWS = re.compile(r"\.[A-Za-z_\"]")


def template_edits(text: str) -> list[tuple[int, int, str]]:
    """(start, end, replacement) for each template expression in `text`."""
    if "{{" not in text:
        return []
    edits: list[tuple[int, int, str]] = []
    for match in _EXPRESSION.finditer(text):
        start, end = match.span()
        if _QUALIFIER_FOLLOWS.match(text, end):
            edits.append((start, end + 1, ""))
        else:
            edits.append((start, end, VALUE))
    return edits


def expand_templates(
    text: str, segments: list[tuple[int, int]]
) -> tuple[str, list[tuple[int, int]]]:
    """`text` with its template expressions rewritten, and the segments that map it back."""
    return apply_edits(text, segments, template_edits(text))
