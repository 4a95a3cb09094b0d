"""Source files: reading bytes once, refusing binaries, decoding, and mapping offsets to lines."""

from __future__ import annotations

import bisect
import codecs
import io
import os
import stat
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


def is_text_encoding(name: str) -> bool:
    """Whether `name` is a codec from bytes to text. `rot13`, `hex`, `zlib`, `base64`, `bz2`,
    `quopri` and `uu` are codecs too, but transform bytes to bytes or text to text: CPython
    refuses them in a coding declaration, and `bytes.decode` with them raises."""
    try:
        return bool(getattr(codecs.lookup(name), "_is_text_encoding", True))
    except LookupError:
        return False


def decode(data: bytes, path: str) -> str | ScanError:
    """Text of a file: UTF-8, or what a BOM or (in Python) a coding declaration names; a clear
    error for binaries and undecodable bytes."""
    encoding = next((name for bom, name in _BOMS if data.startswith(bom)), None)
    if encoding in (None, "utf-8-sig") and b"\x00" in data[:8192]:
        return ScanError(ErrorKind.BINARY_FILE, path, "binary file (NUL bytes); skipped")
    if encoding is None and path.endswith((".py", ".pyi")):
        encoding = _python_cookie(data)
    encoding = encoding or "utf-8"
    if not is_text_encoding(encoding):
        return ScanError(
            ErrorKind.DECODE_ERROR,
            path,
            f"the coding declaration names {encoding!r}, which is not a text encoding "
            "(CPython refuses it too); re-encode the file as UTF-8 to have it scanned",
            line=1,
        )
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
    except (UnicodeError, ValueError, TypeError, LookupError) as exc:
        # Text codecs with their own failure modes (`punycode`, `idna`, `undefined`).
        return ScanError(
            ErrorKind.DECODE_ERROR,
            path,
            f"cannot decode as {encoding} ({type(exc).__name__}); "
            "re-encode the file as UTF-8 to have it scanned",
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


class NotRegularFile(OSError):
    """The path is a FIFO, a socket, a device or a directory: never opened for reading."""


class FileTooLarge(OSError):
    def __init__(self, size: int) -> None:
        super().__init__(f"{size} bytes")
        self.size = size


_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)


def read_regular(path: Path | str, limit: int, follow_symlinks: bool = True) -> bytes:
    """The bytes of `path` if it is a regular file of at most `limit` bytes.

    Opened with O_NONBLOCK, so a FIFO planted under a file's name cannot block the open (a
    FIFO's open waits for a writer); then fstat() on the open descriptor, so what is read is
    what was checked. At most `limit` + 1 bytes are read: a file that grows after the check
    still cannot make the read unbounded. Raises NotRegularFile, FileTooLarge or OSError.
    """
    flags = os.O_RDONLY | _NONBLOCK | _BINARY | (0 if follow_symlinks else _NOFOLLOW)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile(f"{_kind_of(info.st_mode)}, not a regular file")
        if info.st_size > limit:
            raise FileTooLarge(info.st_size)
        if _NONBLOCK:
            os.set_blocking(fd, True)
        chunks: list[bytes] = []
        remaining = limit + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise FileTooLarge(len(data))
    return data


def _kind_of(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "a special file"


def read_source(absolute: Path, rel: str, language: str) -> SourceFile | ScanError:
    try:
        data = read_regular(absolute, MAX_FILE_BYTES)
    except FileTooLarge as exc:
        return _too_large(rel, exc.size)
    except NotRegularFile as exc:
        return ScanError(ErrorKind.READ_ERROR, rel, f"not read: it is {exc}")
    except OSError as exc:
        return ScanError(ErrorKind.READ_ERROR, rel, f"cannot read: {exc.strerror or exc}")
    if len(data) > MAX_FILE_BYTES:
        return _too_large(rel, len(data))
    text = decode(data, rel)
    if isinstance(text, ScanError):
        return text
    return SourceFile(path=rel, text=text, language=language)
