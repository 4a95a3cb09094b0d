"""Names in parsed SQL: table keys, column lists, and the tokens of statements sqlglot left as text."""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import TokenType, exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError, TokenError

from reviewbot.sql.source import SqlDocument, SqlStatement

# Where an unqualified table name lives. Postgres resolves it through search_path, whose first
# schema is `public` unless a project changes it; other dialects have no schema to fill in.
DEFAULT_SCHEMA = {"postgres": "public"}


def ident(node: exp.Expression | str | None) -> str:
    """An identifier's name, folded to lower case the way unquoted names are."""
    if node is None:
        return ""
    if isinstance(node, str):
        return node.lower()
    if isinstance(node, exp.Identifier):
        return str(node.this).lower()
    return node.name.lower()


def qualify(name: str, schema: str, dialect: str) -> str:
    schema = schema or DEFAULT_SCHEMA.get(dialect, "")
    return f"{schema}.{name}" if schema else name


def table_key(node: exp.Expression | None, dialect: str) -> str | None:
    """`schema.table` for a table reference (a `Table`, or the `Schema` of a CREATE TABLE)."""
    if isinstance(node, exp.Schema):
        node = node.this
    if not isinstance(node, exp.Table) or not node.name:
        return None
    return qualify(node.name.lower(), node.db.lower(), dialect)


def display(key: str) -> str:
    """A table key as a user wrote it most of the time (`public.` left out)."""
    return key.split(".", 1)[1] if key.startswith("public.") else key


def column_name(node: exp.Expression) -> str | None:
    """Name of a plain column reference in a column list; None for an expression."""
    if isinstance(node, exp.Ordered):
        node = node.this
    if isinstance(node, (exp.Identifier, exp.Column)):
        return ident(node)
    if isinstance(node, exp.Literal) and node.is_string:
        # MySQL reads `"col"` as a string; in a column list it can only be a name.
        return str(node.this).lower()
    return None


def column_list(nodes: list[exp.Expression] | None) -> tuple[str | None, ...]:
    return tuple(column_name(n) for n in nodes or ())


@dataclass(frozen=True, slots=True)
class Word:
    """One token of a statement sqlglot kept as `exp.Command`, positioned in its document."""

    kind: TokenType
    text: str
    start: int
    end: int

    @property
    def upper(self) -> str:
        return self.text.upper()


def command_words(document: SqlDocument, statement: SqlStatement) -> list[Word]:
    """The tokens of a statement (used for `exp.Command`, whose text sqlglot did not model)."""
    dialect = Dialect.get_or_raise(document.dialect)
    text = statement.text
    try:
        tokens = dialect.tokenize(text)
        base = [(t, statement.start) for t in tokens]
        if len(tokens) == 2 and tokens[1].token_type == TokenType.STRING:
            # The tokenizer swallows the rest of a statement it treats as a command (MySQL's
            # `RENAME TABLE ...`) into one string token; read that rest as tokens too.
            offset = tokens[0].end + 1
            rest = dialect.tokenize(text[offset:])
            base = [(tokens[0], statement.start)] + [(t, statement.start + offset) for t in rest]
    except (TokenError, SqlglotError, ValueError, IndexError):
        return []
    return [Word(t.token_type, t.text, at + t.start, at + t.end + 1) for t, at in base]


def qualified_name(words: list[Word], start: int) -> tuple[list[str], int]:
    """`a.b.c` read from `words[start:]`: the parts and the index after them."""
    parts: list[str] = []
    index = start
    while index < len(words):
        word = words[index]
        if word.kind in (TokenType.VAR, TokenType.IDENTIFIER) or (
            word.text and (word.text[0].isalpha() or word.text[0] == "_")
        ):
            parts.append(word.text.lower())
            index += 1
            if index < len(words) and words[index].kind == TokenType.DOT:
                index += 1
                continue
        break
    return parts, index


def command_table_key(parts: list[str], dialect: str) -> str | None:
    if not parts:
        return None
    return qualify(parts[-1], parts[-2] if len(parts) > 1 else "", dialect)


def rename_pairs(words: list[Word], dialect: str) -> list[tuple[str, str]]:
    """MySQL `RENAME TABLE a TO b, c TO d` -> [(a, b), (c, d)]."""
    pairs: list[tuple[str, str]] = []
    index = 2
    while index < len(words):
        old, index = qualified_name(words, index)
        if index >= len(words) or words[index].upper != "TO":
            break
        new, index = qualified_name(words, index + 1)
        old_key, new_key = command_table_key(old, dialect), command_table_key(new, dialect)
        if old_key and new_key:
            pairs.append((old_key, new_key))
        if index < len(words) and words[index].kind == TokenType.COMMA:
            index += 1
            continue
        break
    return pairs


def rename_targets(words: list[Word], dialect: str) -> list[str]:
    return [old for old, _ in rename_pairs(words, dialect)]
