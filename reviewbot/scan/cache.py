"""Content-hash cache of per-file outcomes in `.reviewbot_cache/`.

An entry is keyed by the file's text and everything that could change its outcome: the reviewbot
version, the enabled rules and their options, the SQL dialect, the path (findings carry it). A
changed input is a different key, so entries are never stale. An outcome's SQL documents (parse
trees, whose unpickling imports sqlglot) are an entry of their own, read only when project-wide
rules run; their output is cached under a key made of every file's key and what else they read
(scan/engine.py, `Scanner._project_key`), so they rerun whenever any file or the schema changes.

Entries are pickles, and the folder lives in the scanned repository, which anyone opening a pull
request controls: an entry planted there would run code when unpickled. So every entry carries
an HMAC under a key kept outside the repository (`~/.cache/reviewbot/cache-key`, private to the
user), and an entry is unpickled only when its HMAC checks out. Symlinks inside the cache folder
are never followed, so a planted link cannot make reviewbot read or write outside the repository.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import pickle
import stat
import tempfile
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from reviewbot import __version__
from reviewbot.model.catalog import data_dir
from reviewbot.workspace.sources import read_regular

if TYPE_CHECKING:
    from reviewbot.scan.outcome import FileOutcome

T = TypeVar("T")

CACHE_DIR = ".reviewbot_cache"
FORMAT = "3"
KEY_BYTES = 32
# An entry is bounded by the size of the file it describes: parse trees of SQL pickle to about
# 43 bytes per byte of source (920 KB of SQL: 39 MB), so ENTRY_BYTES_PER_SOURCE_BYTE times the
# text plus ENTRY_BYTES_BASE, never more than MAX_ENTRY_BYTES. A larger entry is neither written
# nor read: a file planted in the folder costs at most that bound, and nothing over it is opened
# for reading.
MAX_ENTRY_BYTES = 256 * 1024 * 1024
ENTRY_BYTES_PER_SOURCE_BYTE = 64
ENTRY_BYTES_BASE = 1024 * 1024


def entry_limit(text_length: int | None) -> int:
    if text_length is None:
        return MAX_ENTRY_BYTES
    return min(MAX_ENTRY_BYTES, ENTRY_BYTES_BASE + ENTRY_BYTES_PER_SOURCE_BYTE * text_length)


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_session_key: bytes | None = None


def _key_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "reviewbot" / "cache-key"


def _read_key(path: Path) -> bytes | None:
    """The key in `path` if only this user could have written it."""
    try:
        with path.open("rb") as handle:
            info = os.fstat(handle.fileno())
            key = handle.read(KEY_BYTES + 1)
    except OSError:
        return None
    getuid = getattr(os, "getuid", None)
    if getuid is not None and info.st_uid != getuid():
        return None
    if not stat.S_ISREG(info.st_mode) or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return None
    return key if len(key) == KEY_BYTES else None


def signing_key() -> bytes:
    """This user's cache key, created on first use; a key for this process only when there is
    no private place to keep one (the cache then never reads an entry back)."""
    global _session_key
    path = _key_file()
    key = _read_key(path)
    if key is not None:
        return key
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(os.urandom(KEY_BYTES))
    except OSError:
        pass
    key = _read_key(path)
    if key is None:
        if _session_key is None:
            _session_key = os.urandom(KEY_BYTES)
        key = _session_key
    return key


@cache
def code_fingerprint(package: Path | None = None) -> str:
    """A hash of reviewbot's own code and rule catalog: a checkout or an Action ref that changes
    them without a version bump must not be served outcomes the old code computed. Reading the
    files costs a few milliseconds once per process."""
    package = package or Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(
        p for p in package.rglob("*") if p.suffix in (".py", ".yml") and p.is_file()
    ):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    rules = data_dir("rules")
    if not rules.is_relative_to(package):
        for path in sorted(rules.glob("*.yml")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


CACHE_ENV = "REVIEWBOT_CACHE_DIR"


def cache_location(scan_root: Path, has_config: bool, explicit: Path | None = None) -> Path:
    """The cache folder for a scan rooted at `scan_root`, never inside a scanned subfolder:

    `--cache-dir` or $REVIEWBOT_CACHE_DIR if given; else `.reviewbot_cache` at the top of the git
    repository holding the root; else next to the config file that made the root; else (an
    installed package, an unpacked sdist: no repository, no config) a folder per scan root
    under the user's cache directory ($XDG_CACHE_HOME or ~/.cache), so nothing is written there.
    """
    if explicit is None and os.environ.get(CACHE_ENV):
        explicit = Path(os.environ[CACHE_ENV]).expanduser()
    if explicit is not None:
        return explicit.resolve()
    root = scan_root.resolve()
    for folder in (root, *root.parents):
        if (folder / ".git").exists():
            return folder / CACHE_DIR
    if has_config:
        return root / CACHE_DIR
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    digest = hashlib.sha256(str(root).encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return base / "reviewbot" / f"{root.name or 'root'}-{digest}"


class Cache:
    """Outcomes by key; unreadable or corrupt entries are misses, write failures are ignored.

    `location` is the cache folder (see `cache_location`); entries go under `location/v<FORMAT>`.
    """

    def __init__(self, location: Path, salt: dict[str, Any]) -> None:
        # Folders are created one level at a time from the nearest existing ancestor, refusing
        # symlinks on the way (see _make_folders).
        existing = location.parent
        while not existing.exists() and existing.parent != existing:
            existing = existing.parent
        self.root = existing
        self.folder = location / f"v{FORMAT}"
        self.salt = hashlib.sha256(
            json.dumps(
                {"version": __version__, "code": code_fingerprint(), **salt},
                sort_keys=True,
                default=str,
            ).encode()
        ).digest()
        self.hits = 0
        self.misses = 0
        self.writable = True
        self._key = signing_key()
        self._checked: set[Path] = set()

    def _mac(self, key: str, data: bytes) -> bytes:
        return hmac.new(self._key, key.encode() + b"\0" + data, hashlib.sha256).digest()

    def key(self, path: str, text: str, where: str = "") -> str:
        """`where`: what the project says about the file beyond its text (see engine)."""
        digest = hashlib.sha256(self.salt)
        digest.update(path.encode("utf-8", "surrogateescape"))
        digest.update(b"\0")
        digest.update(text.encode("utf-8", "surrogateescape"))
        if where:
            digest.update(b"\0" + where.encode("utf-8"))
        return digest.hexdigest()

    @staticmethod
    def sql_key(key: str) -> str:
        """Where the SQL documents of the outcome under `key` are kept, apart from the rest."""
        return hashlib.sha256(b"sql\0" + key.encode()).hexdigest()

    def put_outcome(self, key: str, outcome: FileOutcome, text_length: int | None = None) -> None:
        """Store `outcome` (detached) in two parts: its SQL documents (parse trees, which need
        sqlglot to unpickle) under `sql_key(key)`, the rest under `key`."""
        from dataclasses import replace

        if outcome.sql_documents:
            self.put(self.sql_key(key), outcome.sql_documents, text_length)
            outcome = replace(outcome, sql_documents=[], sql_elsewhere=True)
        self.put(key, outcome, text_length)

    def get_sql(self, key: str, text_length: int | None = None) -> list[Any] | None:
        """The SQL documents of the outcome under `key` (None: missing or unreadable)."""
        return self.get_value(self.sql_key(key), list, text_length, counted=False)

    def _entry(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.pickle"

    def _inside(self, folder: Path) -> bool:
        """Whether `folder` is where it seems: no symlink between the scan root and it. A
        folder found so is not checked again in this scan (entries share 256 folders)."""
        if folder in self._checked:
            return True
        try:
            real_root = self.root.resolve()
            inside = folder.resolve() == real_root / folder.relative_to(self.root)
        except (OSError, ValueError, RuntimeError):
            return False
        if inside:
            self._checked.add(folder)
        return inside

    def _make_folders(self, folder: Path) -> None:
        """Create `folder` below the root one level at a time, refusing any symlink on the way
        (mkdir(parents=True) would create folders wherever a planted link points)."""
        path = self.root
        for part in folder.relative_to(self.root).parts:
            path = path / part
            if path.is_symlink():
                raise OSError(f"{path} is a symlink; the cache is not written through it")
            path.mkdir(exist_ok=True)

    def _read(self, entry: Path, limit: int) -> bytes | None:
        if not self._inside(entry.parent):
            return None
        try:
            # Regular files only, opened without blocking (a planted FIFO would wait forever for
            # a writer) and never through a symlink; nothing over the size bound is read.
            return read_regular(entry, limit, follow_symlinks=False)
        except OSError:  # missing, a FIFO, a device, a link, too large: a miss
            return None

    def get(self, key: str, text_length: int | None = None) -> FileOutcome | None:
        """The outcome stored under `key`; `text_length` (of the file it describes) bounds
        how large an entry may be read."""
        # Here, not at the top: `reviewbot init` reads CACHE_DIR without loading the scan.
        from reviewbot.scan.outcome import FileOutcome

        return self.get_value(key, FileOutcome, text_length)

    def get_value(
        self, key: str, expected: type[T], text_length: int | None = None, counted: bool = True
    ) -> T | None:
        """The value of type `expected` stored under `key` (see `get`); `counted`: in `hits` and
        `misses`, which count the per-file outcomes (and the checklist mapping), not the parts
        a scan may read besides (SQL documents, the project pass)."""
        value = self._load(key, expected, text_length)
        if counted:
            if value is None:
                self.misses += 1
            else:
                self.hits += 1
        return value

    def _load(self, key: str, expected: type[T], text_length: int | None) -> T | None:
        try:
            blob = self._read(self._entry(key), entry_limit(text_length))
        except OSError:
            blob = None
        if blob is None:
            return None
        mac, data = blob[: hashlib.sha256().digest_size], blob[hashlib.sha256().digest_size :]
        if not hmac.compare_digest(mac, self._mac(key, data)):
            # Not written by this user's reviewbot (planted, corrupt, another key): never unpickled.
            return None
        try:
            outcome = pickle.loads(data)
        except (EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError):
            return None
        if not isinstance(outcome, expected):
            return None
        return outcome

    def put(self, key: str, outcome: object, text_length: int | None = None) -> None:
        if not self.writable:
            return
        entry = self._entry(key)
        try:
            data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
            data = self._mac(key, data) + data
            if len(data) > entry_limit(text_length):
                return  # would never be read back
            self._make_folders(entry.parent)
            self._ensure_gitignore()
            # Write then rename, so a concurrent or interrupted scan never reads half an entry.
            fd, tmp = tempfile.mkstemp(dir=entry.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, entry)
        except (OSError, pickle.PicklingError, RecursionError, TypeError, AttributeError):
            self.writable = False
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(tmp)
        except BaseException:
            # Interrupted (Ctrl-C) between writing and renaming: leave no half-written file.
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(tmp)
            raise

    def _ensure_gitignore(self) -> None:
        marker = self.folder.parent / ".gitignore"
        if marker.exists() or marker.is_symlink():
            return
        # O_EXCL and O_NOFOLLOW: never write through a link planted in the repository.
        fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("# Created by reviewbot: cache, never commit it.\n*\n")
