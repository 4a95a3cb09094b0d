"""Gitignore-flavoured glob matching for `exclude`, `per-file-ignores` and `agents` patterns."""

from __future__ import annotations

import functools
import re


def _char_class(body: str) -> str | None:
    """A `[...]` glob class as a regex class (`!` or `^` negates; `a-z` ranges), every other
    character escaped, so no config value can make an invalid or nested-set regex; None when the
    class is empty or has a reversed range."""
    negate = body[:1] in ("!", "^")
    if negate:
        body = body[1:]
    if not body:
        return None
    parts: list[str] = []
    i = 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            low, high = body[i], body[i + 2]
            if low > high:
                return None
            parts.append(f"{re.escape(low)}-{re.escape(high)}")
            i += 3
        else:
            parts.append(re.escape(body[i]))
            i += 1
    return f"[{'^' if negate else ''}{''.join(parts)}]"


@functools.lru_cache(maxsize=512)
def _compile(pattern: str) -> re.Pattern[str]:
    pat = pattern.strip().replace("\\", "/")
    anchored = pat.startswith("/") or "/" in pat.rstrip("/")
    pat = pat.strip("/")
    out: list[str] = []
    i = 0
    while i < len(pat):
        if pat.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pat.startswith("**", i):
            out.append(".*")
            i += 2
        elif pat[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pat[i] == "?":
            out.append("[^/]")
            i += 1
        elif pat[i] == "[":
            end = pat.find("]", i + 1)
            char_class = _char_class(pat[i + 1 : end]) if end != -1 else None
            if char_class is None:  # no closing bracket, or not a valid class: a literal `[`
                out.append(re.escape(pat[i]))
                i += 1
            else:
                out.append(char_class)
                i = end + 1
        else:
            out.append(re.escape(pat[i]))
            i += 1
    body = "".join(out)
    # A pattern without a slash matches a name at any depth, as in .gitignore; either kind also
    # matches everything below a directory it names.
    prefix = "" if anchored else "(?:.*/)?"
    return re.compile(f"^{prefix}{body}(?:/.*)?$")


def glob_match(pattern: str, path: str) -> bool:
    """Whether the posix relative `path` matches `pattern` (or lies under a folder it matches)."""
    return bool(_compile(pattern).match(path))


def any_match(patterns: tuple[str, ...] | list[str], path: str) -> bool:
    return any(glob_match(p, path) for p in patterns)
