"""Content-hash cache of per-file outcomes in `.reviewbot_cache/`.

An entry is keyed by the file's text and everything that could change its outcome: the reviewbot
version, the enabled rules and their options, the SQL dialect, the path (findings carry it). A
changed input is a different key, so entries are never stale; project-wide rules are not cached
and rerun on the (cached) per-file outcomes, so they always see the current schema.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

from reviewbot import __version__
from reviewbot.analysis import FileOutcome

CACHE_DIR = ".reviewbot_cache"
FORMAT = "1"


class Cache:
    """Outcomes by key; unreadable or corrupt entries are misses, write failures are ignored."""

    def __init__(self, root: Path, salt: dict[str, Any]) -> None:
        self.folder = root / CACHE_DIR / f"v{FORMAT}"
        self.salt = hashlib.sha256(
            json.dumps({"version": __version__, **salt}, sort_keys=True, default=str).encode()
        ).digest()
        self.hits = 0
        self.misses = 0
        self.writable = True

    def key(self, path: str, text: str) -> str:
        digest = hashlib.sha256(self.salt)
        digest.update(path.encode("utf-8", "surrogateescape"))
        digest.update(b"\0")
        digest.update(text.encode("utf-8", "surrogateescape"))
        return digest.hexdigest()

    def _entry(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.pickle"

    def get(self, key: str) -> FileOutcome | None:
        try:
            with self._entry(key).open("rb") as handle:
                # Only reviewbot writes here, and only plain data of our own classes.
                outcome = pickle.load(handle)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError):
            self.misses += 1
            return None
        if not isinstance(outcome, FileOutcome):
            self.misses += 1
            return None
        self.hits += 1
        return outcome

    def put(self, key: str, outcome: FileOutcome) -> None:
        if not self.writable:
            return
        entry = self._entry(key)
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            self._ensure_gitignore()
            data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
            # Write then rename, so a concurrent or interrupted scan never reads half an entry.
            fd, tmp = tempfile.mkstemp(dir=entry.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, entry)
        except (OSError, pickle.PicklingError, RecursionError, TypeError, AttributeError):
            self.writable = False
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(tmp)

    def _ensure_gitignore(self) -> None:
        marker = self.folder.parent / ".gitignore"
        if not marker.exists():
            marker.write_text("# Created by reviewbot: cache, never commit it.\n*\n")
