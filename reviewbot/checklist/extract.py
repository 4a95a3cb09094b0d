"""Checklist items of an agent document: every concrete bullet, numbered item, checkbox, label line,
table row and question of its markdown body, with the section path, parent item and line of each."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewbot.checklist.frontmatter import Note, parse_front_matter
from reviewbot.checklist.markdown import (
    bold_only,
    is_separator,
    label_parts,
    split_row,
    strip_markdown,
)
from reviewbot.workspace.sources import FileTooLarge, NotRegularFile, read_regular

MAX_BYTES = 2_000_000
PSEUDO_BOLD = 7  # `**Your Core Expertise:**` sits below every markdown heading level
PSEUDO_COLON = 8  # `When writing SQL queries:` sits below a bold pseudo-heading
MAX_COLON_LINE = 150
MAX_QUESTION = 300

_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_BREAK = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
# `\u2022` is not markdown, but documents pasted from chat tools and word processors use it.
_ENTRY = re.compile(r"^(?P<indent> *)(?P<marker>[-*+\u2022]|\d{1,9}[.)])(?:[ \t]+(?P<text>.*))?$")
_CHECKBOX = re.compile(r"^\[(?P<mark>[ xX])\][ \t]+")
_FENCE = re.compile(r"^ *(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_QUOTE = re.compile(r"^ {0,3}>[ ]?")
_OPENERS = re.compile(r"<!--|<(example|examples)\b[^>]*>", re.IGNORECASE)
# Sections whose entries are not requirements: what a reviewer must NOT flag, and examples of
# the agent at work (sample answers, output templates, interactions). Their items would opt
# rules in and be quoted in findings as what the code breaks.
_NOT_REQUIREMENTS = re.compile(
    r"false[ -]positives?|\b(?:do not|don'?t|never|not to|no need to|shouldn'?t|should not)"
    r" (?:flag|report|comment on|complain)|\b(?:it is|it'?s|is|are) (?:fine|ok|okay|acceptable)"
    r"\b|\bfine to\b|\bacceptable (?:patterns?|cases?|uses?)\b|\bnot (?:an? )?(?:issues?|problems?"
    r"|findings?|bugs?)\b|\bexceptions?:|\bignore\b|\bout of scope\b",
    re.IGNORECASE,
)
_EXAMPLE_SECTION = re.compile(
    r"\bexamples?\b|\bsamples?\b|\btemplates?\b|\binteractions?\b|\bdemo\b|\bdialogue\b"
    r"|\btranscripts?\b|^(?:output|response|report|reply|answer|review)s?\s+"
    r"(?:format|structure|shape|layout|skeleton)\b|^(?:format|structure) of (?:your|the)\b"
    r"|^(?:outputs?|deliverables?)$",
    re.IGNORECASE,
)
# Sections that say when to call the agent ("When to Use This Agent", "Use this agent when", "When
# to Run"): their entries name tasks ("Configuring row level security"), not properties the code
# must have. A map of the repository's folders ("Repo map", "Project structure") describes what
# each folder holds ("libs: validation, security"), not what the code must do.
_TRIGGER_SECTION = re.compile(
    r"^when to (?:use|invoke|call|engage|delegate|choose|run|trigger|activate)\b|^(?:use|invoke|call)"
    r" (?:this agent|this skill|me|it) (?:when|for)\b|^when (?:this agent|this skill) (?:is|should"
    r" be) (?:used|invoked)\b|^triggers?\b|^(?:repo(?:sitory)?|code ?base|source) (?:map|layout|tree)"
    r"\b|^(?:project|directory|folder|file|repo(?:sitory)?) (?:structure|layout|tree)\b",
    re.IGNORECASE,
)
# `User: "..."`, `Assistant: ...`, `"Review this migration"`: a quoted prompt or a turn of an
# example dialogue, not an item.
_DIALOGUE = re.compile(
    r"^(?:user|assistant|human|ai|agent|claude|context|commentary|prompt|input|output|q|a)\s*:"
    r"|^[\"\u201c\u2018'][^\"\u201d]*[\"\u201d\u2019']?[.!?]?$",
    re.IGNORECASE,
)
# A sentence that ends with ":" and heads sub-items is itself an item when it says something
# on its own: at least this many words (`Database:` or `When writing SQL:` only head).
MIN_SENTENCE_WORDS = 6


class ItemKind(enum.StrEnum):
    BULLET = "bullet"
    NUMBERED = "numbered"
    CHECKBOX = "checkbox"
    LABEL = "label"
    TABLE_ROW = "table-row"
    QUESTION = "question"


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """One concrete checklist item. `line` is 1-based; `text` has its markdown stripped."""

    line: int
    text: str
    kind: ItemKind
    section: tuple[str, ...] = ()
    parents: tuple[str, ...] = ()

    @property
    def section_path(self) -> str:
        return " > ".join(self.section)

    @property
    def context(self) -> str:
        """What surrounds the item: its section path and the items it is nested under."""
        return " \n ".join((*self.section, *self.parents))


@dataclass(frozen=True, slots=True)
class AgentDocument:
    path: str
    name: str
    description: str = ""
    model: str | None = None
    color: str | None = None
    tools: tuple[str, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)
    items: tuple[ChecklistItem, ...] = ()
    notes: tuple[Note, ...] = ()
    front_matter: bool = False


class AgentDocumentError(Exception):
    """The file cannot be read as an agent document at all (missing, binary, too large)."""


# -- pass 1: lines to blocks -------------------------------------------------------------------


@dataclass(slots=True)
class _Entry:
    line: int
    indent: int
    marker: str
    text: str


@dataclass(slots=True)
class _Heading:
    line: int
    level: int
    text: str


@dataclass(slots=True)
class _Leaf:
    """A standalone item outside lists: a label line, a table row or a question."""

    line: int
    kind: ItemKind
    text: str
    parents: tuple[str, ...] = ()


@dataclass(slots=True)
class _EndList:
    """Prose at the left margin: the list before it is over."""


_Block = _Entry | _Heading | _Leaf | _EndList


class _Hidden:
    """Strips HTML comments and `<example>` blocks, which may span lines, from visible text."""

    def __init__(self) -> None:
        self.closer: str | None = None
        self.opened_at = 0

    def visible(self, line: str, number: int) -> str:
        out: list[str] = []
        pos = 0
        while pos <= len(line):
            if self.closer is not None:
                end = line.lower().find(self.closer, pos)
                if end == -1:
                    return "".join(out)
                pos = end + len(self.closer)
                self.closer = None
                continue
            match = _OPENERS.search(line, pos)
            while match is not None and line.count("`", 0, match.start()) % 2:
                # Inside an inline code span (`<example>` tags, `<!--`): text, not markup.
                match = _OPENERS.search(line, match.end())
            if match is None:
                out.append(line[pos:])
                break
            out.append(line[pos : match.start()])
            self.closer = "-->" if match.group(0) == "<!--" else f"</{match.group(1).lower()}>"
            self.opened_at = number
            pos = match.end()
        return "".join(out)


def _expand(line: str) -> str:
    return line.expandtabs(4) if "\t" in line else line


def _blocks(lines: list[str], first: int, notes: list[Note]) -> list[_Block]:
    blocks: list[_Block] = []
    hidden = _Hidden()
    fence: str | None = None
    fence_line = 0
    paragraph: list[tuple[int, str]] = []
    in_list = False  # an entry (or its continuation) is open
    last_was_entry_text = False  # the previous line belongs to an entry: lazy continuation
    table_header: tuple[str, ...] | None = None

    def flush() -> None:
        nonlocal paragraph
        if not paragraph:
            return
        line_no = paragraph[0][0]
        text = " ".join(t.strip() for _, t in paragraph)
        paragraph = []
        blocks.append(_EndList())
        if len(text) <= MAX_COLON_LINE and text.endswith(":"):
            blocks.append(_Heading(line_no, PSEUDO_COLON, text))
        elif len(text) <= MAX_QUESTION and text.endswith("?"):
            blocks.append(_Leaf(line_no, ItemKind.QUESTION, text))

    index = first
    while index < len(lines):
        number = index + 1
        raw = _expand(lines[index])
        index += 1
        if fence is not None:
            stripped = raw.strip()
            if stripped.startswith(fence[0] * len(fence)) and not stripped.strip(fence[0]):
                fence = None
            continue
        line = hidden.visible(raw, number)
        while _QUOTE.match(line):
            line = _QUOTE.sub("", line, count=1)
        if not line.strip():
            flush()
            last_was_entry_text = False
            table_header = None
            continue
        fence_match = _FENCE.match(line)
        if fence_match and not (fence_match["fence"][0] == "`" and "`" in fence_match["info"]):
            flush()
            fence, fence_line = fence_match["fence"], number
            last_was_entry_text = False
            continue
        if table_header is not None:
            if "|" in line:
                cells = split_row(line)
                if any(cells):
                    blocks.append(
                        _Leaf(
                            number,
                            ItemKind.TABLE_ROW,
                            " | ".join(c for c in cells if c),
                            (" | ".join(c for c in table_header if c),),
                        ),
                    )
                continue
            table_header = None
        if _BREAK.match(line) and not (paragraph and _SETEXT.match(line)):
            flush()
            blocks.append(_EndList())
            in_list = last_was_entry_text = False
            continue
        setext = _SETEXT.match(line)
        if setext and len(paragraph) == 1:
            line_no, text = paragraph[0]
            paragraph = []
            blocks.append(_Heading(line_no, 1 if setext.group(1)[0] == "=" else 2, text))
            continue
        heading = _HEADING.match(line)
        if heading:
            flush()
            blocks.append(_Heading(number, len(heading.group(1)), heading.group(2) or ""))
            in_list = last_was_entry_text = False
            continue
        if "|" in line and index < len(lines) and is_separator(_expand(lines[index])):
            flush()
            table_header = tuple(split_row(line))
            index += 1  # the separator
            in_list = last_was_entry_text = False
            continue
        entry = _ENTRY.match(line)
        if entry:
            flush()
            blocks.append(
                _Entry(number, len(entry["indent"]), entry["marker"], (entry["text"] or "").strip())
            )
            in_list = last_was_entry_text = True
            continue
        indent = len(line) - len(line.lstrip(" "))
        last = blocks[-1] if blocks else None
        # Continuation of the entry's text: indented, or lazy (CommonMark) unless the line reads
        # as a heading or label of its own.
        if (
            isinstance(last, _Entry)
            and last_was_entry_text
            and not paragraph
            and (
                indent > last.indent
                or not (bold_only(line) or label_parts(line)[1] or line.rstrip().endswith(":"))
            )
        ):
            last.text = f"{last.text} {line.strip()}"
            continue
        if in_list and indent >= 2 and not paragraph:
            # A paragraph inside a list item (after a blank line): explanation, not an item.
            last_was_entry_text = False
            continue
        in_list = last_was_entry_text = False
        if bold_only(line):
            flush()
            blocks.append(_EndList())
            blocks.append(_Heading(number, PSEUDO_BOLD, line.strip()))
            continue
        label, rest = label_parts(line)
        if label and rest:
            flush()
            blocks.append(_EndList())
            blocks.append(_Leaf(number, ItemKind.LABEL, line.strip()))
            continue
        paragraph.append((number, line))
    flush()
    if fence is not None:
        notes.append(
            Note("code fence is never closed; the rest of the document is read as code", fence_line)
        )
    if hidden.closer is not None:
        what = "HTML comment" if hidden.closer == "-->" else f"`{hidden.closer[2:-1]}` block"
        notes.append(
            Note(f"{what} is never closed; the rest of the document is hidden", hidden.opened_at)
        )
    return blocks


# -- pass 2: blocks to items -------------------------------------------------------------------


def _title(text: str) -> str:
    return strip_markdown(text).rstrip(":").strip()


def _is_group(text: str) -> bool:
    """A label-only entry (`1. **API Design**`, `- Migrations:`) that heads nested entries."""
    return bool(text) and (bold_only(text) or text.endswith(":"))


def _item_text(text: str) -> str:
    label, rest = label_parts(text)
    if label and rest:
        return f"{strip_markdown(label).rstrip(':').strip()}: {strip_markdown(rest)}"
    return strip_markdown(text)


def excluded_section(title: str) -> bool:
    """A heading or group title under which entries are not requirements (see above)."""
    return bool(
        _NOT_REQUIREMENTS.search(title)
        or _EXAMPLE_SECTION.search(title)
        or _TRIGGER_SECTION.search(title)
    )


def not_an_item(text: str) -> bool:
    """An item's own text says it is not a requirement: a do-not-flag line, a dialogue turn."""
    head = text[:200]
    return bool(
        _DIALOGUE.match(head.strip())
        or re.match(r"(?:it is|it'?s) (?:fine|ok|okay|acceptable)\b", head, re.IGNORECASE)
        or re.match(r"(?:do not|don'?t|never) (?:flag|report)\b", head, re.IGNORECASE)
    )


# ...but not a lead-in whose words only point at what follows ("enforce these principles:").
_LEAD_IN = re.compile(
    r"\b(?:following|these(?: \w+)?|those(?: \w+)?|below|aware of|as follows|includes?|including"
    r"|such as|like|are|is|e\.g\.|for example|for instance|things?|points?|areas?|steps?)\W*$",
    re.IGNORECASE,
)


def _sentence(title: str) -> bool:
    return len(title.split()) >= MIN_SENTENCE_WORDS and not _LEAD_IN.search(title)


def _items(blocks: list[_Block]) -> list[ChecklistItem]:
    items: list[ChecklistItem] = []
    headings: list[tuple[int, str]] = []
    # Open entries: (indent, title, is_group)
    stack: list[tuple[int, str, bool]] = []
    for position, block in enumerate(blocks):
        if isinstance(block, _Heading):
            title = _title(block.text)
            if block.level == PSEUDO_COLON and _sentence(title) and _heads_list(blocks, position):
                # "Before approving a migration, check that it:" is an item and its entries'
                # context at once.
                outer = tuple(t for level, t in headings if level < PSEUDO_COLON)
                if not any(excluded_section(t) for t in (*outer, title)):
                    items.append(
                        ChecklistItem(block.line, _item_text(block.text), ItemKind.LABEL, outer)
                    )
            while headings and headings[-1][0] >= block.level:
                headings.pop()
            if title:
                headings.append((block.level, title))
            stack.clear()
            continue
        if isinstance(block, _EndList):
            stack.clear()
            continue
        section = tuple(t for _, t in headings)
        if any(excluded_section(t) for t in section):
            continue
        if isinstance(block, _Leaf):
            text = block.text if block.kind is ItemKind.TABLE_ROW else _item_text(block.text)
            if text and not not_an_item(text):
                items.append(ChecklistItem(block.line, text, block.kind, section, block.parents))
            continue
        while stack and stack[-1][0] >= block.indent:
            stack.pop()
        following = blocks[position + 1] if position + 1 < len(blocks) else None
        has_children = isinstance(following, _Entry) and following.indent > block.indent
        groups = tuple(title for _, title, group in stack if group)
        parents = tuple(title for _, title, group in stack if not group)
        box = _CHECKBOX.match(block.text)
        body = block.text[box.end() :] if box else block.text
        if any(excluded_section(t) for t in groups):
            stack.append((block.indent, _title(body), True))
            continue
        if has_children and _is_group(body):
            title = _title(body)
            stack.append((block.indent, title, True))
            if not bold_only(body) and _sentence(title) and not excluded_section(title):
                # "Before approving a migration, check that it:" says something itself.
                items.append(
                    ChecklistItem(
                        block.line, _item_text(body), _kind(block, box), section + groups, parents
                    )
                )
            continue
        text = _item_text(body)
        stack.append((block.indent, text, False))
        if not text or not_an_item(text):
            continue
        items.append(ChecklistItem(block.line, text, _kind(block, box), section + groups, parents))
    return items


def _heads_list(blocks: list[_Block], position: int) -> bool:
    for following in blocks[position + 1 :]:
        if not isinstance(following, _EndList):
            return isinstance(following, _Entry)
    return False


def _kind(block: _Entry, box: re.Match[str] | None) -> ItemKind:
    if box:
        return ItemKind.CHECKBOX
    if block.marker[0].isdigit():
        return ItemKind.NUMBERED
    return ItemKind.BULLET


# -- documents ---------------------------------------------------------------------------------


def split_lines(text: str) -> list[str]:
    """Lines as editors count them: CRLF, CR and LF all end a line; nothing else does."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def parse_agent_document(text: str, path: str, notes: list[Note] | None = None) -> AgentDocument:
    """Extract an agent document already decoded to text. `path` is how it is shown."""
    collected = list(notes or [])
    text = text.removeprefix("\ufeff")
    lines = split_lines(text)
    front = parse_front_matter(lines)
    if text.strip():
        collected.extend(front.notes)
    else:
        collected.append(Note("the document is empty"))
    blocks = _blocks(lines, front.body_start, collected)
    name = front.text("name") or Path(path).stem
    return AgentDocument(
        path=path,
        name=name,
        description=front.description,
        model=front.text("model"),
        color=front.text("color"),
        tools=front.tools,
        metadata=front.metadata,
        items=tuple(_items(blocks)),
        notes=tuple(sorted(collected, key=lambda n: n.line or 0)),
        front_matter=front.present,
    )


def decode(data: bytes) -> tuple[str, list[Note]]:
    """UTF-8 text; undecodable bytes are replaced and reported, never fatal. NUL means binary."""
    if b"\x00" in data[:8192]:
        raise AgentDocumentError("binary file (NUL bytes), not a markdown agent document")
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        note = Note(
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "undecodable bytes were replaced with U+FFFD",
            line,
        )
        return data.decode("utf-8", errors="replace"), [note]


def read_agent_document(file: Path, path: str | None = None) -> AgentDocument:
    """Read and extract `file`, whatever its extension; `path` is how it is shown."""
    shown = path or file.as_posix()
    try:
        if file.is_dir():
            raise AgentDocumentError("is a directory, not an agent document")
        # A regular file only (a FIFO named like a document would block the read forever).
        data = read_regular(file, MAX_BYTES)
    except FileTooLarge as exc:
        raise AgentDocumentError(
            f"file is {exc.size / 1_000_000:.1f} MB; agent documents over 2 MB are not read"
        ) from exc
    except NotRegularFile as exc:
        raise AgentDocumentError(f"not read: it is {exc}") from exc
    except FileNotFoundError as exc:
        raise AgentDocumentError("no such file") from exc
    except OSError as exc:
        raise AgentDocumentError(f"cannot read: {exc.strerror or exc}") from exc
    text, notes = decode(data)
    return parse_agent_document(text, shown, notes)
