"""Driver placeholders (`%s`, `%(name)s`, `?`, `:name`, `:1`, `$1`) rewritten so sqlglot parses them.

Every placeholder becomes `@1`, padded with spaces to the placeholder's own length, which each
dialect reads as `exp.Parameter` over a *positioned* literal (sqlglot keeps no position on
`exp.Placeholder`, so a finding on `OFFSET ?` could not be placed). Same-length replacement
moves no offset; the only length changes, a one-character `?` becoming `@1` and pyformat's `%%`
becoming `%`, go through segment bookkeeping. Placeholders are found with the dialect's own
tokenizer, so text inside string literals, quoted identifiers and comments is never touched.
"""

from __future__ import annotations

from sqlglot import TokenType
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError, TokenError
from sqlglot.tokens import Token

from reviewbot.sql.text import apply_edits

PARAMETER = "@1"
_PYFORMAT_TYPES = frozenset({"s", "b", "t"})
# A colon right after one of these is a slice (`arr[1:2]`) or a cast, not a placeholder.
_VALUE_TOKENS = frozenset(
    {
        TokenType.NUMBER,
        TokenType.VAR,
        TokenType.IDENTIFIER,
        TokenType.R_BRACKET,
        TokenType.L_BRACKET,
        TokenType.R_PAREN,
        TokenType.COLON,
    }
)


def _adjacent(tokens: list[Token], index: int, count: int) -> bool:
    if index + count > len(tokens):
        return False
    return all(tokens[i].end + 1 == tokens[i + 1].start for i in range(index, index + count - 1))


def _parameter(start: int, end: int) -> tuple[int, int, str]:
    return start, end, PARAMETER.ljust(end - start)


def placeholder_edits(text: str, dialect: str) -> tuple[list[tuple[int, int, str]], bool]:
    """Edits that make `text`'s placeholders parse, and whether the text uses pyformat (`%s`)."""
    try:
        tokens = Dialect.get_or_raise(dialect).tokenize(text)
    except (TokenError, SqlglotError, ValueError, IndexError):
        return [], False
    edits: list[tuple[int, int, str]] = []
    pyformat = False
    index = 0
    while index < len(tokens):
        token = tokens[index]
        kind = token.token_type
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if kind == TokenType.MOD and following is not None:
            # `%s`: MOD then the letter; `%(name)s`: MOD ( name ) letter, all adjacent.
            if (
                _adjacent(tokens, index, 2)
                and following.token_type == TokenType.VAR
                and following.text in _PYFORMAT_TYPES
            ):
                pyformat = True
                edits.append(_parameter(token.start, following.end + 1))
                index += 2
                continue
            if (
                _adjacent(tokens, index, 5)
                and following.token_type == TokenType.L_PAREN
                and tokens[index + 2].text.isidentifier()
                and tokens[index + 3].token_type == TokenType.R_PAREN
                and tokens[index + 4].text in _PYFORMAT_TYPES
            ):
                pyformat = True
                edits.append(_parameter(token.start, tokens[index + 4].end + 1))
                index += 5
                continue
        elif kind == TokenType.COLON and following is not None and _adjacent(tokens, index, 2):
            previous = tokens[index - 1] if index else None
            after_value = (
                previous is not None
                and previous.end + 1 == token.start
                and previous.token_type in _VALUE_TOKENS
            )
            if not after_value and (
                following.token_type == TokenType.NUMBER or following.text.isidentifier()
            ):
                edits.append(_parameter(token.start, following.end + 1))
                index += 2
                continue
        elif kind == TokenType.PARAMETER and following is not None and _adjacent(tokens, index, 2):
            # `$1` (asyncpg, Postgres prepared statements).
            if following.token_type == TokenType.NUMBER:
                edits.append(_parameter(token.start, following.end + 1))
                index += 2
                continue
        elif token.text.startswith("$") and token.text[1:].isdigit():
            # `$1` read as one token (MySQL, SQLite).
            edits.append(_parameter(token.start, token.end + 1))
        elif kind == TokenType.PLACEHOLDER and token.text == "?" and dialect != "postgres":
            # In Postgres `?` is also the jsonb key-exists operator; it parses there as is.
            edits.append((token.start, token.end + 1, PARAMETER))
        index += 1
    if pyformat:
        edits.extend(_percent_escapes(text, tokens))
    return edits, pyformat


def _percent_escapes(text: str, tokens: list[Token]) -> list[tuple[int, int, str]]:
    """pyformat doubles literal percent signs (`LIKE 'a%%'`); the database sees one."""
    edits: list[tuple[int, int, str]] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.token_type == TokenType.STRING:
            source = text[token.start : token.end + 1]
            at = source.find("%%")
            while at >= 0:
                edits.append((token.start + at, token.start + at + 2, "%"))
                at = source.find("%%", at + 2)
        elif (
            token.token_type == TokenType.MOD
            and index + 1 < len(tokens)
            and tokens[index + 1].token_type == TokenType.MOD
            and _adjacent(tokens, index, 2)
        ):
            edits.append((token.start, tokens[index + 1].end + 1, "%"))
            index += 1
        index += 1
    return edits


def normalise(
    text: str, segments: list[tuple[int, int]], dialect: str
) -> tuple[str, list[tuple[int, int]]]:
    """`text` with its placeholders made parseable; `segments` still map every offset home."""
    edits, _ = placeholder_edits(text, dialect)
    return apply_edits(text, segments, edits)
