"""Text from the scanned repository made safe to print: no control characters, no workflow commands.

A file name, a quoted identifier or an agent's `name:` can hold a newline followed by
`::stop-commands::x` (which turns off every annotation after it in a GitHub Actions log), or a
terminal escape sequence. Every reporter passes such text through `printable`, and every report
that is printed goes through `no_commands`, which defuses a line that would still start with `::`
(the runner trims leading whitespace before it looks) or hold the older `##[` form.
"""

from __future__ import annotations

import re

# C0 and C1 control characters (tab excepted), DEL, the Unicode line and paragraph separators,
# and the bidirectional overrides and isolates a terminal or a log viewer would act on.
# Characters a terminal, a log viewer or a renderer acts on (C0/C1 controls but newline, line
# separators, bidi overrides): one class, shared by every output that escapes them.
CONTROL_CLASS = r"\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(rf"[\x0a{CONTROL_CLASS}]")
# What the runner's TrimStart removes before looking for `::` (.NET char.IsWhiteSpace).
_LEADING_SPACE = " \t\x0b\x0c\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` on one line with every control character written as `\\xNN` / `\\uNNNN`."""
    return _CONTROL.sub(_escape_char, text)


def defuse_line(line: str) -> str:
    """`line`, with a leading `::` (after whitespace) and any `##[` written so that the Actions
    runner does not read the line as a workflow command."""
    body = line.lstrip(_LEADING_SPACE)
    if body.startswith("::"):
        cut = len(line) - len(body)
        line = f"{line[:cut]}\\x3a{body[1:]}"
    return line.replace("##[", "#\\x23[")


def no_commands(report: str) -> str:
    """A whole report with `defuse_line` applied to each line (for every format but `github`,
    whose lines are the annotations reviewbot means to write)."""
    # The runner also ends a line at a lone carriage return.
    report = re.sub(r"\r(?!\n)", r"\\x0d", report)
    if "::" not in report and "##[" not in report:
        return report
    return "\n".join(defuse_line(line) for line in report.split("\n"))


def terminal_safe(report: str) -> str:
    """A finished plain-text report (no colour codes of its own) made safe to print: control
    characters escaped on every line, no line a workflow command."""
    return no_commands("\n".join(printable(line) for line in report.split("\n")))


_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def json_safe(document: str) -> str:
    """JSON written with `ensure_ascii=False`, with the characters JSON does not escape itself
    (DEL, C1 controls, line separators, bidi overrides) as `\\uNNNN`; they only occur inside
    strings, so the document means the same."""
    escaped = _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m[0]):04x}", document)
    return escaped.replace("##[", "#\\u0023[")


def is_command_line(line: str) -> bool:
    """Whether GitHub's runner would read `line` as a workflow command."""
    return line.lstrip(_LEADING_SPACE).startswith("::") or "##[" in line


__all__ = [
    "defuse_line",
    "is_command_line",
    "json_safe",
    "no_commands",
    "printable",
    "terminal_safe",
]
