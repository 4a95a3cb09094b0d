"""SQL documents: text from a `.sql` file or a Python string, split and parsed once with sqlglot."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlglot import TokenType, exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, SqlglotError

from reviewbot.model.findings import ErrorKind, ScanError
from reviewbot.sql.text import host_offset as text_host_offset
from reviewbot.workspace.guards import (
    MAX_SQL_NESTING,
    MAX_SQL_STATEMENT_TOKENS,
    MAX_SQL_SUBSCRIPT_CHAIN,
    MAX_SQL_TOKENS,
    MAX_SQL_TYPE_NESTING,
    estimate_sql_tokens,
    in_deep_thread,
)
from reviewbot.workspace.sources import SourceFile

# sqlglot logs "unsupported syntax, falling back to Command" for every statement it cannot model;
# we handle exp.Command ourselves, so the log line is noise in a user's terminal.
logging.getLogger("sqlglot").setLevel(logging.CRITICAL)


# sqlglot reads any bare expression as a statement (`SELEC x` is "SELEC AS x"); a statement that
# parses to one of these is a typo or garbage, and is reported instead of silently checked.
NOT_STATEMENTS = (
    exp.Alias,
    exp.Column,
    exp.Identifier,
    exp.Var,
    exp.Literal,
    exp.Binary,
    exp.Paren,
    exp.Tuple,
    exp.Star,
)


@dataclass(slots=True)
class SqlStatement:
    """One statement: its parse (None when sqlglot could not read it) and its span in the document."""

    expression: exp.Expression | None
    start: int
    end: int
    text: str


@dataclass(slots=True)
class SqlDocument:
    """SQL text positioned in a host file (the `.sql` file itself, or a `.py` file holding a string).

    `segments` maps document offsets to host offsets: each `(doc_start, host_start)` pair says that
    document text from `doc_start` on was copied from the host beginning at `host_start`.
    """

    host: SourceFile
    text: str
    dialect: str
    origin: str = "file"
    segments: list[tuple[int, int]] = field(default_factory=lambda: [(0, 0)])
    statements: list[SqlStatement] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    # Filled by whoever recognises the document (e.g. migration up/down sections); free for rules.
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return self.host.path

    def host_offset(self, offset: int) -> int:
        return text_host_offset(self.segments, offset)

    def host_position(self, offset: int) -> tuple[int, int]:
        return self.host.position(self.host_offset(offset))


def _clean_error(exc: Exception) -> str:
    if not isinstance(exc, SqlglotError):
        return f"{type(exc).__name__} in sqlglot: {str(exc)[:80]}"
    errors = getattr(exc, "errors", None)
    if errors:
        description = str(errors[0].get("description") or "")
        if description:
            return description
    return str(exc).split("\n", 1)[0].replace("\x1b[4m", "").replace("\x1b[0m", "")


_OPENERS = frozenset({TokenType.L_PAREN, TokenType.L_BRACKET, TokenType.L_BRACE})
_CLOSERS = frozenset({TokenType.R_PAREN, TokenType.R_BRACKET, TokenType.R_BRACE})


def _refusal(chunk: list[Any], type_tokens: frozenset[TokenType]) -> str | None:
    """Why sqlglot must not parse this statement (too big, too deep), or None."""
    if len(chunk) > MAX_SQL_STATEMENT_TOKENS:
        return (
            f"has {len(chunk):,} tokens, more than the {MAX_SQL_STATEMENT_TOKENS:,} reviewbot "
            "parses in one statement (a data dump?)"
        )
    typed: list[bool] = []  # per open bracket: does it follow a type name (ARRAY[, STRUCT()?
    typed_depth = 0
    chains = [0]  # per bracket depth: subscripts chained so far (`a[1][2]` is two)
    previous = None
    for token in chunk:
        kind = token.token_type
        if kind in _OPENERS:
            if kind == TokenType.L_BRACKET:
                chained = chains[-1] + 1 if previous == TokenType.R_BRACKET else 1
                chains[-1] = chained
                if chained > MAX_SQL_SUBSCRIPT_CHAIN:
                    return (
                        f"chains more than {MAX_SQL_SUBSCRIPT_CHAIN} subscripts such as a[1][2] "
                        "(sqlglot's time grows with the square of the chain)"
                    )
            chains.append(0)
            is_typed = previous in type_tokens
            typed.append(is_typed)
            typed_depth += is_typed
            if len(typed) > MAX_SQL_NESTING:
                return f"nests brackets more than {MAX_SQL_NESTING} deep"
            if typed_depth > MAX_SQL_TYPE_NESTING:
                return (
                    f"nests type constructors such as ARRAY[...] or STRUCT(...) more than "
                    f"{MAX_SQL_TYPE_NESTING} deep (sqlglot's time doubles with each level)"
                )
        elif kind in _CLOSERS and typed:
            typed_depth -= typed.pop()
            chains.pop()
        elif kind not in _CLOSERS:
            chains[-1] = 0
        previous = kind
    return None


def split_and_parse(document: SqlDocument) -> SqlDocument:
    """Fill `document.statements`; a statement sqlglot cannot read becomes an error, not a stop."""
    dialect = Dialect.get_or_raise(document.dialect)
    text = document.text
    estimate = estimate_sql_tokens(text)
    if estimate > MAX_SQL_TOKENS:
        line, col = document.host_position(0)
        document.errors.append(
            ScanError(
                ErrorKind.TOO_LARGE,
                document.path,
                f"SQL of about {estimate:,} tokens is more than the {MAX_SQL_TOKENS:,} reviewbot "
                "checks (a data dump?); no rule checked this SQL",
                line=line,
                column=col,
            )
        )
        return document
    type_tokens = frozenset(dialect.parser_class.TYPE_TOKENS)
    try:
        tokens = dialect.tokenize(text)
    except Exception as exc:  # TokenError mostly, but any failure means "cannot tokenize"
        line, col = document.host_position(0)
        document.errors.append(
            ScanError(
                ErrorKind.PARSE_ERROR,
                document.path,
                f"SQL could not be tokenized ({_clean_error(exc)}); no rule checked this SQL",
                line=line,
                column=col,
            )
        )
        return document
    chunks: list[list[Any]] = []
    current: list[Any] = []
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            if current:
                chunks.append(current)
            current = []
        else:
            current.append(token)
    if current:
        chunks.append(current)

    for chunk in chunks:
        start, end = chunk[0].start, chunk[-1].end + 1
        statement_text = text[start:end]
        refusal = _refusal(chunk, type_tokens)
        if refusal is not None:
            line, col = document.host_position(start)
            document.errors.append(
                ScanError(
                    ErrorKind.PARSE_ERROR,
                    document.path,
                    f"SQL statement not parsed: it {refusal}; it was skipped, the rest of the "
                    "file was checked",
                    line=line,
                    column=col,
                )
            )
            document.statements.append(SqlStatement(None, start, end, statement_text))
            continue
        try:
            parsed = dialect.parser().parse(chunk, text)
            # Every node sqlglot builds is an `Expression` (`Expr` is only its typing base).
            expression = next((e for e in parsed if isinstance(e, exp.Expression)), None)
            if isinstance(expression, NOT_STATEMENTS):
                raise ParseError(f"`{statement_text[:40]}` is not a SQL statement")
        except RecursionError:
            if not in_deep_thread():
                raise  # the caller redoes the file on a large stack (guards.run_deep)
            expression = None
            line, col = document.host_position(start)
            document.errors.append(
                ScanError(
                    ErrorKind.PARSE_ERROR,
                    document.path,
                    "SQL statement nested too deeply to parse; it was skipped, the rest of the "
                    "file was checked",
                    line=line,
                    column=col,
                )
            )
        except Exception as exc:  # sqlglot raises TypeError, KeyError... on some garbage too
            expression = None
            line, col = document.host_position(start)
            document.errors.append(
                ScanError(
                    ErrorKind.PARSE_ERROR,
                    document.path,
                    f"SQL statement not understood ({_clean_error(exc)}); it was skipped, "
                    "the rest of the file was checked",
                    line=line,
                    column=col,
                )
            )
        document.statements.append(SqlStatement(expression, start, end, statement_text))
    return document


def node_span(node: exp.Expression, statement: SqlStatement) -> tuple[int, int]:
    """Character span of a node: sqlglot only positions leaves, so take the span of its leaves."""
    if node is statement.expression:
        return statement.start, statement.end
    starts: list[int] = []
    ends: list[int] = []
    for child in node.walk():
        meta = child.meta if hasattr(child, "_meta") and child._meta else None
        if meta and "start" in meta:
            starts.append(int(meta["start"]))
            ends.append(int(meta["end"]) + 1)
    if not starts:
        return statement.start, statement.end
    lo = max(min(starts), statement.start)
    hi = min(max(ends), statement.end)
    return (lo, hi) if lo < hi else (statement.start, statement.end)
