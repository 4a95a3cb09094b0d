"""Text from the scanned repository made inert in GitHub markdown: no mention, HTML, link or marker.

A pull request chooses its file names, quoted SQL identifiers, agent documents and code, and all
of them reach review comments and the summary. There, `@someone` would notify a stranger,
`<img src=...>` and `[x](https://...)` would render, and `<!-- reviewbot:... -->` would forge one
of reviewbot's hidden markers. Every interpolated value goes through `inline` (prose that may hold
the `code spans` a rule wrote around a name) or `code` (a value shown as one code span).
"""

from __future__ import annotations

import re

from reviewbot.output.escape import CONTROL_CLASS

ZWJ = "\u200d"  # after `@`: GitHub no longer sees a mention; the text reads the same
ZWSP = "\u200b"
# GitHub's mention syntax (`@user`, `@org/team`), cross-references (`#12`, `owner/repo#12`) and
# the start of an HTML comment, which is how reviewbot's markers begin.
_MENTION = re.compile(r"@(?=[A-Za-z0-9_-])")
_REFERENCE = re.compile(r"#(?=\d)")
_COMMENT_OPEN = re.compile(r"<!-{0,2}")
# Outside code spans: everything markdown or HTML gives a meaning to, backslash-escaped.
_SPECIAL = re.compile(r"([\\`*_\[\]<>!|~&])")
_AUTOLINK = re.compile(r"(?i)://|www\.")
_BACKTICKS = re.compile(r"`+")
_WHITESPACE = re.compile(r"\s+")
_CONTROL = re.compile(f"[{CONTROL_CLASS}]")


def _one_line(text: str) -> str:
    return _WHITESPACE.sub(" ", _CONTROL.sub("\ufffd", text)).strip()


def _defuse(text: str) -> str:
    """What even a code span must not carry: a marker's opening, or a mention."""
    text = _COMMENT_OPEN.sub(lambda m: m[0][:2] + ZWSP + m[0][2:] if len(m[0]) > 1 else m[0], text)
    return _MENTION.sub("@" + ZWJ, text)


def _plain(text: str, references: bool = False) -> str:
    # GitHub turns bare `https://...` and `www....` into links: break them with a zero-width space.
    text = _AUTOLINK.sub(lambda m: m[0][:1] + ZWSP + m[0][1:], text)
    escaped = _SPECIAL.sub(r"\\\1", text)
    escaped = _defuse(escaped)
    return escaped if references else _REFERENCE.sub("#" + ZWSP, escaped)


def code(text: str, *, table: bool = False) -> str:
    """`text` as one code span, whatever backticks it holds (`table`: inside a table cell)."""
    body = _defuse(_one_line(text))
    if table:
        body = body.replace("|", "\\|")
    if not body:
        return "` `"
    longest = max((len(run) for run in _BACKTICKS.findall(body)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if body.startswith("`") or body.endswith("`") or longest else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def inline(text: str, *, table: bool = False, references: bool = False) -> str:
    """Prose from a rule or the repository on one line: the code spans it holds (as CommonMark
    pairs backtick runs) are kept as code, everything else is escaped (`table`: pipes too, which
    end a table cell even inside a code span; `references`: leave `#12` to link, for text
    reviewbot wrote around a value)."""
    text = _one_line(text)
    out: list[str] = []
    i = 0
    runs = list(_BACKTICKS.finditer(text))
    k = 0
    while k < len(runs):
        opening = runs[k]
        closing = next(
            (r for r in runs[k + 1 :] if len(r[0]) == len(opening[0])),
            None,
        )
        if closing is None:
            k += 1
            continue
        out.append(_plain(text[i : opening.start()], references))
        span = _defuse(text[opening.end() : closing.start()])
        if table:
            span = span.replace("|", "\\|")
        out.append(opening[0] + span + closing[0])
        i = closing.end()
        k = runs.index(closing) + 1
    out.append(_plain(text[i:], references))
    return "".join(out)


def link(label: str, url: str) -> str:
    """`[label](url)`, the URL percent-encoded where markdown would end it."""
    safe = re.sub(r"[\s()<>\[\]\"'`]", lambda m: f"%{ord(m[0]):02X}", url)
    return f"[{label}]({safe})"


__all__ = ["code", "inline", "link"]
