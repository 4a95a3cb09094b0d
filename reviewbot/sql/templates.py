"""Template expressions in SQL files (`{{ index .Options "Namespace" }}` of Go's text/template as
gobuffalo pop and similar migration runners expand them, Jinja's `{{ schema }}`), rewritten so
sqlglot reads the statements around them instead of skipping each one.

A qualifier (`{{ ... }}.users`) is dropped, so the table is `users` in findings and in the schema
catalog; any other expression becomes the identifier `template_value`. Edits go through segment
bookkeeping (`sql.text.apply_edits`): positions still point at the file's own text. psql
meta-commands (`\\connect db` in a script run with `psql -f`) are blanked the same way.
"""

from __future__ import annotations

import re

from reviewbot.sql.text import apply_edits

VALUE = "template_value"
# One expression on one line; `}}` cannot occur inside it in either template language's usual use.
_EXPRESSION = re.compile(r"\{\{[^{}\n]{0,200}\}\}")
_QUALIFIER_FOLLOWS = re.compile(r"\.[A-Za-z_\"]")


# psql meta-commands (`\connect db`, `\set ON_ERROR_STOP on`, `\i file.sql`): a line of a psql
# script, not SQL; blanked (same length, so no position moves).
_PSQL_META = re.compile(r"^\\[a-zA-Z!?][^\n]*", re.MULTILINE)


def template_edits(text: str) -> list[tuple[int, int, str]]:
    """(start, end, replacement) for each template expression and psql meta-command."""
    edits: list[tuple[int, int, str]] = []
    if "\\" in text:
        edits.extend(
            (m.start(), m.end(), " " * (m.end() - m.start())) for m in _PSQL_META.finditer(text)
        )
    if "{{" not in text:
        return edits
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
