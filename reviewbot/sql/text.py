"""Text assembled from pieces of a host file, with the offset map that `SqlDocument.segments` uses."""

from __future__ import annotations

import bisect
import codecs
from dataclasses import dataclass, field

STRING_PREFIX_CHARS = "rRbBuUfF"
_SIMPLE_ESCAPES = {
    "\\": "\\",
    "'": "'",
    '"': '"',
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
}


@dataclass(slots=True)
class TextBuilder:
    """Concatenates pieces of text, remembering where each piece came from in the host file.

    `segments` follows the `SqlDocument` convention: `(doc_start, host_start)` pairs, sorted by
    `doc_start`, each mapping the document text from `doc_start` on to the host from `host_start`.
    """

    parts: list[str] = field(default_factory=list)
    segments: list[tuple[int, int]] = field(default_factory=list)
    length: int = 0

    def add(
        self, text: str, host_start: int, host_end: int | None = None, collapse: bool = False
    ) -> None:
        """Append `text`, copied from (or standing for) host text starting at `host_start`.

        When the piece is not a verbatim copy (a decoded escape, a synthesized clause), pass
        `host_end` so that its last character maps to the host's last character and a finding
        ending there ends on the right line. `collapse` maps every other character of the piece
        to `host_start`, for text that stands for a node without being a copy of it (SQL
        synthesized from a Python call spanning several lines).
        """
        if not text:
            return
        if collapse:
            for index in range(len(text) - 1):
                self._map(self.length + index, host_start)
        self._map(self.length, host_start)
        if host_end is not None and len(text) > 1 and host_end - host_start != len(text):
            self._map(self.length + len(text) - 1, max(host_end - 1, host_start))
        self.parts.append(text)
        self.length += len(text)

    def _map(self, doc: int, host: int) -> None:
        if self.segments and self.segments[-1][0] > doc:
            return
        if self.segments:
            last_doc, last_host = self.segments[-1]
            if last_host + (doc - last_doc) == host:
                return
            if last_doc == doc:
                self.segments[-1] = (doc, host)
                return
        self.segments.append((doc, host))

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def mapped(self) -> tuple[str, list[tuple[int, int]]]:
        return self.text, list(self.segments) or [(0, 0)]


def host_offset(segments: list[tuple[int, int]], offset: int) -> int:
    # A binary search on the segments themselves: building the list of starts for every call
    # made mapping each of n offsets O(n) (quadratic in the escapes of an embedded string).
    index = max(bisect.bisect_right(segments, offset, key=_doc_start) - 1, 0)
    doc_start, host_start = segments[index]
    return host_start + (offset - doc_start)


def _doc_start(segment: tuple[int, int]) -> int:
    return segment[0]


def apply_edits(
    text: str, segments: list[tuple[int, int]], edits: list[tuple[int, int, str]]
) -> tuple[str, list[tuple[int, int]]]:
    """Replace `text[start:end]` by each edit's text, keeping every other offset's host mapping."""
    if not edits:
        return text, segments
    builder = TextBuilder()
    boundaries = sorted({s for s, _ in segments} | {len(text)})

    def copy(lo: int, hi: int) -> None:
        position = lo
        for boundary in boundaries[bisect.bisect_right(boundaries, lo) :]:
            if boundary >= hi:
                break
            builder.add(text[position:boundary], host_offset(segments, position))
            position = boundary
        builder.add(text[position:hi], host_offset(segments, position))

    cursor = 0
    for start, end, replacement in sorted(edits):
        if start < cursor:
            continue
        copy(cursor, start)
        builder.add(
            replacement,
            host_offset(segments, start),
            host_offset(segments, end - 1) + 1 if end > start else None,
        )
        cursor = end
    copy(cursor, len(text))
    return builder.mapped()


@dataclass(frozen=True, slots=True)
class LiteralShape:
    """How a Python string literal's source is laid out: prefix, quote and body span."""

    prefix: str
    quote: str
    body_start: int
    body_end: int

    @property
    def raw(self) -> bool:
        return "r" in self.prefix

    @property
    def is_bytes(self) -> bool:
        return "b" in self.prefix


def literal_shape(source: str) -> LiteralShape:
    """`source` is a literal's exact text (`r'''...'''`, `"..."`, the `f"` start of an f-string)."""
    prefix_len = len(source) - len(source.lstrip(STRING_PREFIX_CHARS))
    rest = source[prefix_len:]
    quote = rest[:3] if rest[:3] in ('"""', "'''") else rest[:1]
    return LiteralShape(
        prefix=source[:prefix_len].lower(),
        quote=quote,
        body_start=prefix_len + len(quote),
        body_end=len(source) - len(quote),
    )


def add_literal_body(
    builder: TextBuilder, body: str, host_start: int, raw: bool, fstring: bool = False
) -> None:
    """Append the value of a literal's body (`host_start` is where the body starts in the host).

    Escape sequences are decoded; each decoded character is mapped to its escape's position, so a
    line continuation or `\\n` never shifts the lines of what follows.
    """
    position = 0
    length = len(body)
    specials = _Specials(body, raw, fstring)
    while position < length:
        next_special = specials.next(position)
        if next_special < 0:
            builder.add(body[position:], host_start + position)
            return
        if next_special > position:
            builder.add(body[position:next_special], host_start + position)
        size, value = _escape(body, next_special, raw)
        builder.add(value, host_start + next_special, host_start + next_special + size)
        position = next_special + size


class _Specials:
    """The next backslash or doubled brace from a position on. Each kind's next occurrence is
    remembered until passed, so finding them all costs one scan of the body: searching each
    kind afresh from every escape was quadratic (a 1 MB string of escapes took 148 s)."""

    def __init__(self, body: str, raw: bool, fstring: bool) -> None:
        self.body = body
        self.needles = ([] if raw else ["\\"]) + (["{{", "}}"] if fstring else [])
        self.found = [-2] * len(self.needles)  # -2: not searched yet; -1: none left

    def next(self, start: int) -> int:
        best = -1
        for slot, needle in enumerate(self.needles):
            index = self.found[slot]
            if index == -2 or (index != -1 and index < start):
                index = self.body.find(needle, start)
                self.found[slot] = index
            if index >= 0 and (best < 0 or index < best):
                best = index
        return best


def _escape(body: str, index: int, raw: bool) -> tuple[int, str]:
    """Size in the source and decoded value of the escape (or doubled brace) at `index`."""
    if body.startswith(("{{", "}}"), index):
        return 2, body[index]
    if raw or index + 1 >= len(body):
        return 1, body[index]
    char = body[index + 1]
    if char == "\n":
        return 2, ""
    if char in _SIMPLE_ESCAPES:
        return 2, _SIMPLE_ESCAPES[char]
    if char in "01234567":
        end = index + 2
        while end < min(index + 4, len(body)) and body[end] in "01234567":
            end += 1
        return end - index, chr(int(body[index + 1 : end], 8))
    sizes = {"x": 4, "u": 6, "U": 10}
    if char in sizes:
        size = sizes[char]
        try:
            return size, chr(int(body[index + 2 : index + size], 16))
        except ValueError:
            return 2, body[index : index + 2]
    if char == "N" and index + 2 < len(body) and body[index + 2] == "{":
        end = body.find("}", index)
        if end > 0:
            sequence = body[index : end + 1]
            try:
                return len(sequence), codecs.decode(sequence, "unicode_escape")
            except (UnicodeDecodeError, ValueError):
                return len(sequence), sequence
    # An unknown escape keeps its backslash, as Python does.
    return 2, body[index : index + 2]
