"""Source files: reading bytes once, refusing binaries, decoding, and mapping offsets to lines."""

from __future__ import annotations

import bisect
import codecs
import io
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

from reviewbot.model.findings import ErrorKind, ScanError

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


# A BOM names the encoding outright; UTF-32 first, since its little-endian BOM starts like
# UTF-16's. SQL Server Management Studio, for one, saves .sql files as UTF-16 with a BOM.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _python_cookie(data: bytes) -> str | None:
    """The encoding a PEP 263 `# -*- coding: ... -*-` line declares, if any (and valid)."""
    if b"coding" not in data[:1024]:
        return None
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        return None
    return None if encoding in ("utf-8", "utf-8-sig") else encoding


def decode(data: bytes, path: str) -> str | ScanError:
    """Text of a file: UTF-8, or what a BOM or (in Python) a coding declaration names; a clear
    error for binaries and undecodable bytes."""
    encoding = next((name for bom, name in _BOMS if data.startswith(bom)), None)
    if encoding in (None, "utf-8-sig") and b"\x00" in data[:8192]:
        return ScanError(ErrorKind.BINARY_FILE, path, "binary file (NUL bytes); skipped")
    if encoding is None and path.endswith((".py", ".pyi")):
        encoding = _python_cookie(data)
    encoding = encoding or "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        bad = exc.object[exc.start] if exc.start < len(exc.object) else 0
        line = data[: exc.start].count(b"\n") + 1
        name = {"utf-8-sig": "UTF-8"}.get(encoding, encoding.upper())
        return ScanError(
            ErrorKind.DECODE_ERROR,
            path,
            f"not valid {name} (byte 0x{bad:02x} at line {line}); "
            "re-encode the file as UTF-8 to have it scanned",
            line=line,
        )
    if "\x00" in text[:8192]:  # NULs in a UTF-16/32 file: binary data there too
        return ScanError(ErrorKind.BINARY_FILE, path, "binary file (NUL characters); skipped")
    return normalize_newlines(text)


def normalize_newlines(text: str) -> str:
    """CRLF and lone CR (old Mac files, mixed endings) become LF, as every parser counts lines."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _too_large(rel: str, size: int) -> ScanError:
    # One decimal: "8 MB, over the 8 MB limit" said nothing for a file of 8.5 MB.
    return ScanError(
        ErrorKind.TOO_LARGE,
        rel,
        f"file is {size / (1024 * 1024):.1f} MB, over the {MAX_FILE_BYTES // (1024 * 1024)} "
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
