"""Inline markdown for checklist text: stripping emphasis, links and code marks; labels; tables."""

from __future__ import annotations

import re

MAX_TEXT = 2000

_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_IMAGE = re.compile(r"!\[([^\]\n]*)\]\([^)\n]*\)")
_LINK = re.compile(r"\[([^\]\n]+)\]\([^)\n]*\)")
_REF_LINK = re.compile(r"\[([^\]\n]+)\]\[[^\]\n]*\]")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_INLINE_HTML = re.compile(
    r"</?(?:br|b|i|em|strong|code|span|div|p|sup|sub|kbd|u|s|del|ins|mark|small|details|summary)"
    r"\b[^>]*>",
    re.IGNORECASE,
)
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EM_STAR = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![\w*])")
_EM_UNDER = re.compile(r"(?<![\w])_(?=[^\s_])([^_\n]+?)(?<=[^\s_])_(?![\w])")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~<])")
_BOLD_ONLY = re.compile(r"^\s*(\*\*|__)(?=\S)(.+?)(?<=\S)\1\s*:?\s*$")
_BOLD_START = re.compile(r"^\s*(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
LABEL_SEPARATORS = (":", "-", "\u2013", "\u2014")
_SEPARATOR = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")


def _absent(text: str, count: int) -> list[str]:
    """`count` private-use characters that do not occur in `text` (a text of n characters leaves
    all but n of the 6,400 free), so no input can forge or break a placeholder."""
    present = set(text)
    out: list[str] = []
    code = 0xE000
    while len(out) < count:
        if chr(code) not in present:
            out.append(chr(code))
        code += 1
    return out


class _Placeholders:
    """Text set aside while emphasis is removed (code spans, backslash-escaped characters), each
    replaced by OPEN index CLOSE. To the emphasis patterns a placeholder looks like one character
    that is neither a word character, a space nor markdown punctuation, as the escaped character
    must; OPEN and CLOSE are chosen absent from the text, so input can never collide with them."""

    def __init__(self, text: str) -> None:
        self.open, self.close = _absent(text, 2)
        self.values: list[str] = []
        self.pattern = re.compile(f"{re.escape(self.open)}(\\d+){re.escape(self.close)}")

    def hold(self, value: str) -> str:
        self.values.append(value)
        return f"{self.open}{len(self.values) - 1}{self.close}"

    def restore(self, text: str) -> str:
        values = self.values
        return self.pattern.sub(lambda m: values[int(m.group(1))], text)


def _strip_prose(text: str, held: _Placeholders) -> str:
    text = _ESCAPE.sub(lambda m: held.hold(m.group(1)), text)
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _INLINE_HTML.sub(" ", text)
    text = _STRONG.sub(r"\2", text)
    text = _EM_STAR.sub(r"\1", text)
    text = _EM_UNDER.sub(r"\1", text)
    return _STRIKE.sub(r"\1", text)


def strip_markdown(text: str) -> str:
    """Plain text: emphasis, links and code marks removed (code content kept), spaces collapsed."""
    if len(text) > MAX_TEXT:
        # Long lines stay items, but inline parsing of megabyte lines is not worth its cost.
        text = text[:MAX_TEXT] + "\u2026"
    # Code spans are set aside first (emphasis may wrap them: **`NOT NULL` columns**) and put
    # back verbatim, so `SELECT *` and `snake_case` survive emphasis stripping.
    held = _Placeholders(text)
    text = _CODE_SPAN.sub(lambda m: held.hold(m.group(2).strip()), text)
    text = held.restore(_strip_prose(text, held))
    return " ".join(text.split())


def bold_only(text: str) -> bool:
    """`**Your Core Expertise:**`, `**Security**:`: a line that is nothing but bold text."""
    match = _BOLD_ONLY.match(text[:MAX_TEXT])
    return match is not None and match.group(1) not in match.group(2)


def label_parts(text: str) -> tuple[str | None, str]:
    """(`Label`, `text`) for `**Label**: text`, `**Label:** text` and `**Label** - text`."""
    match = _BOLD_START.match(text[:MAX_TEXT])
    if not match or match.group(1) in match.group(2):
        return None, ""
    label, after = match.group(2), text[match.end() :]
    if label.endswith(":"):
        return label.rstrip(":").strip(), after.lstrip(" \t:").strip()
    stripped = after.lstrip()
    for sep in LABEL_SEPARATORS:
        if stripped.startswith(sep) and (sep == ":" or stripped[1:2].isspace()):
            return label.strip(), stripped[len(sep) :].strip()
    return None, ""


def is_separator(line: str) -> bool:
    """The `|---|:--:|` line under a table header."""
    return "|" in line and "-" in line and len(line) < 10_000 and bool(_SEPARATOR.match(line))


def split_row(line: str) -> list[str]:
    """The cells of a table row, markdown stripped."""
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    return [strip_markdown(cell.replace("\\|", "|")) for cell in _CELL_SPLIT.split(body)]
