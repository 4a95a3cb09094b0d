"""Driver placeholders (`%s`, `%(name)s`, `?`, `:name`, `$1`, `:1`) rewritten so sqlglot parses them.

Found with the dialect's own tokenizer (so text inside string literals, quoted identifiers and
comments is never touched) and replaced by a placeholder of the same length that the dialect
reads as `exp.Placeholder`, so no offset moves. The one exception is pyformat's `%%`, which
stands for `%` and is shortened with segment bookkeeping.
"""

from __future__ import annotations

from sqlglot import TokenType
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError, TokenError
from sqlglot.tokens import Token

from reviewbot.sqlkit.text import apply_edits

# Dialects whose own grammar reads `%s` / `%(name)s` and `$1` as parameters.
_PYFORMAT_NATIVE = frozenset({"postgres"})
_DOLLAR_NATIVE = frozenset({"postgres"})
_PYFORMAT_TYPES = frozenset({"s", "b", "t"})
_NAME_TOKENS = frozenset({TokenType.VAR, TokenType.IDENTIFIER})


def _adjacent(tokens: list[Token], index: int, count: int) -> bool:
    if index + count > len(tokens):
        return False
    return all(tokens[i].end + 1 == tokens[i + 1].start for i in range(index, index + count - 1))


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
        if kind == TokenType.MOD:
            # `%s`: MOD then the letter; `%(name)s`: MOD ( name ) letter, all adjacent.
            if (
                _adjacent(tokens, index, 2)
                and tokens[index + 1].token_type == TokenType.VAR
                and tokens[index + 1].text in _PYFORMAT_TYPES
            ):
                pyformat = True
                if dialect not in _PYFORMAT_NATIVE:
                    edits.append((token.start, tokens[index + 1].end + 1, "? "))
                index += 2
                continue
            if (
                _adjacent(tokens, index, 5)
                and tokens[index + 1].token_type == TokenType.L_PAREN
                and tokens[index + 2].token_type in _NAME_TOKENS
                and tokens[index + 3].token_type == TokenType.R_PAREN
                and tokens[index + 4].text in _PYFORMAT_TYPES
            ):
                pyformat = True
                if dialect not in _PYFORMAT_NATIVE:
                    start, end = token.start, tokens[index + 4].end + 1
                    name = tokens[index + 2].text
                    if not name.isidentifier():
                        name = "p"
                    edits.append((start, end, (":" + name).ljust(end - start)))
                index += 5
                continue
        elif kind == TokenType.COLON and _adjacent(tokens, index, 2):
            # `:1` (numeric style) parses nowhere; `:name` parses everywhere.
            following = tokens[index + 1]
            if following.token_type == TokenType.NUMBER and following.text.isdigit():
                edits.append(
                    (token.start, following.end + 1, "?".ljust(following.end + 1 - token.start))
                )
                index += 2
                continue
        elif (
            dialect not in _DOLLAR_NATIVE
            and token.text.startswith("$")
            and token.text[1:].isdigit()
        ):
            edits.append((token.start, token.end + 1, "?".ljust(token.end + 1 - token.start)))
        elif (
            dialect not in _DOLLAR_NATIVE
            and kind == TokenType.PARAMETER
            and _adjacent(tokens, index, 2)
            and tokens[index + 1].token_type == TokenType.NUMBER
        ):
            end = tokens[index + 1].end + 1
            edits.append((token.start, end, "?".ljust(end - token.start)))
            index += 2
            continue
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
