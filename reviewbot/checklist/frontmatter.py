"""YAML front matter of agent documents: found, parsed strictly or line by line, and normalized."""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from reviewbot.workspace import safe_yaml

KNOWN = ("name", "description", "model", "color", "tools")
MAX_FRONT_MATTER = 256_000

_FENCE_OPEN = re.compile(r"^---\s*$")
_FENCE_CLOSE = re.compile(r"^(?:---|\.\.\.)\s*$")
_KEY_LINE = re.compile(r"^(?P<key>[A-Za-z_][\w.-]*)\s*:(?:\s+(?P<value>.*)|\s*)$")
_LIST_LINE = re.compile(r"^\s*-\s+(?P<value>.*)$")
# Usage examples and the commentary inside them are how to invoke the agent, not its checklist.
_EXAMPLE_BLOCK = re.compile(
    r"<(example|examples|commentary)\b[^>]*>.*?(?:</\1\s*>|\Z)", re.IGNORECASE | re.DOTALL
)
_TRAILING_EXAMPLES = re.compile(r"\s*\b(?:examples?|for example|e\.g\.)\s*:?\s*\Z", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Note:
    """A problem found while reading a document; `line` is 1-based when known."""

    message: str
    line: int | None = None

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass(slots=True)
class FrontMatter:
    present: bool = False
    fields: dict[str, Any] = field(default_factory=dict)
    body_start: int = 0  # index of the first body line
    notes: list[Note] = field(default_factory=list)

    def text(self, key: str) -> str | None:
        value = self.fields.get(key)
        if value is None or isinstance(value, (dict, list)):
            return None
        value = str(value).strip()
        return value or None

    @property
    def tools(self) -> tuple[str, ...]:
        return parse_tools(self.fields.get("tools"))

    @property
    def description(self) -> str:
        return clean_description(self.text("description") or "")

    @property
    def metadata(self) -> dict[str, Any]:
        return {k: v for k, v in self.fields.items() if k not in KNOWN}


def parse_tools(value: Any) -> tuple[str, ...]:
    """`tools` as a comma string, a YAML list, or a JSON list written as a string."""
    if value is None:
        return ()
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("["):
            try:
                decoded = json.loads(stripped)
            except ValueError:
                try:
                    decoded = safe_yaml.load(stripped)
                except yaml.YAMLError:
                    decoded = stripped.strip("[]")
            return parse_tools(decoded)
        return tuple(t.strip().strip("'\"") for t in stripped.split(",") if t.strip())
    if isinstance(value, (list, tuple)):
        return tuple(str(t).strip() for t in value if t is not None and str(t).strip())
    return (str(value),)


def clean_description(text: str) -> str:
    """The description without its `<example>` blocks and commentary, whitespace collapsed."""
    text = text.replace("\\n", "\n")
    text = _EXAMPLE_BLOCK.sub(" ", text)
    text = " ".join(text.split())
    return _TRAILING_EXAMPLES.sub("", text).strip()


def _plain(value: Any) -> Any:
    """JSON-safe: dates and other YAML scalars become strings."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return str(value)


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _lenient(lines: list[str], first_line: int) -> tuple[dict[str, Any], list[Note]]:
    """Read `key: value` lines the way agent runners do when the block is not strict YAML.

    Real descriptions hold unquoted `Context: ...` and `<example>` text that YAML rejects.
    """
    fields: dict[str, Any] = {}
    notes: list[Note] = []
    key: str | None = None
    for offset, line in enumerate(lines):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _KEY_LINE.match(line)
        if match and not line[0].isspace():
            key = match["key"]
            value = (match["value"] or "").strip()
            fields[key] = _unquote(value) if value else None
            continue
        current = fields.get(key) if key is not None else None
        item = _LIST_LINE.match(line)
        if key is not None and item and (current is None or isinstance(current, list)):
            fields[key] = [*(current or []), _unquote(item["value"])]
            continue
        if key is not None and line[0].isspace() and not isinstance(current, list):
            fields[key] = f"{current} {line.strip()}" if current else line.strip()
            continue
        notes.append(Note("front matter line is not `key: value`; ignored", first_line + offset))
    return fields, notes


def parse_front_matter(lines: list[str]) -> FrontMatter:
    """Find and parse the front matter at the top of `lines` (no line terminators)."""
    result = FrontMatter()
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    if start == len(lines) or not _FENCE_OPEN.match(lines[start]):
        result.notes.append(Note("no YAML front matter; the agent is named after the file"))
        return result
    end = next(
        (i for i in range(start + 1, len(lines)) if _FENCE_CLOSE.match(lines[i])),
        None,
    )
    if end is None:
        result.notes.append(
            Note(
                "front matter is opened but never closed with `---`; it is read as the body",
                start + 1,
            )
        )
        result.body_start = start + 1
        return result
    result.present = True
    result.body_start = end + 1
    block = lines[start + 1 : end]
    text = "\n".join(block)
    if len(text) > MAX_FRONT_MATTER:
        result.notes.append(Note("front matter is larger than 256 KB; ignored", start + 1))
        return result
    try:
        raw = safe_yaml.load(text) if text.strip() else {}
        strict_error = None
    except yaml.YAMLError as exc:
        raw = None
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {start + 2 + mark.line}" if mark is not None else ""
        strict_error = f"{getattr(exc, 'problem', None) or exc}{where}"
    if isinstance(raw, dict):
        result.fields = {str(k): _plain(v) for k, v in raw.items()}
    else:
        fields, notes = _lenient(block, start + 2)
        if fields:
            result.fields = {k: _plain(v) for k, v in fields.items()}
            result.notes.extend(notes)
        else:
            reason = strict_error or "it is not a mapping of keys"
            result.notes.append(
                Note(f"front matter is not valid YAML ({reason}); ignored", start + 1)
            )
    if result.fields and not result.text("name"):
        result.notes.append(Note("front matter has no `name`; the agent is named after the file"))
    return result
