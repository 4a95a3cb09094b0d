"""Source files: reading bytes once, refusing binaries, decoding, and mapping offsets to lines."""

from __future__ import annotations

import bisect
import codecs
from dataclasses import dataclass, field
from pathlib import Path

from reviewbot.models import ErrorKind, ScanError

MAX_FILE_BYTES = 8 * 1024 * 1024
LANGUAGE_BY_SUFFIX = {".py": "python", ".pyi": "python", ".sql": "sql"}


def language_of(path: str) -> str | None:
    return LANGUAGE_BY_SUFFIX.get(Path(path).suffix.lower())


@dataclass(slots=True)
class SourceFile:
    """A decoded file. `path` is the posix path relative to the scan root; `text` ends its lines
    with "\n" only, whoever built it, so libcst's, sqlglot's and our line numbers agree."""

    path: str
    text: str
    language: str
    _line_starts: list[int] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self.text = normalize_newlines(self.text)

    @property
    def line_starts(self) -> list[int]:
        if not self._line_starts:
            starts = [0]
            text = self.text
            pos = text.find("\n")
            while pos != -1:
                starts.append(pos + 1)
                pos = text.find("\n", pos + 1)
            self._line_starts = starts
        return self._line_starts

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        starts = self.line_starts
        index = bisect.bisect_right(starts, offset) - 1
        return index + 1, offset - starts[index] + 1

    def line_text(self, line: int) -> str:
        starts = self.line_starts
        if not 1 <= line <= len(starts):
            return ""
        end = starts[line] - 1 if line < len(starts) else len(self.text)
        return self.text[starts[line - 1] : end].rstrip("\r")

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")


def decode(data: bytes, path: str) -> str | ScanError:
    """Text of a file, honouring a BOM; a clear error for binaries and undecodable bytes."""
    if b"\x00" in data[:8192]:
        return ScanError(ErrorKind.BINARY_FILE, path, "binary file (NUL bytes); skipped")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return ScanError(
            ErrorKind.DECODE_ERROR,
            path,
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at line {line}); "
            "re-encode the file as UTF-8 to have it scanned",
            line=line,
        )
    return normalize_newlines(text)


def normalize_newlines(text: str) -> str:
    """CRLF and lone CR (old Mac files, mixed endings) become LF, as every parser counts lines."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _too_large(rel: str, size: int) -> ScanError:
    return ScanError(
        ErrorKind.TOO_LARGE,
        rel,
        f"file is {size // (1024 * 1024)} MB, over the {MAX_FILE_BYTES // (1024 * 1024)} "
        "MB limit; skipped",
    )


def read_limited(path: Path, limit: int) -> bytes:
    """At most `limit` + 1 bytes of `path`: a file that grows after stat() (a log, a device
    behind a path) cannot make the read unbounded."""
    with path.open("rb") as handle:
        return handle.read(limit + 1)


def read_source(absolute: Path, rel: str, language: str) -> SourceFile | ScanError:
    try:
        size = absolute.stat().st_size
        if size > MAX_FILE_BYTES:
            return _too_large(rel, size)
        data = read_limited(absolute, MAX_FILE_BYTES)
    except OSError as exc:
        return ScanError(ErrorKind.READ_ERROR, rel, f"cannot read: {exc.strerror or exc}")
    if len(data) > MAX_FILE_BYTES:
        return _too_large(rel, len(data))
    text = decode(data, rel)
    if isinstance(text, ScanError):
        return text
    return SourceFile(path=rel, text=text, language=language)
