"""Bounds on hostile input: nesting and size measured before a recursive parser runs, and a
thread with a large stack for input that is deep but legitimate."""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

# libcst's native (Rust) parser recurses once per nesting level and overflows the C stack, killing
# the process with SIGSEGV, somewhere between 1,000 and 10,000 levels; its Python visitors raise
# RecursionError far earlier. The deepest real code measured (the standard library and 3,000
# site-packages modules) nests 257 levels, in tables of implicitly concatenated strings; at 1,000
# levels every shape we tried parses in well under a second on an 8 MB stack.
MAX_PYTHON_NESTING = 1000
# CPython itself refuses more than 200 nested brackets ("too many nested parentheses"); libcst
# takes seconds per file well before 1,000.
MAX_PYTHON_BRACKETS = 200
# Every token counts (names, numbers and punctuation too, f-string fields included): the largest
# of 16,000 standard-library and site-packages modules measured has 145,235 (sympy's
# test_spin.py; the largest by the older count that skipped names and numbers had 86,504 of
# those, about 1.7 times fewer). libcst builds about three nodes per token, and its metadata
# costs about 1 KB and 100 us a node: 200,000 tokens is about 10 s and 500 MB.
MAX_PYTHON_TOKENS = 200_000
# Above this nesting the per-file pass runs on a thread with DEEP_STACK bytes of stack and a
# recursion limit of DEEP_RECURSION frames, so deep-but-legal files are checked, not refused.
SHALLOW_PYTHON_NESTING = 100
DEEP_STACK = 256 * 1024 * 1024
DEEP_RECURSION = 50_000

# sqlglot keeps every token of a document as an object (about 170 bytes each) and a parse tree of
# about 1 KB a token: a document is refused above MAX_SQL_TOKENS (estimated before tokenizing), a
# statement above MAX_SQL_STATEMENT_TOKENS (a data dump's INSERT, not something rules check).
MAX_SQL_TOKENS = 1_000_000
MAX_SQL_STATEMENT_TOKENS = 100_000
# Brackets nested in one statement: real SQL stays far below; sqlglot parses 300 on the default
# recursion limit.
MAX_SQL_NESTING = 100
# Type constructors nested in each other (`ARRAY[ARRAY[...]]`, `STRUCT(STRUCT(...))`): sqlglot
# first tries each as a data type and backtracks, so its parse time doubles with every level
# (20 levels take 6 s, 30 would take hours).
MAX_SQL_TYPE_NESTING = 10
# Subscripts chained on one value (`a[1][1][1]...`): sqlglot's parse time is quadratic in the
# chain (200 take 0.8 s, 6,000 took 355 s); real multi-dimensional arrays use a handful.
MAX_SQL_SUBSCRIPT_CHAIN = 32

# String bodies are unrolled loops with possessive repeats (`[^'\\]*+(?:\\.[^'\\]*+)*+`): a
# backtracking repeat costs the regex engine memory per iteration, 700 MB for a 5 MB literal.
# Every character that is not blank, in a comment or in a continuation belongs to a token: names,
# numbers and punctuation such as `==` or `:` are tokens too (a 7.5 MB `1 == 1 == ...` builds
# millions of nodes, and once slipped through by being neither bracket nor operator).
_PY_TOKEN = re.compile(
    r"""
    (?P<str>(?P<prefix>[rRbBuUfFtT]{0,2})(?:'''[^'\\]*+(?:(?:\\.?|'(?!''))[^'\\]*+)*+(?:'''|\Z)
        |\"\"\"[^"\\]*+(?:(?:\\.?|"(?!""))[^"\\]*+)*+(?:\"\"\"|\Z)
        |'[^'\\\n]*+(?:\\.?[^'\\\n]*+)*+(?:'|$)
        |"[^"\\\n]*+(?:\\.?[^"\\\n]*+)*+(?:"|$)))
    |(?P<comment>\#[^\n]*)
    |(?P<cont>\\\n)
    |(?P<open>[(\[{])
    |(?P<close>[)\]}])
    |(?P<sep>[,;])
    |(?P<nl>\n(?P<indent>[ \t]*)(?:(?=(?P<lead>elif\b|else\b|[^\s\#]))|))
    |(?P<op>\*\*|//|<<|>>|[=!<>]=|[-+*/%@&|^~<>.]|\b(?:and|or|not|in|is|if|else|lambda|await)\b)
    |(?P<word>\w+)
    |(?P<other>[^\s\\])
    """,
    re.VERBOSE | re.DOTALL | re.MULTILINE,
)
# In an f-string's literal part: a doubled brace is text, a single `{` opens a replacement field.
_FIELD = re.compile(r"\{\{|\}\}|\{")
_SQL_TOKEN = re.compile(r"\w+|[^\w\s]")
# f-strings nested in replacement fields in replacement fields...: past this the file is refused
# (Python 3.11 allows four levels, one per kind of quote).
MAX_FSTRING_NESTING = 50


@dataclass(frozen=True, slots=True)
class PythonShape:
    """How deep and how big a Python file is, measured without parsing it.

    `nesting` bounds the depth of the syntax tree from above: every bracket, every operator,
    attribute, call or subscript chained in one expression and every `elif` of one chain counts
    a level (commas, semicolons and new statements end a chain). `brackets` is the deepest
    bracket nesting; `tokens` counts every token (names, numbers, operators, punctuation,
    strings). The replacement fields of f-strings are measured as the code they are: each field
    is a bracket, and what it holds counts as everywhere else.
    """

    nesting: int
    brackets: int
    tokens: int

    @property
    def oversized(self) -> bool:
        return self.tokens > MAX_PYTHON_TOKENS

    def refusal(self) -> str | None:
        """Why the file is not parsed, or None when it is within every limit."""
        if self.oversized:
            return (
                f"{self.tokens:,} tokens, more than the {MAX_PYTHON_TOKENS:,} reviewbot parses "
                "(generated code or data?)"
            )
        if self.brackets > MAX_PYTHON_BRACKETS:
            return (
                f"brackets nested {self.brackets} deep (f-string fields included), more than "
                f"the {MAX_PYTHON_BRACKETS} CPython accepts"
            )
        if self.nesting > MAX_PYTHON_NESTING:
            return (
                f"expressions nested about {self.nesting} levels deep, more than the "
                f"{MAX_PYTHON_NESTING} reviewbot parses"
            )
        return None


class _Measure:
    """The running counts of `python_shape`, fed token by token."""

    def __init__(self) -> None:
        self.levels = [0]  # chained operands per open bracket
        self.depth = self.best = self.brackets = self.tokens = 0
        self.elifs: dict[int, int] = {}  # `elif` chain length by indentation
        self.fstrings = 0  # f-strings open around the current position

    def run(self, text: str, start: int, end: int, floor: int) -> int:
        """Measure `text[start:end]`; stop after the close that leaves `floor` brackets open
        (the end of an f-string field) and return where it stopped."""
        for match in _PY_TOKEN.finditer(text, start, end):
            kind = match.lastgroup
            levels = self.levels
            if kind != "comment" and kind != "cont" and kind != "nl":
                self.tokens += 1  # comments, continuations and newlines are not tokens
            if kind == "op" or kind == "str":
                levels[-1] += 1
                self.depth += 1
                if kind == "str":
                    prefix = match.group("prefix").lower()
                    if "f" in prefix or "t" in prefix:
                        self._fstring(text, match.start(), match.end(), len(prefix))
            elif kind == "open":
                levels.append(0)
                self.depth += 1
                self.brackets = max(self.brackets, len(levels) - 1)
            elif kind == "close":
                if len(levels) > 1:
                    self.depth -= levels.pop() + 1
                    # The bracketed group is an operand of the enclosing expression: call and
                    # subscript trailers (`f()()`, `a[0][0]`) nest one level per group.
                    levels[-1] += 1
                    self.depth += 1
                    if len(levels) - 1 == floor:
                        return match.end()
            elif kind == "sep":
                self.depth -= levels[-1]
                levels[-1] = 0
            elif kind == "nl" and len(levels) == 1:
                self.depth -= levels[0]
                levels[0] = 0
                lead = match.group("lead")
                if lead is not None:
                    width = len(match.group("indent"))
                    if lead == "elif":
                        self.elifs[width] = self.elifs.get(width, 0) + 1
                        self.best = max(self.best, self.elifs[width])
                    elif lead != "else" and self.elifs:
                        self.elifs = {w: n for w, n in self.elifs.items() if w < width}
            if self.depth > self.best:
                self.best = self.depth
        return end

    def _fstring(self, text: str, start: int, end: int, prefix: int) -> None:
        """Measure the replacement fields of the f-string `text[start:end]` as code."""
        quote = 3 if text.startswith(("'''", '"""'), start + prefix) else 1
        body_end = end - quote if end - start >= prefix + 2 * quote else end
        position = start + prefix + quote
        if self.fstrings >= MAX_FSTRING_NESTING:
            self.best = max(self.best, MAX_PYTHON_NESTING + 1)
            return
        self.fstrings += 1
        saved = (self.levels, self.depth)
        # Inside the string, fields nest on top of the brackets that enclose the string.
        self.levels = [*self.levels[:-1], 0]
        while position < body_end:
            found = _FIELD.search(text, position, body_end)
            if found is None:
                break
            position = found.end()
            if found.group() != "{":
                continue
            floor = len(self.levels) - 1
            self.levels.append(0)
            self.depth += 1
            self.brackets = max(self.brackets, len(self.levels) - 1)
            self.best = max(self.best, self.depth)
            position = self.run(text, position, body_end, floor)
            # A field left open at the string's end closes there.
            while len(self.levels) - 1 > floor:
                self.depth -= self.levels.pop() + 1
        self.levels, self.depth = saved
        self.fstrings -= 1


def python_shape(text: str) -> PythonShape:
    """Measure `text` in one regex pass (a few MB/s); comments are skipped, strings count as
    one token each except the fields of f-strings, measured as code."""
    measure = _Measure()
    measure.run(text, 0, len(text), -1)
    return PythonShape(nesting=measure.best, brackets=measure.brackets, tokens=measure.tokens)


def estimate_sql_tokens(text: str) -> int:
    """An upper estimate of how many tokens sqlglot makes of `text`, counted at C speed."""
    return _SQL_TOKEN.subn("", text)[1]


_local = threading.local()
_limit_lock = threading.Lock()
_deep_threads = 0
_saved_limit = 0


def _raise_limit() -> None:
    global _deep_threads, _saved_limit
    with _limit_lock:
        if _deep_threads == 0:
            _saved_limit = sys.getrecursionlimit()
            sys.setrecursionlimit(max(_saved_limit, DEEP_RECURSION))
        _deep_threads += 1


def _restore_limit() -> None:
    global _deep_threads
    with _limit_lock:
        _deep_threads -= 1
        if _deep_threads == 0:
            sys.setrecursionlimit(_saved_limit)


def in_deep_thread() -> bool:
    return bool(getattr(_local, "deep", False))


def run_deep(function: Callable[..., T], *args: object) -> T:
    """`function(*args)` on a thread with a DEEP_STACK-byte stack and a recursion limit of
    DEEP_RECURSION; its exception, if any, is raised here. Runs inline if no thread can start."""
    outcome: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        _local.deep = True
        _raise_limit()
        try:
            outcome.append(function(*args))
        except BaseException as exc:  # handed to the calling thread
            failure.append(exc)
        finally:
            _restore_limit()

    try:
        previous = threading.stack_size(DEEP_STACK)
    except (ValueError, RuntimeError):
        return function(*args)
    try:
        worker = threading.Thread(target=target, name="reviewbot-deep", daemon=True)
        worker.start()
    except RuntimeError:  # no memory for the stack, or a thread limit
        return function(*args)
    finally:
        threading.stack_size(previous)
    worker.join()
    if failure:
        raise failure[0]
    return outcome[0]
